"""The Supabase CLI project in supabase/: the generated migrations are current and append-only, and the real
`supabase db push` (the CLI `make supabase-cli` installs) on a fresh database prepared with the compatibility
script builds `vic db migrate`'s catalog, passes every pgTAP suite, loads the seed, and accepts a later push.

The pushed databases are made once per server (whichever xdist worker comes first, under an advisory lock)
and copied per test, like the harness's migrated template.
"""
from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
from pytest_postgresql.janitor import DatabaseJanitor

from tests.catalog import diff, snapshot
from tests.cli_run import one_error_line, vic
from tests.harness import PGTAP_DIR, ROOT, PgTapFailure, _load_pgtap, drain, run_pg_prove
from vic.pg_server import PgServer
from vic import supabase_build
from vic.supabase_build import SupabaseBuildError, build, migration_version

# Where `make supabase-cli` installs the CLI (the Makefile exports VIC_SUPABASE_CLI with the same path).
SUPABASE_CLI_VERSION = "2.117.0"
DEFAULT_CLI = Path.home() / ".cache" / "vic" / f"supabase-cli-{SUPABASE_CLI_VERSION}" / "node_modules" / ".bin" / "supabase"
PUSHED = "vic_supabase_pushed"  # compatibility script + `supabase db push`
PUSHED_PGTAP = "vic_supabase_pgtap"  # the same plus pgTAP, the template of each pgTAP copy
_LOCK = 0x73_75_70_61_62  # "supab": one worker pushes, the others wait and reuse
_copies = itertools.count()
PGTAP_FILES = sorted(PGTAP_DIR.glob("*.test.sql"))


# ------------------------------------------------------------------------ the committed files
def test_committed_supabase_migrations_are_what_build_generates():
    stale = build(ROOT, check=True)
    assert not stale, ("supabase/migrations/ is out of date with migrations/, functions/ and policies/; run "
                       "`vic supabase build` and commit: " + ", ".join(stale))


def test_generated_migrations_leave_what_supabase_owns_alone():
    """A hosted project already has the API roles and schema auth (db/supabase_compat.sql stands in for them
    on a plain PostgreSQL only): the generated files create none of them."""
    files = sorted((ROOT / "supabase" / "migrations").glob("*.sql"))
    assert files, "no generated migrations"
    owned = re.compile(r"^\s*(create|alter|drop)\s+(role|schema\s+(if\s+not\s+exists\s+)?auth\b|"
                       r"(or\s+replace\s+)?function\s+auth\.|table\s+(if\s+not\s+exists\s+)?auth\.)",
                       re.IGNORECASE | re.MULTILINE)
    found = [f"{f.name}: {m.group(0).strip()}" for f in files for m in owned.finditer(f.read_text())]
    assert not found, found
    assert owned.search((ROOT / "db" / "supabase_compat.sql").read_text()), "the pattern matches nothing"


def test_config_names_the_project_and_its_database():
    import tomllib

    config = tomllib.loads((ROOT / "supabase" / "config.toml").read_text())
    assert config["project_id"] == "vic"
    assert config["db"]["major_version"] == 15
    assert config["db"]["seed"]["sql_paths"] == ["./seed.sql"] and (ROOT / "supabase" / "seed.sql").is_file()
    assert config["api"]["schemas"] == ["public", "graphql_public"], "private and guard must stay unexposed"
    assert config["auth"]["enable_signup"] is False and config["auth"]["enable_anonymous_sign_ins"] is False


# ------------------------------------------------------------------- build, on a small tree
def _tree(tmp_path: Path) -> Path:
    for folder in ("migrations", "functions", "policies"):
        (tmp_path / folder).mkdir()
    (tmp_path / "migrations" / "0001_base.sql").write_text("create table public.t (id int);\n")
    (tmp_path / "migrations" / "0001_base.rollback.sql").write_text("drop table public.t;\n")
    (tmp_path / "migrations" / "0003_more.sql").write_text("alter table public.t add column x int;\n")
    (tmp_path / "functions" / "f.sql").write_text("create or replace function public.f() returns int "
                                                  "language sql as 'select 1';\n")
    (tmp_path / "policies" / "p.sql").write_text("alter table public.t enable row level security;\n")
    return tmp_path


def _files(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "supabase" / "migrations").glob("*.sql"))}


def test_build_writes_one_file_per_migration_then_the_functions_and_policies(tmp_path):
    root = _tree(tmp_path)
    assert build(root, check=True) == [
        "supabase/migrations/20260101000000_0001_base.sql",
        "supabase/migrations/20260103000000_0003_more.sql",
        "supabase/migrations/20260103000001_functions_policies.sql",
    ]
    assert not (root / "supabase").exists(), "--check wrote files"
    assert len(build(root)) == 3
    files = _files(root)
    assert list(files) == ["20260101000000_0001_base.sql", "20260103000000_0003_more.sql",
                           "20260103000001_functions_policies.sql"]
    assert files["20260101000000_0001_base.sql"].endswith(b"create table public.t (id int);\n")
    reapply = files["20260103000001_functions_policies.sql"].decode()
    assert reapply.index("-- ===== functions/f.sql") < reapply.index("-- ===== policies/p.sql")
    assert build(root) == [] and build(root, check=True) == []


def test_build_appends_and_never_rewrites(tmp_path):
    root = _tree(tmp_path)
    build(root)
    released = _files(root)

    # a function edited without a migration: one new complete re-application, one second later
    (root / "functions" / "f.sql").write_text("create or replace function public.f() returns int "
                                              "language sql as 'select 2';\n")
    assert build(root) == ["supabase/migrations/20260103000002_functions_policies.sql"]
    assert b"select 2" in _files(root)["20260103000002_functions_policies.sql"]

    # a new migration with unchanged functions: its file, then a re-application after it
    (root / "migrations" / "0004_extra.sql").write_text("alter table public.t add column y int;\n")
    assert build(root) == ["supabase/migrations/20260104000000_0004_extra.sql",
                           "supabase/migrations/20260104000001_functions_policies.sql"]
    after = _files(root)
    assert {k: after[k] for k in released} == released, "a generated file changed"
    assert list(after) == sorted(after), "a new file sorts before an older one"


@pytest.mark.parametrize("change, message", [
    (lambda r: (r / "migrations" / "0001_base.sql").write_text("create table public.t (id bigint);\n"),
     "migrations/0001_base.sql changed after it was generated"),
    (lambda r: (r / "migrations" / "0003_more.sql").unlink(),
     "has no source migrations/0003_more.sql"),
    (lambda r: (r / "migrations" / "0002_late.sql").write_text("select 1;\n"),
     "numbered below migration 0003"),
    (lambda r: (r / "supabase" / "migrations" / "20990101000000_mine.sql").write_text("select 1;\n"),
     "not generated by `vic supabase build`"),
], ids=["edited", "removed", "numbered-below", "foreign-file"])
def test_build_refuses_to_change_a_released_file(tmp_path, change, message):
    root = _tree(tmp_path)
    build(root)
    released = _files(root)
    change(root)
    with pytest.raises(SupabaseBuildError, match=re.escape(message)):
        build(root, check=True)
    with pytest.raises(SupabaseBuildError):
        build(root)
    assert {k: v for k, v in _files(root).items() if k in released} == released


def test_cli_build_check_and_build(tmp_path, monkeypatch):
    root = _tree(tmp_path)
    monkeypatch.setattr(supabase_build.paths, "ROOT", root)
    line = one_error_line(vic("supabase", "build", "--check"))
    assert "supabase/migrations/ is out of date" in line and "20260103000001_functions_policies.sql" in line
    result = vic("supabase", "build")
    assert result.exit_code == 0 and "wrote supabase/migrations/20260101000000_0001_base.sql" in result.output
    result = vic("supabase", "build", "--check")
    assert result.exit_code == 0 and "up to date" in result.output
    (root / "migrations" / "0001_base.sql").write_text("select 'edited';\n")
    assert "released migrations are immutable" in one_error_line(vic("supabase", "build"))


# ------------------------------------------------------------------ the real `supabase db push`
@pytest.fixture(scope="session")
def supabase_cli() -> Path:
    cli = Path(os.environ.get("VIC_SUPABASE_CLI") or DEFAULT_CLI)
    if not cli.exists():
        pytest.fail(f"Supabase CLI not found at {cli}: run `make supabase-cli` (npm i -E supabase@"
                    f"{SUPABASE_CLI_VERSION})", pytrace=False)
    return cli


def _project_copy(root: Path, dest: Path) -> Path:
    """supabase/ without its tests: where the CLI runs (it writes supabase/.temp, never in the tree)."""
    shutil.copytree(root / "supabase", dest / "supabase", ignore=shutil.ignore_patterns("tests", ".temp", ".branches"))
    return dest


def push(cli: Path, workdir: Path, url: str, *extra: str) -> str:
    """`supabase db push --db-url … --yes` from `workdir`; its output, or the test fails with it."""
    env = {**os.environ, "SUPABASE_TELEMETRY_DISABLED": "1"}  # the CLI's documented opt-out
    r = subprocess.run([str(cli), "db", "push", "--db-url", url, "--yes", *extra], cwd=workdir, env=env,
                       capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    out = r.stdout + r.stderr
    if r.returncode != 0 or "Finished supabase db push" not in out and "up to date" not in out:
        pytest.fail(f"supabase db push failed (exit {r.returncode}):\n{out}", pytrace=False)
    return out


def _create(server: PgServer, dbname: str, template: str | None = None) -> DatabaseJanitor:
    janitor = DatabaseJanitor(user=server.user, host=server.host, port=server.port, dbname=dbname,
                              template_dbname=template)
    janitor.init()
    return janitor


def _compat_then_push(cli: Path, workdir: Path, url: str) -> str:
    from vic import paths
    from vic.migrate import connect, run_sql_file

    with connect(url) as conn, conn.transaction():
        run_sql_file(conn, paths.COMPAT_SQL)
    return push(cli, workdir, url)


@pytest.fixture(scope="session")
def pushed(pg_server: PgServer, supabase_cli: Path, tmp_path_factory) -> str:
    """The name of the database pushed from the tree's supabase/ (made once per server)."""
    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        conn.execute("select pg_advisory_lock(%s)", (_LOCK,))
        try:
            if not conn.execute("select 1 from pg_database where datname = %s", (PUSHED_PGTAP,)).fetchone():
                workdir = _project_copy(ROOT, tmp_path_factory.mktemp("supabase-project"))
                janitors = [_create(pg_server, PUSHED)]
                try:
                    _compat_then_push(supabase_cli, workdir, pg_server.url(PUSHED))
                    janitors.append(_create(pg_server, PUSHED_PGTAP, template=PUSHED))
                    _load_pgtap(host=pg_server.host, port=pg_server.port, user=pg_server.user, dbname=PUSHED_PGTAP)
                    conn.execute(f"alter database {PUSHED_PGTAP} is_template true")
                    conn.execute(f"alter database {PUSHED} is_template true")
                except BaseException:
                    for janitor in reversed(janitors):  # the next worker retries from scratch
                        janitor.drop()
                    raise
        finally:
            conn.execute("select pg_advisory_unlock(%s)", (_LOCK,))
    return PUSHED


@pytest.fixture
def pushed_copy(pg_server: PgServer, pushed: str):
    """Factory: a new copy of the pushed database (pgTAP too with pgtap=True); its URL. Dropped after."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    janitors: list[DatabaseJanitor] = []

    def make(pgtap: bool = False) -> str:
        name = f"vic_supabase_copy_{worker}_{next(_copies)}"
        janitors.append(_create(pg_server, name, template=PUSHED_PGTAP if pgtap else PUSHED))
        return pg_server.url(name)

    yield make
    for janitor in janitors:
        janitor.drop()


def _without_supabase_bookkeeping(text: str) -> tuple[str, int]:
    """The snapshot without the CLI's own schema supabase_migrations (as it leaves out yoyo's)."""
    kept, dropped, keep = [], 0, True
    for line in text.splitlines(keepends=True):
        if not line.startswith("    "):
            keep = not re.search(r"\bsupabase_migrations\b", line)
            dropped += not keep
        if keep:
            kept.append(line)
    return "".join(kept), dropped


def test_pushed_catalog_equals_vic_db_migrate(pushed_copy, db_url):
    # a copy: a session on the template itself would make other workers' copies of it fail
    via_push, dropped = _without_supabase_bookkeeping(snapshot(pushed_copy()))
    via_migrate = snapshot(db_url)
    assert dropped >= 2, "no supabase_migrations schema in the pushed database: was anything pushed?"
    assert "relation public.contacts" in via_push and "function public." in via_push
    d = diff(via_migrate, via_push, "vic db migrate", "supabase db push")
    if d:
        pytest.fail("supabase db push and vic db migrate disagree (- migrate, + push):\n" + d, pytrace=False)


@pytest.mark.parametrize("path", PGTAP_FILES, ids=[p.name.removesuffix(".test.sql") for p in PGTAP_FILES])
def test_pgtap_suite_on_the_pushed_database(pg_server, pushed_copy, path):
    dbname = psycopg.conninfo.conninfo_to_dict(pushed_copy(pgtap=True))["dbname"]
    try:
        run_pg_prove(pg_server, dbname, path)
    except PgTapFailure as e:
        pytest.fail(str(e), pytrace=False)


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url, autocommit=True) as conn:
        drain(conn)
        tables = [r[0] for r in conn.execute(
            "select 'public.' || quote_ident(c.relname) from pg_class c where c.relnamespace = 'public'::regnamespace "
            "and c.relkind = 'r' order by 1")]
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}


def test_seed_loads_after_the_pushed_migrations(pushed_copy, supabase_cli, db_url, tmp_path):
    """`supabase db push --include-seed` (what `supabase db reset` loads: [db.seed]) gives the rows `vic db
    seed` gives; a second push finds nothing to apply."""
    from vic.migrate import load_seed

    url = pushed_copy()
    out = push(supabase_cli, _project_copy(ROOT, tmp_path), url, "--include-seed")
    assert "Seeding data from supabase/seed.sql" in out and "Applying migration" not in out, out
    load_seed(db_url)
    via_push, via_vic = _counts(url), _counts(db_url)
    assert via_push["public.contacts"] > 0 and via_push["public.portfolio_request_matches"] > 0, via_push
    assert via_push == via_vic


def test_a_database_pushed_earlier_accepts_a_later_push(pg_server, pushed_copy, supabase_cli, new_empty_db,
                                                        tmp_path):
    """A later tree (a new migration, an edited function) pushed onto a database pushed at this tree applies
    just the new files, and ends where a fresh push of the later tree ends."""
    later = tmp_path / "later"
    for folder in ("migrations", "functions", "policies"):
        shutil.copytree(ROOT / folder, later / folder)
    _project_copy(ROOT, later)
    released = _files(later)
    number = max(int(p.name[:4]) for p in (later / "migrations").glob("[0-9]*.sql")) + 1
    (later / "migrations" / f"{number:04d}_probe.sql").write_text(
        "alter table public.contacts add column probe_note text;\n")
    (later / "functions" / "zz_probe.sql").write_text(
        "create or replace function public.probe_note(p_id uuid) returns text language sql stable\n"
        "  as $$ select probe_note from public.contacts where id = p_id $$;\n")
    written = build(later)
    assert written == [f"supabase/migrations/{migration_version(number)}_{number:04d}_probe.sql",
                       f"supabase/migrations/{migration_version(number)[:-1]}1_functions_policies.sql"]
    assert {k: v for k, v in _files(later).items() if k in released} == released

    upgraded = pushed_copy()
    out = push(supabase_cli, later, upgraded)
    assert out.count("Applying migration") == 2, out
    fresh = new_empty_db()
    _compat_then_push(supabase_cli, later, fresh)
    a, _ = _without_supabase_bookkeeping(snapshot(upgraded))
    b, _ = _without_supabase_bookkeeping(snapshot(fresh))
    assert "function public.probe_note(uuid)" in a
    d = diff(b, a, "fresh push", "upgraded")
    if d:
        pytest.fail("an upgraded database differs from a fresh push of the same tree:\n" + d, pytrace=False)
    with psycopg.connect(upgraded) as c1, psycopg.connect(fresh) as c2:
        q = "select version from supabase_migrations.schema_migrations order by 1"
        assert c1.execute(q).fetchall() == c2.execute(q).fetchall()
