"""The read RPCs (functions/reads.sql) through VicClient, on both transports (psycopg; supabase-py through the
PostgREST stand-in, acting by JWT): what each party reads instead of psql, what everybody
else is refused in the same words whether the row exists or not, the bounds, and the defaults that live in SQL.

The world (tests/world.py) is loaded into a fresh copy of the migrated template: listing 2026-001 of
listing_agent (Moda Emlak) with its confidential row (floor 11.800.000), owner_customer's request assigned to
listing_agent and its match, deal A closing with its offer, showing, confirmation and commission row, and a
follow-up task; agent_anonymous / agent_partial are agents of another office (Boğaziçi) with no grant / a
partial grant on 2026-001.
"""

from __future__ import annotations

import datetime as dt
import json

import psycopg
import pytest

from tests.transports import ClientFactory
from tests.world import WORLD as W
from tests.world import act, load
from vic import errors
from vic.client import VicClient

MISSING = "00000000-0000-4000-8000-00000000dead"
FLOOR = 11_800_000


@pytest.fixture
def world(db: psycopg.Connection) -> psycopg.Connection:
    load(db)
    return db


def acting(as_: ClientFactory, url: str, actor: str) -> VicClient:
    """A client (on the test's transport) acting as a world actor, or as the bot."""
    if actor == "service_role":
        return as_(url, service_role=True)
    return as_(url, getattr(W, actor))


@pytest.mark.usefixtures("world")
def test_the_listing_side_reads_its_work_with_names(as_: ClientFactory, db_url: str) -> None:
    with acting(as_, db_url, "listing_agent") as vic:
        matches = {str(m["match_id"]): m for m in vic.list_matches()}
        assert (matches[W.match]["portfolio_id"], str(matches[W.match]["request_id"])) == (W.listing, W.request)
        assert all(matches[W.match][k] for k in ("customer_name", "listing_title", "request_agent_name"))
        assert [str(m["match_id"]) for m in vic.list_matches(portfolio_id=W.listing, request_id=W.request)] == [W.match]
        assert all(m["portfolio_id"] == W.listing_b for m in vic.list_matches(portfolio_id=W.listing_b))
        deals = {str(d["deal_id"]): d for d in vic.list_deals()}
        assert {W.deal, W.deal_b} <= set(deals)
        assert deals[W.deal]["customer_name"] and deals[W.deal]["listing_agent_name"]
        assert [str(d["deal_id"]) for d in vic.list_deals(status="closing")] == [W.deal]
        deal = vic.deal_summary(deal_id=W.deal)
        assert deal["status"] == "closing" and deal["currency"] == "TRY"
        assert [o["status"] for o in deal["offers"]] == ["accepted"]
        assert len(deal["showings"]) == 1 and [c["role"] for c in deal["confirmations"]] == ["listing"]
        assert [c["role"] for c in deal["commissions"]] == ["listing"] and "commission_total" not in deal
        requests = {str(r["request_id"]): r for r in vic.list_requests()}
        assert requests[W.request]["match_count"] >= 1 and requests[W.request]["customer_name"]
        request = vic.request_summary(request_id=W.request)
        assert request["match_count"] >= 1 and request["best_score"] is not None and request["criteria"]
        assert W.task in {str(t["task_id"]) for t in vic.list_tasks()}
        assert W.commission in {str(c["commission_id"]) for c in vic.list_commissions()}
        listing = vic.listing_summary(portfolio_id=W.listing)
        assert listing["visibility_level"] == "full" and listing["min_price"] == FLOOR and listing["owner_name"]
        contact = vic.contact_summary(contact_id=W.owner_customer)
        assert contact["display_name"] and contact["phone"]
        assert contact["window_open"] is None, "the window is the contact's, staff's and the bot's to read"
        assert vic.contact_summary()["agent_office"] == "Moda Emlak"


@pytest.mark.usefixtures("world")
def test_the_customer_reads_its_own(as_: ClientFactory, db_url: str) -> None:
    with acting(as_, db_url, "owner_customer") as vic:
        assert W.deal in {str(d["deal_id"]) for d in vic.list_deals()}
        assert vic.deal_summary(deal_id=W.deal)["deal_id"] is not None
        assert W.request in {str(r["request_id"]) for r in vic.list_requests()}
        me = vic.contact_summary()
        assert str(me["contact_id"]) == W.owner_customer and me["window_open"] is not None
        assert me["session_id"] is not None, "its own latest session"
        assert vic.list_matches() == [] and vic.list_tasks(status="all") == []
        with pytest.raises(errors.AccessDenied):
            vic.listing_summary(portfolio_id=W.listing)  # customers get no cards


@pytest.mark.parametrize("actor", ["agent_anonymous", "customer", "stranger"])
@pytest.mark.usefixtures("world")
def test_others_see_nothing_and_learn_nothing(as_: ClientFactory, db_url: str, actor: str) -> None:
    with acting(as_, db_url, actor) as vic:
        assert vic.list_matches() == [] and vic.list_deals() == [] and vic.list_requests() == []
        assert vic.list_tasks(status="all") == [] and vic.list_commissions() == []
        for method, real, missing in (
            (vic.deal_summary, dict(deal_id=W.deal), dict(deal_id=MISSING)),
            (vic.request_summary, dict(request_id=W.request), dict(request_id=MISSING)),
            (vic.contact_summary, dict(contact_id=W.owner_customer), dict(contact_id=MISSING)),
        ):
            with pytest.raises(errors.AccessDenied) as refused:
                method(**real)
            with pytest.raises(errors.AccessDenied) as absent:
                method(**missing)
            real_id, missing_id = next(iter(real.values())), next(iter(missing.values()))
            assert str(refused.value).replace(real_id, "ID") == str(absent.value).replace(missing_id, "ID")


@pytest.mark.usefixtures("world")
def test_anon_may_call_no_read(as_: ClientFactory, db_url: str) -> None:
    with as_(db_url, anon=True) as vic:
        for call in (vic.list_deals, lambda: vic.listing_summary(portfolio_id=W.listing), vic.contact_summary):
            with pytest.raises(errors.AccessDenied):
                call()


@pytest.mark.usefixtures("world")
def test_another_office_reads_a_card_never_the_confidential_row(as_: ClientFactory, db_url: str) -> None:
    for actor, level in (("agent_anonymous", "anonymous"), ("agent_partial", "partial")):
        with acting(as_, db_url, actor) as vic:
            row = vic.listing_summary(portfolio_id=W.listing)
        assert row["visibility_level"] == level
        assert all(row[k] is None for k in ("owner_name", "owner_phone", "min_price", "commission_rate", "private_notes"))
        assert str(FLOOR) not in json.dumps(row, default=str), "no value carries the floor"
        assert (row["listed_price"] is None) == (level == "anonymous") and row["price_band_min"] is not None
    with acting(as_, db_url, "broker") as vic:  # the listing agent's broker reads it in full
        assert vic.listing_summary(portfolio_id=W.listing)["min_price"] == FLOOR
    with acting(as_, db_url, "admin") as vic, pytest.raises(errors.NotFound):
        vic.listing_summary(portfolio_id="2026-999")  # staff learn that it is missing


@pytest.mark.usefixtures("world")
def test_reads_are_bounded_and_filters_named(as_: ClientFactory, db_url: str) -> None:
    with acting(as_, db_url, "listing_agent") as vic:
        for call in (lambda: vic.list_matches(limit=501), lambda: vic.list_deals(limit=0),
                     lambda: vic.list_requests(offset=100_001), lambda: vic.list_tasks(limit=10_000),
                     lambda: vic.list_commissions(limit=501)):
            with pytest.raises(errors.InvalidInput, match="limit must be between 1 and 500|offset must be between"):
                call()
        for method in (vic.list_deals, vic.list_requests, vic.list_tasks, vic.list_commissions):
            with pytest.raises(errors.InvalidInput, match="^status bogus is not one of"):
                method(status="bogus")
        assert len(vic.list_deals(limit=1)) == 1


@pytest.mark.usefixtures("world")
def test_defaults_live_in_sql(as_: ClientFactory, db_url: str, world: psycopg.Connection) -> None:
    """A call without the idle window, the report period or the batch size takes the function's default."""
    defaults = dict(world.execute(
        "select p.proname, pg_get_function_arguments(p.oid) from pg_proc p where p.pronamespace = 'public'::regnamespace"
        " and p.proname in ('stale_deals', 'unmet_demand', 'claim_nudges', 'open_followups', 'list_tasks')").fetchall())
    assert "p_idle interval DEFAULT '7 days'" in defaults["stale_deals"]
    assert "p_since timestamp with time zone DEFAULT (now() - '30 days'" in defaults["unmet_demand"]
    assert "p_until timestamp with time zone DEFAULT now()" in defaults["unmet_demand"]
    assert "p_batch integer DEFAULT 100" in defaults["claim_nudges"]
    assert "p_status text DEFAULT 'pending'" in defaults["list_tasks"]
    world.execute("update public.deals set last_activity_at = now() - interval '8 days' where id = %s", (W.deal_b,))
    world.commit()
    with acting(as_, db_url, "listing_agent") as vic:
        assert W.deal_b in {str(d["id"]) for d in vic.stale_deals()}
    with acting(as_, db_url, "broker") as vic:
        assert isinstance(vic.unmet_demand(), list)
        with pytest.raises(errors.InvalidInput, match="since must be before until"):  # until defaults to now
            vic.unmet_demand(since=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1))
    with acting(as_, db_url, "service_role") as bot:
        assert isinstance(bot.claim_nudges(), list)



@pytest.mark.usefixtures("world")
def test_contact_names_say_no_more_than_a_read_of_contacts(as_: ClientFactory, db_url: str, db: psycopg.Connection) -> None:
    """contact_names answers with the names the caller may read, and leaves the others out as if unknown."""
    asked = [W.customer, W.owner_customer, W.listing_agent, MISSING]
    for actor in ("service_role", "listing_agent", "agent_anonymous", "customer"):
        with acting(as_, db_url, actor) as vic:
            named = {str(r["contact_id"]) for r in vic.contact_names(contact_ids=asked)}
        with act(db, actor, rollback=True) as c:
            readable = {str(r[0]) for r in c.execute("select id from public.contacts where id = any (%s::uuid[])",
                                                      (asked,)).fetchall()}
        assert named == readable, actor
    assert named == {W.customer}, "a customer reads its own name only"
    with acting(as_, db_url, "service_role") as vic:
        assert len(vic.contact_names(contact_ids=asked)) == 3, "positive control: the bot reads every known contact"
        with pytest.raises(errors.InvalidInput, match="contact_ids"):
            vic.contact_names(contact_ids=[MISSING] * 1001)
