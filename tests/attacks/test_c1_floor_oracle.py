"""Attack class c1: the floor price must not leak through matching.

A match exists when the listing's floor is within a request's budget, so whoever controls a request
and can watch its matches could binary-search the floor. The attacks, as the attacker runs them:

(a) the routes that gave an attacker a request of its own: an agent filing a request with itself as the
    customer, a customer giving its own request an agent (itself or any) — by RPC and by direct
    insert/update, as PostgREST allows — are refused and leave nothing behind;
(b) with a legitimate request (an agent serving a real customer; the dashboard moving the budget so that
    the daily limit does not stop it), a binary search over max_price learns at most the floor's band: the
    smallest matching budget is the band floor, and every floor in the band gives the same answer to
    every budget (an upper bound on what any number of moves reveals: at least 2% of the listed price);
(c) the 4th budget change in 24 hours is VC004 and writes nothing; each change is recorded;
(d) explain_match on one's own listing against another office's request is 42501, as for a missing id.
"""
from __future__ import annotations

import math

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.attacks._common import attempt, error, file_request, rows, set_budget
from tests.harness import drain
from tests.world import WORLD as W, act, load

LISTED = 12_500_000   # 2026-001's listed price (public to its cards at full level)
FLOOR = 11_800_000    # 2026-001's confidential floor
STEP = LISTED * 0.02  # the documented band step
BASE = {"districts": ["Kadıköy"], "types": ["daire"]}
MISSING = "00000000-0000-4000-9c10-00000000dead"

# the attacker of (a): Can Demir, agent of the other office; the customer of (a): Ahmet Yıldız
AGENT, CUSTOMER = W.agent_anonymous, W.customer


@pytest.fixture
def world(db: psycopg.Connection) -> psycopg.Connection:
    load(db)
    return db


def _count(db: psycopg.Connection, sql: str, *params: object) -> int:
    return db.execute(sql, params).fetchone()[0]


def _matched(db: psycopg.Connection, actor: str, request_id: str) -> bool:
    return bool(rows(db, actor, "select 1 from public.portfolio_request_matches where portfolio_id = %s and request_id = %s",
                     (W.listing, request_id)))


# ------------------------------------------------------------------------------------------- (a)
def test_a_no_request_of_ones_own(world: psycopg.Connection) -> None:
    db = world
    before = _count(db, "select count(*) from public.requests")
    notes_before = _count(db, "select count(*) from public.pending_notifications")
    catch_all = Jsonb({"max_price": 12_000_000})
    # an agent files for itself: RPC and direct insert
    assert attempt(db, "agent_anonymous", "select public.create_request('buy', %s, %s, %s)", (catch_all, AGENT, AGENT)) == "42501"
    assert attempt(db, "agent_anonymous", "insert into public.requests (customer_id, assigned_agent, request_type, criteria)"
                   " values (%s, %s, 'buy', %s)", (AGENT, AGENT, catch_all)) == "42501"
    # nor for a customer it does not serve
    assert attempt(db, "agent_anonymous", "select public.create_request('buy', %s, %s, %s)", (catch_all, CUSTOMER, AGENT)) == "42501"
    # a customer gives its own request itself or an agent as assigned_agent: RPC and direct insert
    for agent in (CUSTOMER, AGENT, W.listing_agent):
        assert attempt(db, "customer", "select public.create_request('buy', %s, null, %s)", (catch_all, agent)) == "42501"
        assert attempt(db, "customer", "insert into public.requests (customer_id, assigned_agent, request_type, criteria)"
                       " values (%s, %s, 'buy', %s)", (CUSTOMER, agent, catch_all)) == "42501"
    assert _count(db, "select count(*) from public.requests") == before
    assert _count(db, "select count(*) from public.pending_notifications") == notes_before

    # positive control: the customer's own request, unassigned, is allowed (and notifies only the listing side)
    mine = file_request(db, "customer", None, None, {"max_price": 12_000_000})
    assert db.execute("select status, assigned_agent from public.requests where id = %s", (mine,)).fetchone() == ("new", None)
    # then it tries to take it over: direct update, assign_request: refused, nothing changes
    for agent in (CUSTOMER, AGENT):
        assert attempt(db, "customer", "update public.requests set assigned_agent = %s where id = %s", (agent, mine)) == "42501"
    assert attempt(db, "customer", "select public.assign_request(%s, %s)", (mine, AGENT)) == "42501"
    assert attempt(db, "agent_anonymous", "select public.assign_request(%s)", (mine,)) == "42501"
    # an agent cannot make itself the customer of a request it holds, nor hand its request around
    served = file_request(db, "service_role", CUSTOMER, AGENT, BASE)
    assert attempt(db, "agent_anonymous", "update public.requests set customer_id = %s where id = %s", (AGENT, served)) == "42501"
    assert attempt(db, "agent_anonymous", "update public.requests set assigned_agent = %s where id = %s",
                   (W.agent_partial, served)) == "42501"
    assert db.execute("select customer_id::text, assigned_agent from public.requests where id = %s", (mine,)).fetchone() == \
        (CUSTOMER, None)
    assert not rows(db, "customer", "select 1 from public.pending_notifications where contact_id = %s", (CUSTOMER,))
    # positive control: the bot (and a broker, staff) assign it
    assert attempt(db, "service_role", "select public.assign_request(%s, %s)", (mine, AGENT)) is None


# ------------------------------------------------------------------------------------------- (b)
def _band(floor: int) -> int:
    return min((floor * 50 // LISTED) * LISTED // 50, LISTED)


def test_b_budget_search_learns_at_most_the_band(world: psycopg.Connection) -> None:
    db = world
    # a legitimate request: the bot gives the other office's agent a real customer
    request = file_request(db, "service_role", CUSTOMER, AGENT, {**BASE, "max_price": LISTED})
    assert _matched(db, "agent_anonymous", request), "positive control: at the listed price it matches"

    observations: dict[int, bool] = {}

    def probe(budget: int) -> bool:
        set_budget(db, "dashboard", request, {**BASE, "max_price": budget})  # the dashboard: no daily limit
        observations[budget] = _matched(db, "agent_anonymous", request)          # the attacker watches
        return observations[budget]

    lo, hi = 1, LISTED  # invariant: probe(hi) matches; the smallest matching budget is in [lo, hi]
    while lo < hi:
        mid = (lo + hi) // 2
        if probe(mid):
            hi = mid
        else:
            lo = mid + 1
    smallest = hi
    assert smallest == _band(FLOOR) == 11_750_000, "the search finds the band floor, not the floor"
    assert smallest < FLOOR

    # the floors consistent with every observation (a budget b matches iff band(floor) <= b)
    lower, upper = 0.0, float(LISTED)  # floor in [lower, upper)
    for budget, matched in observations.items():
        edge = (math.floor(budget / STEP) + 1) * STEP  # band(f) <= budget  <=>  f < edge
        if matched:
            upper = min(upper, edge)
        else:
            lower = max(lower, edge)
    assert lower <= FLOOR < upper, "the true floor is consistent with what the attacker saw"
    assert upper - lower >= 0.02 * LISTED, f"the attacker narrowed the floor to {lower:.0f}..{upper:.0f}"

    # and no further budget move can narrow it: the extreme floors of the interval answer every budget alike
    def replay(floor: int) -> dict[int, bool]:
        db.execute("update public.portfolio_confidential set min_price = %s where portfolio_id = %s", (floor, W.listing))
        db.commit()
        return {budget: probe(budget) for budget in sorted(observations)}

    seen = dict(observations)
    for alternative in (math.ceil(lower), math.ceil(upper) - 1):
        assert replay(alternative) == seen, f"floor {alternative} answers some budget differently"


# ------------------------------------------------------------------------------------------- (c)
def test_c_budget_changes_are_limited_and_recorded(world: psycopg.Connection) -> None:
    db = world
    request = file_request(db, "service_role", CUSTOMER, AGENT, {**BASE, "max_price": 13_000_000})
    for budget in (12_000_000, 11_000_000, 11_500_000):  # three changes: allowed
        set_budget(db, "agent_anonymous", request, {**BASE, "max_price": budget})
    criteria = db.execute("select criteria from public.requests where id = %s", (request,)).fetchone()[0]
    matches = db.execute("select portfolio_id, match_score from public.portfolio_request_matches where request_id = %s",
                         (request,)).fetchall()
    recorded = db.execute("select old_max_price, new_max_price, changed_by::text from private.request_budget_changes"
                          " where request_id = %s order by id", (request,)).fetchall()
    assert recorded == [(13_000_000, 12_000_000, AGENT), (12_000_000, 11_000_000, AGENT), (11_000_000, 11_500_000, AGENT)]
    # the fourth, by RPC and by direct update, min_price or max_price: VC004, nothing written
    for sql, params in [
        ("select public.update_request_criteria(%s, %s)", (request, Jsonb({**BASE, "max_price": 11_800_000}))),
        ("update public.requests set criteria = %s where id = %s", (Jsonb({**BASE, "max_price": 11_800_000}), request)),
        ("update public.requests set criteria = %s where id = %s",
         (Jsonb({**BASE, "min_price": 1, "max_price": 11_500_000}), request)),
    ]:
        sqlstate, message = error(db, "agent_anonymous", sql, params)
        assert sqlstate == "VC004" and "criteria.max_price/min_price" in message and "3" in message, message
    assert db.execute("select criteria from public.requests where id = %s", (request,)).fetchone()[0] == criteria
    assert db.execute("select portfolio_id, match_score from public.portfolio_request_matches where request_id = %s",
                      (request,)).fetchall() == matches
    assert len(db.execute("select 1 from private.request_budget_changes where request_id = %s", (request,)).fetchall()) == 3
    # a change that leaves the budget alone is no budget change
    set_budget(db, "agent_anonymous", request, {"districts": ["Kadıköy"], "max_price": 11_500_000})
    # the bot acts for the customer: limited too
    assert error(db, "service_role", "select public.update_request_criteria(%s, %s)",
                 (request, Jsonb({**BASE, "max_price": 11_900_000})))[0] == "VC004"
    # the dashboard (a data fix) is not limited, and still recorded
    set_budget(db, "dashboard", request, {**BASE, "max_price": 11_900_000})
    assert len(db.execute("select 1 from private.request_budget_changes where request_id = %s", (request,)).fetchall()) == 4
    # nobody reads or writes the record directly
    assert attempt(db, "agent_anonymous", "select 1 from private.request_budget_changes") == "42501"
    assert attempt(db, "admin", "insert into private.request_budget_changes (request_id) values (%s)", (request,)) == "42501"


# ------------------------------------------------------------------------------------------- (d)
def test_d_explain_match_is_no_budget_oracle(world: psycopg.Connection) -> None:
    db = world
    theirs = file_request(db, "service_role", CUSTOMER, AGENT, {**BASE, "max_price": 12_000_000})
    assert _matched(db, "admin", theirs), "the pair matches"
    sql = "select * from public.explain_match(%s, %s)"
    refused = error(db, "listing_agent", sql, (W.listing, theirs))
    missing = error(db, "listing_agent", sql, (W.listing, MISSING))
    assert refused[0] == missing[0] == "42501"
    assert refused[1].replace(theirs, "ID") == missing[1].replace(MISSING, "ID")
    # moving its own listed price and re-reading its matches tells the listing agent nothing either
    for price in (12_000_000, 12_500_000):
        with act(db, "listing_agent") as conn:
            conn.execute("select public.update_listing(p_portfolio_id => %s, p_listed_price => %s)", (W.listing, price))
        drain(db)
        assert not rows(db, "listing_agent", "select 1 from public.portfolio_request_matches where request_id = %s", (theirs,))
        assert error(db, "listing_agent", sql, (W.listing, theirs))[0] == "42501"
    # positive controls: the request's agent and staff explain it
    assert rows(db, "agent_anonymous", sql, (W.listing, theirs))
    assert rows(db, "admin", sql, (W.listing, theirs))
