"""migrations/ and db/ must build the same catalog (ARCHITECTURE: the declarative schema is checked)."""
from __future__ import annotations

import psycopg
import pytest

from tests.catalog import diff, snapshot


def test_migrations_and_declarative_schema_give_the_same_catalog(new_empty_db):
    from vic.migrate import apply_declarative, migrate

    via_migrations, via_db = new_empty_db(), new_empty_db()
    migrate(via_migrations)
    apply_declarative(via_db)
    a, b = snapshot(via_migrations), snapshot(via_db)
    assert "relation public." in a, "the migrated database has no table in public: nothing was compared"
    d = diff(a, b, "catalog after migrations/", "catalog after db/")
    if d:
        pytest.fail("migrations/ and db/ disagree (- migrations, + db):\n" + d, pytrace=False)


# A small schema with one object of each kind the snapshot claims to cover.
BASE = """
create schema probe;
create type probe.mood as enum ('calm', 'busy');
create sequence probe.counter;
create table probe.thing (
    id bigint generated always as identity primary key,
    name text not null default 'x' check (name <> ''),
    mood probe.mood
);
comment on table probe.thing is 'a thing';
create index thing_name on probe.thing (name);
create function probe.touch() returns trigger language plpgsql as $$ begin return new; end $$;
create trigger thing_touch before update on probe.thing for each row execute function probe.touch();
alter table probe.thing enable row level security;
create policy "everyone reads" on probe.thing for select using (true);
create view probe.names as select name from probe.thing;
"""

# Each change must show up in the diff, and the diff must name what changed.
CHANGES = {
    "add column": ("alter table probe.thing add column extra int", "probe.thing.extra"),
    "column type": ("alter table probe.thing alter column mood type text", "type text"),
    "column default": ("alter table probe.thing alter column name set default 'y'", "'y'::text"),
    "not null": ("alter table probe.thing alter column mood set not null", "not_null true"),
    "column comment": ("comment on column probe.thing.name is 'the name'", "the name"),
    "table comment": ("comment on table probe.thing is 'another thing'", "another thing"),
    "force rls": ("alter table probe.thing force row level security", "force_rls true"),
    "rls off": ("alter table probe.thing disable row level security", "rls false"),
    "table grant": ("grant select on probe.thing to public", "=r/"),
    "constraint": ("alter table probe.thing add constraint short check (length(name) < 9)", "short"),
    "constraint body": ("alter table probe.thing drop constraint thing_name_check, "
                        "add constraint thing_name_check check (name <> 'z')", "'z'::text"),
    "index": ("create index thing_mood on probe.thing (mood)", "thing_mood"),
    "index definition": ("drop index probe.thing_name; create index thing_name on probe.thing (lower(name))",
                         "lower(name)"),
    "trigger": ("drop trigger thing_touch on probe.thing; create trigger thing_touch after insert "
                "on probe.thing for each row execute function probe.touch()", "AFTER INSERT"),
    "policy": ("alter policy \"everyone reads\" on probe.thing using (name <> 'secret')", "secret"),
    "function body": ("create or replace function probe.touch() returns trigger language plpgsql "
                      "as $$ begin new.name := 'n'; return new; end $$", "new.name"),
    "function config": ("alter function probe.touch() set search_path = ''", "search_path"),
    "security definer": ("alter function probe.touch() security definer", "security_definer true"),
    "function acl": ("revoke execute on function probe.touch() from public", "acl {postgres=X/postgres}"),
    "new function": ("create function probe.extra() returns int language sql as 'select 1'", "probe.extra()"),
    "view": ("create or replace view probe.names as select name from probe.thing where id > 0", "id > 0"),
    "enum label": ("alter type probe.mood add value 'sleepy'", "sleepy"),
    "sequence": ("alter sequence probe.counter increment by 5", "increment 5"),
    "extension": ("create extension if not exists pg_trgm with schema probe", "extension pg_trgm"),
    "schema acl": ("grant usage on schema probe to public", "=U/"),
    "default privileges": ("alter default privileges in schema probe grant select on tables to public",
                           "default_privileges"),
}


def test_snapshot_sees_each_kind_of_difference(pg_server, empty_db_url):
    """Guards the comparison above from passing vacuously: every change must appear in the diff."""
    missed = []
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        conn.execute(BASE)
        base = snapshot(conn)
        for label, (ddl, expected) in CHANGES.items():
            conn.execute("begin")
            try:
                conn.execute(ddl)
                d = diff(base, snapshot(conn))
            finally:
                conn.execute("rollback")
            if not d or expected not in d:
                missed.append(f"{label}: `{ddl}` (expected {expected!r} in the diff)\n{d}")
        assert snapshot(conn) == base, "rolling back a change did not restore the snapshot"
    if missed:
        pytest.fail("the catalog snapshot missed these changes:\n" + "\n".join(missed), pytrace=False)


def test_snapshot_ignores_column_order(new_empty_db):
    """A column added later by a migration lands last; db/ may declare it anywhere."""
    a, b = new_empty_db(), new_empty_db()
    with psycopg.connect(a, autocommit=True) as conn:
        conn.execute("create table public.t (id int primary key, x text, y int)")
    with psycopg.connect(b, autocommit=True) as conn:
        conn.execute("create table public.t (id int primary key, y int)")
        conn.execute("alter table public.t add column x text")
    assert not diff(snapshot(a), snapshot(b))
