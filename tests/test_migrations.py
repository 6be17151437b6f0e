"""migrate → rollback all → migrate again must work and land on the same catalog."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import psycopg
import pytest

from tests.catalog import diff, snapshot

# What the schema's own objects would leave behind: tables/views/sequences, functions, types
# (not the ones an extension owns, not implicit array types).
LEFTOVERS = """
select 'relation ' || c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = any(%(schemas)s) and c.relkind not in ('i', 'I', 't')
  and not exists (select 1 from pg_depend e where e.classid = 'pg_class'::regclass and e.objid = c.oid and e.deptype = 'e')
union all
select 'function ' || p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
where n.nspname = any(%(schemas)s)
  and not exists (select 1 from pg_depend e where e.classid = 'pg_proc'::regclass and e.objid = p.oid and e.deptype = 'e')
union all
select 'type ' || t.oid::regtype::text from pg_type t join pg_namespace n on n.oid = t.typnamespace
where n.nspname = any(%(schemas)s) and t.typtype in ('e', 'd', 'r', 'm', 'b')
  and not (t.typcategory = 'A' and t.typelem <> 0)
  and not exists (select 1 from pg_depend e where e.classid = 'pg_type'::regclass and e.objid = t.oid and e.deptype = 'e')
order by 1
"""


def test_migrate_rollback_all_migrate_again(empty_db_url):
    from vic.migrate import migrate, rollback, status

    applied = migrate(empty_db_url)
    assert applied, "migrate applied nothing: is migrations/ empty?"
    first = snapshot(empty_db_url)

    rolled_back = rollback(empty_db_url, all=True)
    assert sorted(rolled_back) == sorted(applied)
    assert not [mid for mid, is_applied, _ in status(empty_db_url) if is_applied]
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        # `private` holds our helpers; the compatibility script's `auth`/`extensions` objects may stay.
        left = [r[0] for r in conn.execute(LEFTOVERS, {"schemas": ["public", "private"]})]
    if left:
        pytest.fail("rollback --all left these behind:\n" + "\n".join(left), pytrace=False)

    assert migrate(empty_db_url) == applied
    d = diff(first, snapshot(empty_db_url), "first migrate", "migrate after rollback --all")
    if d:
        pytest.fail("migrating again after a full rollback gives another catalog:\n" + d, pytrace=False)


# ------------------------------------------------------------------ released migrations are immutable
MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
FUNCTIONS, POLICIES = MIGRATIONS.parent / "functions", MIGRATIONS.parent / "policies"


def released_hashes() -> dict[str, str]:
    """{file name: sha256} from migrations/released.sha256 (`sha256sum` format, `#` comments)."""
    lines = (MIGRATIONS / "released.sha256").read_text().splitlines()
    return {Path(path).name: digest for digest, path in
            (line.split(maxsplit=1) for line in lines if line.strip() and not line.startswith("#"))}


def test_released_migrations_are_unchanged():
    released = released_hashes()
    assert len(released) >= 20, "migrations/released.sha256 lists fewer migrations than were released"
    changed = [name for name, digest in released.items() if not (MIGRATIONS / name).exists()
               or hashlib.sha256((MIGRATIONS / name).read_bytes()).hexdigest() != digest]
    assert not changed, (f"released migrations changed or removed: {changed}. A released migration is immutable "
                         "(databases that applied it never run it again): put the change in a new migration.")
    rollbacks = [name for name in released if name.endswith(".rollback.sql")]
    assert not rollbacks, f"rollback files are not guarded (see the file's header): {rollbacks}"
    # a new migration numbered below the last released one would run out of order on upgraded databases
    last = max(released)
    unlisted = sorted(p.name for p in MIGRATIONS.glob("0*.sql")
                      if not p.name.endswith(".rollback.sql") and p.name < last and p.name not in released)
    assert not unlisted, f"migrations numbered below the last released one ({last}) must be released: {unlisted}"


def test_migrations_use_no_yoyo_directive():
    """The runner orders migrations by file name (it ignores yoyo's `depends`) and applies them all in one
    transaction (a `transactional: false` migration cannot run there): neither directive may appear."""
    using = [p.name for p in MIGRATIONS.glob("0*.sql")
             if re.search(r"^--\s*(depends|transactional)\s*:", p.read_text(), re.M | re.I)]
    assert not using, f"these migrations use a yoyo directive the runner does not support: {using}"


# ------------------------------------------------------------- functions/ and policies/ re-run: no one-time drops
_DROP = re.compile(r"\bdrop\s+(materialized\s+view|function|procedure|view|table|type|trigger|index|policy|schema|"
                   r"sequence|domain)\s+(?:if\s+exists\s+)?((?:\"[^\"]+\"|[\w.]+))(\s+on\s+[\w.]+)?", re.I)


def _strip(sql_text: str) -> str:
    """SQL without comments, string literals and dollar-quoted bodies (a drop inside a function body is code);
    quoted names stay (a policy's may hold an apostrophe). One left-to-right pass, as the SQL lexer reads."""
    token = re.compile(r"(\"[^\"]*\")|\$(\w*)\$.*?\$\2\$|'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", re.S)
    return token.sub(lambda m: m.group(1) or " ", sql_text)


def one_time_drops(sql_text: str) -> list[str]:
    """Drops a re-runnable file must not hold: any function drop (`create or replace` keeps a function in step;
    a signature or result change is a migration), and any other drop of an object the same file does not
    create again after it (`drop policy if exists p on t; create policy p on t` is the re-runnable form)."""
    text = _strip(sql_text)
    found = []
    for m in _DROP.finditer(text):
        kind, name, on = re.sub(r"\s+", " ", m.group(1).lower()), m.group(2), m.group(3) or ""
        if kind in ("function", "procedure"):
            found.append(f"drop {kind} {name}: a signature or result change goes in a numbered migration")
            continue
        kind_re, table = r"\s+".join(kind.split()), on.split()[-1] if on else ""
        create = re.compile(rf"\bcreate\s+(?:or\s+replace\s+)?(?:unique\s+)?{kind_re}\s+"
                            rf"(?:if\s+not\s+exists\s+)?{re.escape(name)}(?![\w\"])"
                            + (rf"[^;]*\bon\s+{re.escape(table)}\b" if table else ""), re.I)
        if not create.search(text, m.end()):
            found.append(f"drop {kind} {name}{on}: not created again in the same file; a one-time drop goes "
                         "in a numbered migration")
    return found


def test_one_time_drops_detector():
    """Guards the lint below from passing vacuously."""
    assert one_time_drops("drop function if exists private.f(int); create or replace function private.f(int)")
    assert one_time_drops("drop view if exists public.v;")
    assert one_time_drops('drop policy if exists "a" on public.t; create policy "a" on public.u using (true);')
    assert one_time_drops("drop table public.old_t; create table public.old_t_2 (id int);")
    assert not one_time_drops('drop policy if exists "a\'s b" on public.t;\n'
                              'create policy "a\'s b" on public.t using (x);')
    assert not one_time_drops("drop trigger if exists t on public.x; create trigger t after insert on public.x "
                              "for each row execute function f();")
    assert not one_time_drops("create function f() returns void language plpgsql as $$ begin "
                              "drop table if exists pg_temp.t; end $$; -- drop view v")
    assert not one_time_drops("drop view if exists v; -- the view's text\ncreate view v as select 'a''b';")


def test_functions_and_policies_hold_no_one_time_drops():
    found = [f"{path.parent.name}/{path.name}: {d}" for path in sorted(FUNCTIONS.glob("*.sql")) +
             sorted(POLICIES.glob("*.sql")) for d in one_time_drops(path.read_text())]
    assert not found, "functions/ and policies/ run on every migrate:\n" + "\n".join(found)


# ------------------------------------------------------------------ the foundation's rollback: ours only
def test_foundation_rollback_lists_every_public_function():
    """0001's rollback drops public functions by name: every one functions/ defines must be listed."""
    rollback = (MIGRATIONS / "0001_foundation.rollback.sql").read_text()
    listed = set(re.findall(r"'(\w+)'", re.search(r"v_functions text\[\] := array\[(.*?)\];", rollback, re.S)[1]))
    defined = {name for path in FUNCTIONS.glob("*.sql") for name in
               re.findall(r"create\s+(?:or\s+replace\s+)?function\s+public\.(\w+)", path.read_text(), re.I)}
    assert defined, "no public function found in functions/: the pattern is wrong"
    missing = sorted(defined - listed)
    assert not missing, f"add to v_functions in migrations/0001_foundation.rollback.sql: {missing}"


FOREIGN = """
create function public.other_app_fn() returns int language sql as 'select 1';
create table public.other_app_table (id int primary key);
create type public.other_app_mood as enum ('calm');
"""


def test_foundation_rollback_keeps_other_objects_in_public(empty_db_url):
    """A shared Supabase project: another app's function, table and type in public survive `rollback --all`;
    another app's view on our tables makes the rollback refuse up front, naming it, with nothing dropped."""
    from vic.errors import VicError
    from vic.migrate import migrate, rollback, status

    migrate(empty_db_url)
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        conn.execute(FOREIGN)
        conn.execute("create view public.other_app_view as select id from public.contacts")
    before, catalog = status(empty_db_url), snapshot(empty_db_url)
    with pytest.raises(VicError, match=r"objects outside the project: view public.other_app_view .*nothing was"):
        rollback(empty_db_url, all=True)
    assert status(empty_db_url) == before
    assert not diff(catalog, snapshot(empty_db_url)), "a refused rollback changed the catalog"

    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        conn.execute("drop view public.other_app_view")
    assert rollback(empty_db_url, all=True)
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        left = [r[0] for r in conn.execute(LEFTOVERS, {"schemas": ["public", "private"]})]
    assert [item.replace(" public.", " ") for item in left] == [
        "function other_app_fn()", "relation other_app_table", "type other_app_mood"], left
