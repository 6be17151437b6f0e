"""db/supabase_compat.sql: gives a plain PostgreSQL what Supabase has, and changes nothing where it exists."""
from __future__ import annotations

import psycopg
import pytest

from tests.catalog import diff, snapshot
from vic import paths

SUB = "6f1c2a9e-0b7d-4c1e-9a51-3d2f8e7b6a10"


def run_compat(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(paths.COMPAT_SQL.read_bytes())


def test_auth_functions_read_the_jwt_claims_as_supabase_does(db: psycopg.Connection) -> None:
    with db.transaction():
        db.execute("select set_config('request.jwt.claims', %s, true)",
                   (f'{{"sub": "{SUB}", "role": "authenticated", "phone": "905321234567"}}',))
        assert db.execute("select auth.uid()::text, auth.role(), auth.jwt() ->> 'phone'").fetchone() == (
            SUB, "authenticated", "905321234567")
    with db.transaction():  # no claims: nobody
        assert db.execute("select auth.uid(), auth.role(), auth.jwt()").fetchone() == (None, None, None)
    with db.transaction():  # the legacy per-claim setting wins, as in Supabase's definition
        db.execute("select set_config('request.jwt.claims', %s, true)", ('{"sub": "%s"}' % SUB,))
        db.execute("select set_config('request.jwt.claim.sub', '00000000-0000-0000-0000-000000000001', true)")
        assert str(db.execute("select auth.uid()").fetchone()[0]) == "00000000-0000-0000-0000-000000000001"


def test_roles_as_on_supabase(db: psycopg.Connection) -> None:
    rows = {name: flags for name, *flags in db.execute(
        "select rolname, rolcanlogin, rolinherit, rolbypassrls from pg_roles "
        "where rolname in ('anon', 'authenticated', 'service_role')")}
    assert rows == {"anon": [False, False, False], "authenticated": [False, False, False],
                    "service_role": [False, False, True]}


def test_rerun_changes_nothing(db_url: str) -> None:
    before = snapshot(db_url)
    run_compat(db_url)
    d = diff(before, snapshot(db_url), "before", "after a second run")
    if d:
        pytest.fail("re-running the compatibility script changed the catalog:\n" + d, pytrace=False)


def test_existing_supabase_objects_are_left_alone(empty_db_url: str) -> None:
    # A Supabase project already has auth.uid() and auth.users, with definitions of its own.
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        conn.execute("""
            create schema auth;
            create table auth.users (id uuid primary key, aud varchar(255), instance_id uuid);
            create function auth.uid() returns uuid language sql stable
              as $$ select '00000000-0000-0000-0000-0000000000aa'::uuid $$;""")
    run_compat(empty_db_url)
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        assert str(conn.execute("select auth.uid()").fetchone()[0]) == "00000000-0000-0000-0000-0000000000aa"
        columns = [r[0] for r in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'auth' "
            "and table_name = 'users' order by ordinal_position")]
        assert columns == ["id", "aud", "instance_id"]
        assert conn.execute("select to_regprocedure('auth.jwt()') is not null").fetchone()[0]
