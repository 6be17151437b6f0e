"""Attack class c6: reads that outlive their reason.

An agent once notified about (or once assigned) a request keeps nothing after the request goes to
another office; brokers read no raw market signals (customer ids, criteria of every office), only the
aggregate report; and nobody but the database records a signal.
"""
from __future__ import annotations

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.attacks._common import attempt, error, file_request, rows
from tests.world import WORLD as W, act, load

CRITERIA = {"districts": ["Kadıköy"], "types": ["daire"], "max_price": 13_000_000}


@pytest.fixture
def world(db: psycopg.Connection) -> psycopg.Connection:
    load(db)
    return db


def _reads(db: psycopg.Connection, actor: str, request_id: str) -> dict[str, bool]:
    return {
        "request": bool(rows(db, actor, "select 1 from public.requests where id = %s", (request_id,))),
        "match": bool(rows(db, actor, "select 1 from public.portfolio_request_matches where request_id = %s", (request_id,))),
        "explain": error(db, actor, "select * from public.explain_match(%s, %s)", (W.listing, request_id))[0] is None,
    }


def test_a_notified_or_former_agent_keeps_nothing_after_reassignment(world: psycopg.Connection) -> None:
    db = world
    # a customer's unassigned request matches 2026-001 and notifies its listing agent
    request = file_request(db, "customer", None, None, CRITERIA)
    notified = db.execute("select notified_agent_id::text from public.portfolio_request_matches where request_id = %s",
                          (request,)).fetchone()[0]
    assert notified == W.listing_agent
    assert _reads(db, "listing_agent", request)["match"], "positive control: the listing side reads the unassigned match"
    # the bot gives it to an agent of the other office, then a broker... staff move it again
    with act(db, "service_role") as conn:
        conn.execute("select public.assign_request(%s, %s)", (request, W.agent_partial))
    assert _reads(db, "agent_partial", request) == {"request": True, "match": True, "explain": True}
    with act(db, "admin") as conn:
        conn.execute("select public.assign_request(%s, %s)", (request, W.agent_anonymous))
    nothing = {"request": False, "match": False, "explain": False}
    for former in ("listing_agent", "broker", "agent_partial"):
        assert _reads(db, former, request) == nothing, former
    assert _reads(db, "agent_anonymous", request) == {"request": True, "match": True, "explain": True}


def test_brokers_read_no_raw_signals_and_nobody_forges_one(world: psycopg.Connection) -> None:
    db = world
    assert rows(db, "admin", "select source_id from public.market_signals where id = %s", (W.signal,)), \
        "positive control: staff read the raw signal"
    for actor in ("broker", "listing_agent", "owner_customer"):
        assert rows(db, actor, "select source_id, parsed_criteria from public.market_signals") == [], actor
    # the report is aggregates without identities, for brokers
    with act(db, "broker", rollback=True) as conn:
        cur = conn.execute("select * from public.unmet_demand(now() - interval '1 day', now() + interval '1 minute')")
        assert {c.name for c in cur.description} == {"district", "type", "currency", "price_band_min", "price_band_max", "signals"}
    # nobody inserts a signal: not a broker skewing the report, not a customer, not staff
    before = db.execute("select count(*) from public.market_signals").fetchone()[0]
    for actor in ("broker", "owner_customer", "listing_agent", "admin"):
        assert attempt(db, actor, "insert into public.market_signals (source_type, source_id, parsed_criteria, match_count)"
                       " values ('search', %s, %s, 0)", (W.subject(actor), Jsonb({"districts": ["Adalar"]}))) == "42501", actor
    assert db.execute("select count(*) from public.market_signals").fetchone()[0] == before
    # positive control: the database still records them (a search, a request)
    with act(db, "agent_anonymous") as conn:
        conn.execute("select * from public.search_portfolios(p_query => 'kadıköy')").fetchall()
    file_request(db, "customer", None, None, {"districts": ["Adalar"]})
    assert db.execute("select count(*) from public.market_signals").fetchone()[0] == before + 2
