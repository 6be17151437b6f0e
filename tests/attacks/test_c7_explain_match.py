"""Attack class c7 (explain_match): a refused call looks the same whether the row exists or not.

The attacker, the listing agent, asks explain_match about its own listing against a request of
another office (which matches), a request that does not exist, and a listing that does not exist; every
answer is the same 42501 (ids aside). The request's agent and staff get the answer (positive control);
staff and the bot learn that a missing pair is missing (VC003).
"""
from __future__ import annotations

import psycopg
import pytest

from tests.attacks._common import error, file_request, rows
from tests.world import WORLD as W, load

MISSING_REQUEST = "00000000-0000-4000-9c70-00000000dead"
MISSING_LISTING = "2026-999"
SQL = "select * from public.explain_match(%s, %s)"


@pytest.fixture
def world(db: psycopg.Connection) -> psycopg.Connection:
    load(db)
    return db


def test_refusals_do_not_tell_existing_from_missing(world: psycopg.Connection) -> None:
    db = world
    theirs = file_request(db, "service_role", W.customer, W.agent_anonymous,
                          {"districts": ["Kadıköy"], "types": ["daire"], "max_price": 12_000_000})
    probes = [(W.listing, theirs), (W.listing, MISSING_REQUEST), (MISSING_LISTING, theirs), (MISSING_LISTING, MISSING_REQUEST),
              (W.listing_b, theirs)]
    answers = set()
    for listing, request in probes:
        sqlstate, message = error(db, "listing_agent", SQL, (listing, request))
        answers.add((sqlstate, message.replace(listing, "L").replace(request, "R")))
    assert answers == {("42501", "match of listing L and request R: not found or not yours")}
    # the customer and an agent of another office get the same
    for actor in ("customer", "agent_partial"):
        assert error(db, actor, SQL, (W.listing, theirs))[0] == "42501"
    # positive controls
    assert rows(db, "agent_anonymous", SQL, (W.listing, theirs))
    assert rows(db, "admin", SQL, (W.listing, theirs))
    assert error(db, "admin", SQL, (MISSING_LISTING, MISSING_REQUEST))[0] == "VC003"
    assert error(db, "service_role", SQL, (W.listing, MISSING_REQUEST))[0] == "VC003"
