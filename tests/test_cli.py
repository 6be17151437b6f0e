"""`vic db …` through typer's CliRunner, against the harness's databases."""

from __future__ import annotations

import psycopg
import pytest

from vic import migrate, paths
from tests.cli_run import vic

DEAD_URL = "postgresql://postgres:s3cret@127.0.0.1:1/x"
MIGRATION_IDS = sorted(
    p.name.removesuffix(".sql")
    for p in paths.MIGRATIONS_DIR.glob("*.sql")
    if not p.name.endswith(".rollback.sql")
)



def state_lines(url: str) -> dict[str, str]:
    """migration id -> 'applied' | 'pending', read from `vic db status` output."""
    result = vic("db", "status", "--database-url", url)
    assert result.exit_code == 0, result.output
    states = {}
    for line in result.output.splitlines():
        for mid in MIGRATION_IDS:
            if mid in line:
                states[mid] = "applied" if "applied" in line.replace(mid, "") else "pending"
    return states


def test_migrate_rollback_all_migrate_again(empty_db_url: str) -> None:
    assert MIGRATION_IDS, "no migrations in migrations/"
    assert state_lines(empty_db_url) == dict.fromkeys(MIGRATION_IDS, "pending")

    result = vic("db", "migrate", "--database-url", empty_db_url)
    assert result.exit_code == 0, result.output
    assert state_lines(empty_db_url) == dict.fromkeys(MIGRATION_IDS, "applied")

    result = vic("db", "rollback", "--all", "--yes", "--database-url", empty_db_url)
    assert result.exit_code == 0, result.output
    assert state_lines(empty_db_url) == dict.fromkeys(MIGRATION_IDS, "pending")
    with psycopg.connect(empty_db_url) as conn:  # down to nothing: no table left in public
        tables = conn.execute("select count(*) from pg_tables where schemaname = 'public'").fetchone()
        assert tables == (0,)

    # the URL may also come from the environment
    result = vic("db", "migrate", VIC_DATABASE_URL=empty_db_url)
    assert result.exit_code == 0, result.output
    assert state_lines(empty_db_url) == dict.fromkeys(MIGRATION_IDS, "applied")


def test_rollback_steps_back_one_migration(empty_db_url: str) -> None:
    migrate.migrate(empty_db_url)
    result = vic("db", "rollback", "--database-url", empty_db_url)
    assert result.exit_code == 0, result.output
    applied = [ok for _, ok, _ in migrate.status(empty_db_url)]
    assert applied == [True] * (len(MIGRATION_IDS) - 1) + [False]


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["migrate"],
        ["rollback"],
        ["rollback", "--all", "--yes"],
        ["reset", "--yes"],
        ["seed"],
    ],
)
def test_dead_url_prints_one_line_and_fails(command: list[str]) -> None:
    result = vic("db", *command, "--database-url", DEAD_URL)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "cannot connect" in result.output
    assert "s3cret" not in result.output


def test_database_error_prints_one_line(empty_db_url: str) -> None:
    # seeding a database that was never migrated fails inside PostgreSQL
    result = vic("db", "seed", "--database-url", empty_db_url)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert result.output.startswith("error: supabase/seed.sql: "), result.output


def test_local_server_not_running_says_so(tmp_path_factory: pytest.TempPathFactory) -> None:
    result = vic("db", "status", VIC_DATA_DIR=str(tmp_path_factory.mktemp("nothing")))
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "not running" in result.output and "vic db up" in result.output


def test_reset_asks_and_no_changes_nothing(empty_db_url: str) -> None:
    migrate.migrate(empty_db_url)
    before = migrate.status(empty_db_url)
    for command in (["reset"], ["rollback", "--all"]):
        result = vic("db", *command, "--database-url", empty_db_url, input="n\n")
        assert result.exit_code != 0
        assert "nothing changed" in result.output
        assert migrate.status(empty_db_url) == before  # same applied_at: nothing re-applied


def test_reset_yes_rebuilds(empty_db_url: str) -> None:
    migrate.migrate(empty_db_url)
    before = migrate.status(empty_db_url)
    result = vic("db", "reset", "--yes", "--database-url", empty_db_url)
    assert result.exit_code == 0, result.output
    after = migrate.status(empty_db_url)
    assert [(mid, ok) for mid, ok, _ in after] == [(mid, ok) for mid, ok, _ in before]
    assert all(a[2] and b[2] and a[2] > b[2] for a, b in zip(after, before, strict=True))


def test_up_twice_is_harmless_then_down(tmp_path_factory: pytest.TempPathFactory) -> None:
    # A short path: the server's unix socket lives in its data folder.
    data = str(tmp_path_factory.mktemp("vicdata"))
    try:
        first = vic("db", "up", VIC_DATA_DIR=data)
        assert first.exit_code == 0, first.output
        url = first.stdout.strip()
        second = vic("db", "up", VIC_DATA_DIR=data)
        assert second.exit_code == 0, second.output
        assert "already running" in second.output
        assert second.stdout.strip() == url
        assert vic("db", "url", VIC_DATA_DIR=data).stdout.strip() == url
        with psycopg.connect(url) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
        # commands default to the local server; here, nothing migrated yet
        status = vic("db", "status", VIC_DATA_DIR=data)
        assert status.exit_code == 0, status.output
        assert "pending" in status.output

        assert vic("db", "down", VIC_DATA_DIR=data).stdout.strip() == "stopped"
        gone = vic("db", "status", VIC_DATA_DIR=data)
        assert gone.exit_code != 0 and "vic db up" in gone.output
        assert vic("db", "url", VIC_DATA_DIR=data).exit_code != 0
        # and it starts again from the same folder, in the same process
        again = vic("db", "up", VIC_DATA_DIR=data)
        assert again.exit_code == 0 and again.stdout.strip() == url, again.output
    finally:
        vic("db", "down", VIC_DATA_DIR=data)
    assert vic("db", "down", VIC_DATA_DIR=data).stdout.strip() == "not running"


def test_psql_runs_on_the_database(db_url: str) -> None:
    """`vic db psql` replaces itself with psql on the database (so: a process of its own here)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "from vic.cli import app; app()", "db", "psql", "--database-url",
                           db_url, "-tA", "-c", "select count(*) from public.contacts"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "0", done.stderr
