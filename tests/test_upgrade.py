"""The upgrade path: a database built and filled by the last released tree, migrated by this one, must land on
the catalog a fresh build gives (nothing orphaned, nothing missing) with its data kept; `rollback` then
`migrate` must round-trip on a database with data; a migrate or rollback that cannot finish changes nothing.

The released tree is a fixed commit of this repository, extracted with `git archive` and run with its own
runner in a subprocess (its own `vic` package first on PYTHONPATH, VIC_ROOT at the extracted tree), exactly as
that release would have migrated and seeded a database.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
from io import BytesIO
from pathlib import Path

import psycopg
import pytest

from tests.catalog import diff, snapshot

ROOT = Path(__file__).resolve().parents[1]
# The last released tree: main when the upgrade path was first proven. Move it forward on each release.
RELEASED = "7396c0e"
# What the old tree needs to migrate and seed a database.
RELEASED_PATHS = ["python_client", "migrations", "functions", "policies", "db", "supabase/seed.sql"]

# Runs inside the old tree: its migrate, its seed, then a few conversation rows beyond the seed's.
OLD_RUNNER = """
import sys
import vic, vic.migrate
assert vic.__file__.startswith(sys.argv[2]), f"the old tree's vic was not imported: {vic.__file__}"
vic.migrate.migrate(sys.argv[1])
vic.migrate.load_seed(sys.argv[1])
"""
CONVERSATION_ROWS = """
insert into public.sessions (id, contact_id, status, last_message_at, intent, district, language)
values ('00000000-0000-4000-8000-0000000005a1', '00000000-0000-4000-8000-000000000302', 'active',
        now() - interval '5 minutes', 'rent', 'Şişli', 'tr');
insert into public.message_log (from_contact, to_contact, direction, message_type, content, wa_message_id,
                                session_id, created_at)
values ('00000000-0000-4000-8000-000000000302', null, 'inbound', 'text', 'Şişli''de 2+1 kiralık var mı?',
        'wamid.upgrade.0001', '00000000-0000-4000-8000-0000000005a1', now() - interval '5 minutes'),
       (null, '00000000-0000-4000-8000-000000000302', 'outbound', 'text', 'Bakıyorum, Emre Bey.',
        'wamid.upgrade.0002', '00000000-0000-4000-8000-0000000005a1', now() - interval '4 minutes');
insert into public.pending_notifications (contact_id, kind, body, buttons)
values ('00000000-0000-4000-8000-000000000302', 'proactive', 'Yeni ilan: Şişli 2+1', '["Göster"]'),
       ('00000000-0000-4000-8000-000000000202', 'match', 'Talebinize uyan 1 yeni ilan', null);
"""

# Per ERD table: its row count and, per column, a digest of its values in primary-key order.
TABLES = """
select format('%I.%I', n.nspname, c.relname), array_agg(quote_ident(a.attname) order by a.attname),
       (select array_agg(quote_ident(k.attname) order by k.attnum) from pg_index i
        join pg_attribute k on k.attrelid = i.indrelid and k.attnum = any(i.indkey)
        where i.indrelid = c.oid and i.indisprimary)
from pg_class c join pg_namespace n on n.oid = c.relnamespace
join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
where n.nspname = 'public' and c.relkind = 'r'
group by c.oid, n.nspname
"""


def data_digest(url: str) -> dict[str, str]:
    """{'table': 'N rows', 'table.column': md5 of its values} for every table in public."""
    out: dict[str, str] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for table, columns, key in conn.execute(TABLES).fetchall():
            order = ", ".join(key or columns)
            digests = ", ".join(f"md5(coalesce(string_agg(coalesce({c}::text, '∅'), '|' order by {order}), ''))"
                                for c in columns)
            row = conn.execute(f"select count(*), {digests} from {table}").fetchone()
            out[table] = f"{row[0]} rows"
            out.update({f"{table}.{c}": d for c, d in zip(columns, row[1:])})
    return out


def data_lost(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """What `before` held that `after` lost or changed (columns added since are not compared)."""
    return [f"{k}: {v} before, {after.get(k, 'gone')} after" for k, v in before.items() if after.get(k) != v]


@pytest.fixture(scope="module")
def released_tree(tmp_path_factory) -> Path:
    """The released commit's tree, extracted from the repository the tests run in."""
    found = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{RELEASED}^{{commit}}"],
                           capture_output=True, text=True)
    if found.returncode != 0:
        pytest.fail(f"the released commit {RELEASED} is not in the repository at {ROOT} (a shallow clone?): "
                    f"the upgrade test needs it; fetch the full history (git fetch --unshallow). "
                    f"{found.stderr.strip()}", pytrace=False)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", RELEASED, *RELEASED_PATHS],
                             capture_output=True, check=True).stdout
    tree = tmp_path_factory.mktemp(f"released-{RELEASED}")
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(tree, filter="data")
    return tree


def migrate_and_seed_with(tree: Path, url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(tree / "python_client"), "VIC_ROOT": str(tree)}
    done = subprocess.run([sys.executable, "-c", OLD_RUNNER, url, str(tree)], env=env, cwd=tree,
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.fail(f"the released tree {RELEASED} could not migrate and seed a database:\n"
                    f"{done.stdout}{done.stderr}", pytrace=False)


def test_released_migrations_match_their_recorded_hashes(released_tree):
    """migrations/released.sha256 records the released tree's files as they were released."""
    recorded = [line.split() for line in (ROOT / "migrations" / "released.sha256").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    released = sorted(p.name for p in (released_tree / "migrations").glob("0*.sql")
                      if not p.name.endswith(".rollback.sql"))
    assert released, f"the released tree {RELEASED} has no migrations"
    by_name = {Path(path).name: digest for digest, path in recorded}
    wrong = [name for name in released
             if by_name.get(name) != hashlib.sha256((released_tree / "migrations" / name).read_bytes()).hexdigest()]
    assert not wrong, f"migrations/released.sha256 does not record these files of {RELEASED} as released: {wrong}"


def test_upgrade_from_the_last_release(released_tree, new_empty_db, db_url):
    from vic.migrate import migrate, status

    fresh = snapshot(db_url)  # a copy of the template this tree migrated
    url = new_empty_db()
    migrate_and_seed_with(released_tree, url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(CONVERSATION_ROWS)
    before = data_digest(url)
    assert int(before["public.message_log"].split()[0]) >= 5, "the old tree's seed left no conversation"

    applied = migrate(url)
    assert applied, f"HEAD applied no migration over {RELEASED}: nothing was upgraded"
    assert all(is_applied for _, is_applied, _ in status(url)), "migrations still pending after the upgrade"

    d = diff(fresh, snapshot(url),
             "fresh build", f"built by {RELEASED}, migrated by HEAD")
    if d:
        pytest.fail(f"upgrading from {RELEASED} does not give the fresh build's catalog "
                    f"(- missing after the upgrade, + orphaned by it):\n{d}", pytrace=False)
    lost = data_lost(before, data_digest(url))
    if lost:
        pytest.fail("upgrading lost or changed data:\n" + "\n".join(lost), pytrace=False)


def _seeded(url: str) -> None:
    from vic.migrate import load_seed

    load_seed(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(CONVERSATION_ROWS)


def test_rollback_then_migrate_round_trips_on_seeded_data(db_url):
    """The latest migration, then every one down to the foundation, one `rollback` at a time; `migrate`
    brings the database back to the fresh build's catalog with the seeded rows still there."""
    from vic.migrate import migrate, rollback, status

    fresh = snapshot(db_url)
    _seeded(db_url)
    before = data_digest(db_url)

    latest = rollback(db_url)
    assert latest and migrate(db_url) == latest, "rolling back the latest migration and migrating again"

    ids = [mid for mid, _, _ in status(db_url)]
    undone = [mid for _ in ids[1:] for mid in rollback(db_url)]
    assert undone == ids[:0:-1], f"rolled back {undone}, expected every migration but the foundation"
    assert migrate(db_url) == ids[1:]

    d = diff(fresh, snapshot(db_url), "fresh build", "after rollbacks and migrate")
    if d:
        pytest.fail("rollback then migrate does not give the fresh build's catalog:\n" + d, pytrace=False)
    # The foundation's tables keep their rows; what later migrations added (columns) may be reset.
    after = data_digest(db_url)
    counts = {k: v for k, v in before.items() if "." not in k.removeprefix("public.")}
    lost = data_lost(counts, after)
    if lost:
        pytest.fail("rollback then migrate lost rows:\n" + "\n".join(lost), pytrace=False)


def test_a_migrate_that_fails_changes_nothing(db_url):
    """A step that fails rolls back every step before it: the migrations stay pending, the catalog as it was."""
    from vic.errors import VicError
    from vic.migrate import migrate, rollback, status

    _seeded(db_url)
    undone = rollback(db_url) + rollback(db_url)
    assert len(undone) == 2
    with psycopg.connect(db_url, autocommit=True) as conn:
        # functions/ then cannot `create or replace` whoami: its result type differs
        conn.execute("drop function public.whoami(); "
                     "create function public.whoami() returns int language sql as 'select 1'")
    before, catalog = status(db_url), snapshot(db_url)
    with pytest.raises(VicError) as failed:
        migrate(db_url)
    message = failed.value.message
    assert "functions/access.sql" in message and "nothing was applied" in message and "\n" not in message, message
    assert status(db_url) == before, "a failed migrate left some migrations applied"
    d = diff(catalog, snapshot(db_url), "before", "after a failed migrate")
    assert not d, "a failed migrate changed the catalog:\n" + d


def test_a_database_from_a_newer_tree_is_refused_up_front(db_url):
    from vic.errors import VicError
    from vic.migrate import YOYO_SCHEMA, migrate, rollback, status

    future = "9999_from_a_newer_tree"
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(f"insert into {YOYO_SCHEMA}._yoyo_migration (migration_hash, migration_id, applied_at_utc) "
                     "values (%s, %s, now())", (hashlib.sha256(future.encode()).hexdigest(), future))
    before, catalog = status(db_url), snapshot(db_url)
    for run in (migrate, rollback):
        with pytest.raises(VicError, match=f"does not know \\({future}\\).*nothing was changed"):
            run(db_url)
    assert status(db_url) == before
    assert not diff(catalog, snapshot(db_url)), "a refused migrate or rollback changed the catalog"


def test_the_cli_round_trips_seeded_data_and_refuses_in_one_line(db_url):
    """`vic db seed`, `vic db rollback`, `vic db migrate` on one database; then a refusal is one line, exit 1."""
    from tests.cli_run import ok, one_error_line, vic
    from vic.migrate import YOYO_SCHEMA, status

    ok("db", "seed", "--database-url", db_url)
    before = data_digest(db_url)
    assert "rolled back" in ok("db", "rollback", "--database-url", db_url)
    assert "applied" in ok("db", "migrate", "--database-url", db_url)
    counts = {k: v for k, v in before.items() if "." not in k.removeprefix("public.")}
    assert not data_lost(counts, data_digest(db_url)), "rollback then migrate through the CLI lost rows"

    future = "9999_from_a_newer_tree"
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(f"insert into {YOYO_SCHEMA}._yoyo_migration (migration_hash, migration_id, applied_at_utc) "
                     "values (%s, %s, now())", (hashlib.sha256(future.encode()).hexdigest(), future))
    states = status(db_url)
    for command in ("rollback", "migrate"):
        line = one_error_line(vic("db", command, "--database-url", db_url))
        assert future in line and "nothing was changed" in line, line
    assert status(db_url) == states


def test_a_migration_without_its_rollback_file_is_not_rolled_back(db_url, tmp_path, monkeypatch):
    """Refused before any step: yoyo would mark it rolled back while its objects stayed."""
    import shutil

    from vic import paths
    from vic.errors import VicError
    from vic.migrate import rollback, status

    copy = tmp_path / "migrations"
    shutil.copytree(paths.MIGRATIONS_DIR, copy)
    latest = sorted(copy.glob("0*.rollback.sql"))[-1]
    latest.unlink()
    monkeypatch.setattr(paths, "MIGRATIONS_DIR", copy)
    before, catalog = status(db_url), snapshot(db_url)
    with pytest.raises(VicError, match=f"cannot roll back {latest.name.removesuffix('.rollback.sql')}: no "):
        rollback(db_url, all=True)
    assert status(db_url) == before
    assert not diff(catalog, snapshot(db_url))
