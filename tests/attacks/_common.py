"""Small helpers the attack modules share: act as someone, and see what a call returned or raised. A committed
write is followed by the matcher (`drain`), as a worker would run it, so that its matches are there to read."""
from __future__ import annotations

from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from tests.harness import drain
from tests.world import act


def attempt(db: psycopg.Connection, actor: str, sql: str, params: Any = ()) -> str | None:
    """Run `sql` as `actor` (committed when it succeeds); None, or the SQLSTATE it raised."""
    try:
        with act(db, actor) as conn:
            conn.execute(sql, params)
    except psycopg.Error as exc:
        return exc.sqlstate
    drain(db)
    return None


def error(db: psycopg.Connection, actor: str, sql: str, params: Any = ()) -> tuple[str | None, str]:
    """Run `sql` as `actor` (rolled back); the SQLSTATE and message it raised (None, '' when it did not)."""
    try:
        with act(db, actor, rollback=True) as conn:
            conn.execute(sql, params).fetchall()
        return None, ""
    except psycopg.Error as exc:
        return exc.sqlstate, exc.diag.message_primary or ""


def rows(db: psycopg.Connection, actor: str, sql: str, params: Any = ()) -> list[tuple]:
    """What `actor` reads with `sql` (rolled back)."""
    with act(db, actor, rollback=True) as conn:
        return conn.execute(sql, params).fetchall()


def set_budget(db: psycopg.Connection, actor: str, request_id: str, criteria: dict) -> None:
    """Replace a request's criteria through the RPC as `actor` (committed); "dashboard" calls it as the
    connection's own user (postgres, as in the dashboard's SQL editor)."""
    if actor == "dashboard":
        db.execute("select public.update_request_criteria(%s, %s)", (request_id, Jsonb(criteria)))
    else:
        with act(db, actor) as conn:
            conn.execute("select public.update_request_criteria(%s, %s)", (request_id, Jsonb(criteria)))
    drain(db)


def file_request(db: psycopg.Connection, actor: str, customer: str | None, agent: str | None, criteria: dict) -> str:
    """create_request as `actor` (committed); the new request's id."""
    with act(db, actor) as conn:
        request = str(conn.execute(
            "select id from public.create_request(p_request_type => 'buy', p_criteria => %s, p_customer_id => %s,"
            " p_assigned_agent => %s)", (Jsonb(criteria), customer, agent)).fetchone()[0])
    drain(db)
    return request
