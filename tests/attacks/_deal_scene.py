"""The scene the deal attacks (classes 3, 4, 5 and open_deal of 7) share: the world of tests/world.py plus a
co-broking deal, and small helpers to act and see what a statement returned or raised.

Added to the world (as the superuser, so that attacks start from a known state):

- `REQUEST_C`: a buy request of `customer` (Kadıköy 3+1), assigned to agent_partial (Boğaziçi office);
- `DEAL_C`: 2026-001 x customer, listing_agent (Moda Emlak) with agent_partial as buying agent (co-broking),
  status showing, idle for ten days (a follow-up is due);
- `MATCH_C`: the match 2026-001 x REQUEST_C (another office's request on the listing agent's listing);
- `MATCH_OWN`: the match 2026-002 x the lead's rent request (the listing agent's own customer).
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests.world import WORLD as W, act, load


def _id(n: int) -> str:
    return f"00000000-0000-4000-9000-{n:012d}"


REQUEST_C = _id(201)
DEAL_C = _id(202)
MATCH_C = _id(203)
MATCH_OWN = _id(204)
MISSING = _id(299)  # no row has it

SCENE_SQL = f"""
insert into public.requests (id, customer_id, assigned_agent, request_type, criteria, status)
  values ('{REQUEST_C}', '{W.customer}', '{W.agent_partial}', 'buy',
          '{{"districts": ["Kadıköy"], "types": ["daire"], "rooms": ["3+1"], "max_price": 13000000, "currency": "TRY"}}',
          'assigned');
insert into public.deals (id, portfolio_id, customer_id, listing_agent_id, buying_agent_id, request_id, created_by)
  values ('{DEAL_C}', '{W.listing}', '{W.customer}', '{W.listing_agent}', '{W.agent_partial}', '{REQUEST_C}',
          '{W.agent_partial}');
update public.deals set status = 'showing' where id = '{DEAL_C}';
update public.deals set last_activity_at = now() - interval '10 days' where id = '{DEAL_C}';
delete from public.portfolio_request_matches where (portfolio_id, request_id) = ('{W.listing}', '{REQUEST_C}');
insert into public.portfolio_request_matches (id, portfolio_id, request_id, match_score, trigger_type)
  values ('{MATCH_C}', '{W.listing}', '{REQUEST_C}', 5, 'request');
delete from public.portfolio_request_matches m using public.requests r
  where r.id = m.request_id and r.customer_id = '{W.lead}' and m.portfolio_id = '{W.listing_b}';
insert into public.portfolio_request_matches (id, portfolio_id, request_id, match_score, trigger_type)
  select '{MATCH_OWN}', '{W.listing_b}', r.id, 1, 'request' from public.requests r where r.customer_id = '{W.lead}';
"""


@pytest.fixture(scope="module")
def scene_db(module_db_url: str) -> Iterator[psycopg.Connection]:
    """The module's database: the world plus the scene, autocommit; attacks roll back or assert the state."""
    with psycopg.connect(module_db_url, autocommit=True) as conn:
        load(conn)
        conn.execute(SCENE_SQL.encode())
        yield conn


@pytest.fixture
def db(scene_db: psycopg.Connection) -> psycopg.Connection:
    if scene_db.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        scene_db.rollback()
    return scene_db


def error(conn: psycopg.Connection, actor: str, sql: str, params: Any = None) -> tuple[str | None, str]:
    """Run `sql` as `actor`, committed when it succeeds (an attack that works leaves its mark); the SQLSTATE
    and message it raised, (None, '') when it did not."""
    try:
        with act(conn, actor) as c:
            cur = c.execute(sql, params)
            if cur.description:
                cur.fetchall()
        return None, ""
    except psycopg.Error as exc:
        return exc.sqlstate, exc.diag.message_primary or ""


def rows(conn: psycopg.Connection, actor: str, sql: str, params: Any = None) -> list[tuple]:
    """What `actor` reads or changes with `sql` (rolled back)."""
    with act(conn, actor, rollback=True) as c:
        cur = c.execute(sql, params)
        return cur.fetchall() if cur.description else [(cur.rowcount,)]


def db_value(conn: psycopg.Connection, sql: str, params: Any = None) -> Any:
    """One value read as the superuser (the truth, whatever an attacker sees)."""
    row = conn.execute(sql, params).fetchone()
    return row[0] if row else None
