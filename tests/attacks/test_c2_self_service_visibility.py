"""Attack class c2: no request an agent can file unlocks more than its real customer's matches.

A catch-all request (no criteria) assigned to an agent grants that agent partial visibility of every
listing it matches. The attacker, an agent of the other office, tries to file one for itself (refused,
by RPC and direct insert: no grant); files one for a customer it really serves (allowed: grants only
on that request's matches); and a customer's own unassigned catch-all grants visibility to nobody.
"""
from __future__ import annotations

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.attacks._common import attempt, file_request
from tests.world import WORLD as W, load

AGENT, CUSTOMER = W.agent_anonymous, W.customer


@pytest.fixture
def world(db: psycopg.Connection) -> psycopg.Connection:
    load(db)
    # more listings of the listing's office, of every kind: a catch-all would match them all
    db.execute("""
        insert into public.portfolios (agent_id, type, listing_type, title, district, rooms, listed_price, currency)
        values (%(a)s, 'villa', 'sale', 'Villa', 'Beykoz', '5+2', 40000000, 'TRY'),
               (%(a)s, 'daire', 'sale', 'Daire', 'Üsküdar', '2+1', 6000000, 'TRY'),
               (%(a)s, 'arsa', 'sale', 'Arsa', 'Şile', null, 3000000, 'TRY')""", {"a": W.listing_agent})
    db.commit()
    return db


def _grants(db: psycopg.Connection, agent: str) -> set[tuple[str, str]]:
    return set(db.execute("select portfolio_id, visibility_level from public.agent_visibility where agent_id = %s",
                          (agent,)).fetchall())


def test_an_agent_cannot_file_a_catch_all_for_itself(world: psycopg.Connection) -> None:
    db = world
    before = _grants(db, AGENT)
    for criteria in ({}, {"currency": "TRY"}):
        assert attempt(db, "agent_anonymous", "select public.create_request('buy', %s, %s, %s)",
                       (Jsonb(criteria), AGENT, AGENT)) == "42501"
        assert attempt(db, "agent_anonymous", "insert into public.requests (customer_id, assigned_agent, request_type, criteria)"
                       " values (%s, %s, 'buy', %s)", (AGENT, AGENT, Jsonb(criteria))) == "42501"
    assert _grants(db, AGENT) == before


def test_a_catch_all_for_a_served_customer_grants_only_its_matches(world: psycopg.Connection) -> None:
    db = world
    before = _grants(db, AGENT)
    # the bot gives the agent a real customer (a narrow request), then the agent files that customer's catch-all
    file_request(db, "service_role", CUSTOMER, AGENT, {"districts": ["Beşiktaş"], "types": ["daire"]})
    catch_all = file_request(db, "agent_anonymous", CUSTOMER, AGENT, {})
    matched = {r[0] for r in db.execute("select portfolio_id from public.portfolio_request_matches where request_id = %s",
                                        (catch_all,))}
    assert matched, "positive control: the catch-all matches the sale listings"
    new = _grants(db, AGENT) - before
    assert {pid for pid, _ in new} <= matched
    assert all(level == "partial" for _, level in new)
    # every grant the agent holds is explained by a request it holds (or was there before)
    held = {r[0] for r in db.execute(
        "select m.portfolio_id from public.portfolio_request_matches m join public.requests r on r.id = m.request_id"
        " where r.assigned_agent = %s", (AGENT,))}
    assert {pid for pid, _ in _grants(db, AGENT)} <= held | {pid for pid, _ in before}


def test_a_customers_unassigned_catch_all_grants_nobody(world: psycopg.Connection) -> None:
    db = world
    before = set(db.execute("select portfolio_id, agent_id, visibility_level from public.agent_visibility").fetchall())
    request = file_request(db, "customer", None, None, {})
    assert db.execute("select count(*) from public.portfolio_request_matches where request_id = %s", (request,)).fetchone()[0] > 0
    assert set(db.execute("select portfolio_id, agent_id, visibility_level from public.agent_visibility").fetchall()) == before
