"""Attack class c7 (open_deal): permission is checked first, so a refused call looks the same whether the
listing, match or request exists or not, and says nothing about whose request it is; a match id merely given
opens no deal: its listing must be the caller's and its request the caller's or of the listing's office."""
from __future__ import annotations

from tests.attacks._deal_scene import (MATCH_C, MATCH_OWN, MISSING, REQUEST_C, db, db_value, error,  # noqa: F401
                                       rows, scene_db)
from tests.world import WORLD as W

OPEN = "select * from public.open_deal(%s, %s, %s, %s)"
DEALS = "select count(*) from public.deals"


def test_a_refused_open_deal_says_the_same_for_existing_and_missing_rows(db) -> None:
    before = db_value(db, DEALS)
    for actor in ("listing_agent", "agent_anonymous", "broker"):
        answers = {
            # another office's request (the Boğaziçi agent's customer), with the right and a wrong customer
            "other office's request": error(db, actor, OPEN, (None, W.listing, None, REQUEST_C)),
            "other office's request, its customer": error(db, actor, OPEN, (None, W.listing, W.customer, REQUEST_C)),
            "other office's request, a wrong customer": error(db, actor, OPEN, (None, W.listing, W.lead, REQUEST_C)),
            "a missing request": error(db, actor, OPEN, (None, W.listing, None, MISSING)),
            "a missing request, a customer": error(db, actor, OPEN, (None, W.listing, W.lead, MISSING)),
            "a missing listing": error(db, actor, OPEN, (None, "2099-999", None, REQUEST_C)),
        }
        assert len(set(answers.values())) == 1, f"{actor}: {answers}"
        state, message = next(iter(answers.values()))
        assert state == "42501" and "customer_id is not" not in message
    assert db_value(db, DEALS) == before


def test_a_merely_given_match_opens_no_deal(db) -> None:
    before = db_value(db, DEALS)
    # the listing agent's own listing, matched with another office's request: the customer is not its to harvest
    harvest = error(db, "listing_agent", OPEN, (MATCH_C, None, None, None))
    missing = error(db, "listing_agent", OPEN, (MISSING, None, None, None))
    assert harvest == missing and harvest[0] == "42501", (harvest, missing)
    # nor for anyone else who names it
    for actor in ("agent_anonymous", "agent_full", "customer", "owner_customer", "stranger"):
        assert error(db, actor, OPEN, (MATCH_C, None, None, None)) == error(db, actor, OPEN, (MISSING, None, None, None))
        assert error(db, actor, OPEN, (MATCH_C, None, None, None))[0] == "42501"
    assert db_value(db, DEALS) == before

    # positive controls: a match of the caller's listing with its own customer's request opens the deal, and so
    # does the request's own agent (the Boğaziçi agent brings its customer to the listing it sees)
    assert rows(db, "listing_agent", "select buying_agent_id::text, status from public.open_deal(%s)",
                (MATCH_OWN,)) == [(W.listing_agent, "matched")]
    assert rows(db, "broker", "select status from public.open_deal(%s)", (MATCH_OWN,)) == [("matched",)]
    # trusted sessions still learn what is missing (VC003)
    assert error(db, "service_role", OPEN, (MISSING, None, None, None))[0] == "VC003"
