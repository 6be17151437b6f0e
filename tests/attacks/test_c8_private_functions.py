"""Attack class c8: helpers in schema `private` called directly.

The review, acting as `authenticated` (PostgREST's role; the dashboard's "act as" gives the same SQL
session), called `private.touch_deal` on any deal (moving its `last_activity_at` switched the other side's
stale-deal reminders off) and `private.open_deal` with a match id (a deal for the listing side on any
customer). Nothing in `private` is executable by `anon`, `authenticated` or `service_role` now: only triggers
and the security definer doors of docs/access.md reach it. The catalog lint
`private_function_executable_by_api` proves it for every function; these attacks run the calls as the
attackers would and check that nothing changed. The positive control runs the same call as the dashboard
(`postgres`), which may, so the probe would see a change.
"""
from __future__ import annotations

import psycopg
import pytest

from tests.world import WORLD as W, act, load

ATTACKERS = ("stranger", "customer", "owner_customer", "agent_anonymous", "agent_partial", "listing_agent",
             "broker", "admin", "owner", "service_role", "anon")


@pytest.fixture(scope="module")
def conn(module_db_url: str):
    with psycopg.connect(module_db_url, autocommit=True) as c:
        load(c)
        yield c


def _private_functions(conn: psycopg.Connection) -> list[tuple[str, int]]:
    """Every non-trigger function of private: (regprocedure, number of arguments)."""
    return conn.execute("""
        select p.oid::regprocedure::text, p.pronargs from pg_proc p
        where p.pronamespace = 'private'::regnamespace and p.prorettype <> 'trigger'::regtype
        order by 1""").fetchall()


def _deal_state(conn: psycopg.Connection) -> tuple:
    return conn.execute("select count(*), max(last_activity_at), string_agg(id::text, ',' order by id) from public.deals").fetchone()


@pytest.mark.parametrize("attacker", ATTACKERS)
def test_no_private_function_runs_for_an_api_role(conn: psycopg.Connection, attacker: str) -> None:
    functions = _private_functions(conn)
    assert len(functions) >= 10, "the catalog query found (almost) no private function: nothing was attacked"
    ran = []
    for fn, nargs in functions:
        try:
            with act(conn, attacker, rollback=True) as c:
                c.execute(f"select private.{fn.split('(')[0].removeprefix('private.')}({', '.join(['null'] * nargs)})")
            ran.append(fn)
        except psycopg.errors.InsufficientPrivilege:
            pass
    assert not ran, f"{attacker} ran private functions: {ran}"


@pytest.mark.parametrize("attacker", ["agent_anonymous", "agent_partial", "customer", "broker"])
def test_touching_another_sides_deal_changes_nothing(conn: psycopg.Connection, attacker: str) -> None:
    before = _deal_state(conn)
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for schema private"):
        with act(conn, attacker) as c:
            c.execute("select private.touch_deal(%s)", (W.deal,))
    assert _deal_state(conn) == before


@pytest.mark.parametrize("attacker", ["listing_agent", "agent_full", "broker"])
def test_opening_a_deal_from_a_given_match_changes_nothing(conn: psycopg.Connection, attacker: str) -> None:
    before = _deal_state(conn)
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for schema private"):
        with act(conn, attacker) as c:
            c.execute("select * from private.open_deal(%s, %s, %s, %s)",
                      (W.listing_b, W.customer, None, W.match))
    assert _deal_state(conn) == before


def test_positive_control_the_dashboard_reaches_private(conn: psycopg.Connection) -> None:
    """postgres (the dashboard, and the security definer doors' owner) runs the same helper, and the
    probe sees the change: the attacks above would notice one."""
    before = _deal_state(conn)
    with conn.transaction(force_rollback=True):
        conn.execute("update public.deals set last_activity_at = now() - interval '30 days' where id = %s", (W.deal,))
        mid = _deal_state(conn)
        conn.execute("select private.touch_deal(%s)", (W.deal,))
        assert _deal_state(conn) != mid
    assert _deal_state(conn) == before
