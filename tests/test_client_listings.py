"""The Portföy & matching RPCs through VicClient and PsycopgTransport, and their CLI commands.

Each test gets a fresh copy of the migrated template (`db_url`); `cast` inserts, as the superuser, two
offices (a broker and an agent of Moda Emlak, a second Moda agent, an agent of Beşiktaş), an admin and
two customers, all with fixed ids. Listings and requests are made through the RPCs themselves, acting as
the contact who would make them; the superuser connection `db` only reads what they wrote.
"""

from __future__ import annotations

import re
import types
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from vic import errors
from vic.client import VicClient
from tests.cli_run import vic, ok, one_error_line
from tests.harness import drain

ADMIN = "00000000-0000-4000-8000-0000000d0001"
BROKER = "00000000-0000-4000-8000-0000000d0002"  # Moda Emlak
AGENT = "00000000-0000-4000-8000-0000000d0003"  # Moda Emlak: lists the flats below
COLLEAGUE = "00000000-0000-4000-8000-0000000d0004"  # Moda Emlak, another agent
OTHER_AGENT = "00000000-0000-4000-8000-0000000d0005"  # Beşiktaş Gayrimenkul
CUSTOMER = "00000000-0000-4000-8000-0000000d0006"
OTHER_CUSTOMER = "00000000-0000-4000-8000-0000000d0007"
STRANGER = "00000000-0000-4000-8000-0000000d00ff"  # a valid token naming no contact

FLOOR = 11_700_000  # the confidential floor of FLAT: it must never reach anyone but its managers
FLAT = dict(type="daire", listing_type="sale", title="Moda'da deniz manzaralı 3+1", district="Kadıköy",
            listed_price=12_500_000, rooms="3+1", description="140 m², asansörlü, otoparklı",
            owner_name="Hasan Kaya", owner_phone="+905301110001", min_price=FLOOR, commission_rate=2.5,
            private_notes="Mal sahibi acele satmak istiyor.")
# Kadıköy spelled without Turkish letters: districts are compared Turkish-normalised
WANTS_FLAT = {"districts": ["kadikoy", "Üsküdar"], "types": ["daire"], "rooms": ["3+1"],
              "min_price": 9_000_000, "max_price": 12_000_000, "currency": "TRY"}


@pytest.fixture
def cast(db: psycopg.Connection) -> None:
    ids = {"admin": ADMIN, "broker": BROKER, "agent": AGENT, "colleague": COLLEAGUE, "other": OTHER_AGENT,
           "customer": CUSTOMER, "other_customer": OTHER_CUSTOMER}
    with db.transaction():
        db.execute(
            """insert into public.contacts (id, phone, display_name, contact_type) values
                 (%(admin)s, '+905320000101', 'Ayşe Yönetici', 'staff'),
                 (%(broker)s, '+905320000102', 'Mehmet Broker', 'agent'),
                 (%(agent)s, '+905320000103', 'Elif Danışman', 'agent'),
                 (%(colleague)s, '+905320000104', 'Okan Meslektaş', 'agent'),
                 (%(other)s, '+905320000105', 'Can Başka', 'agent'),
                 (%(customer)s, '+905320000106', 'Zeynep Müşteri', 'customer'),
                 (%(other_customer)s, '+905320000107', 'Ali Alıcı', 'customer')""", ids)
        db.execute(
            """insert into public.agent_profiles (contact_id, role, office) values
                 (%(admin)s, 'admin', null),
                 (%(broker)s, 'broker', 'Moda Emlak'),
                 (%(agent)s, 'agent', 'Moda Emlak'),
                 (%(colleague)s, 'agent', 'Moda Emlak'),
                 (%(other)s, 'agent', 'Beşiktaş Gayrimenkul')""", ids)




def no_floor(value: object) -> None:
    """The floor appears nowhere in an RPC's answer, in any form."""
    assert str(FLOOR) not in repr(value) and "11.700.000" not in repr(value)


def listing(as_, db_url: str, who: str = AGENT, **changes: object) -> dict:
    with as_(db_url, who) as vic:
        return vic.create_listing(**{**FLAT, **changes})


def match_row(db: psycopg.Connection, portfolio_id: str, request_id: object) -> tuple | None:
    return db.execute(
        """select match_score, notified, notified_agent_id from public.portfolio_request_matches
           where portfolio_id = %s and request_id = %s""", (portfolio_id, request_id)).fetchone()


# ------------------------------------------------------------------------------------ listings
@pytest.mark.usefixtures("cast")
def test_create_listing_writes_the_confidential_row_in_the_same_call(as_, db_url: str, db: psycopg.Connection) -> None:
    row = listing(as_, db_url)
    assert re.fullmatch(r"20[0-9]{2}-[0-9]{3,}", row["id"])
    assert (row["agent_id"], row["type"], row["listing_type"], row["district"], row["rooms"]) == \
        (uuid.UUID(AGENT), "daire", "sale", "Kadıköy", "3+1")
    assert (row["listed_price"], row["currency"], row["status"], row["city"]) == (12_500_000, "TRY", "active", "İstanbul")
    assert db.execute(
        """select owner_name, owner_phone, min_price, commission_rate, private_notes
           from public.portfolio_confidential where portfolio_id = %s""", (row["id"],)
    ).fetchone() == ("Hasan Kaya", "+905301110001", FLOOR, 2.5, "Mal sahibi acele satmak istiyor.")
    # the next one gets the next number; without a confidential field there is no confidential row
    second = listing(as_, db_url, title="Kadıköy'de 2+1", rooms="2+1", owner_name=None, owner_phone=None, min_price=None,
                     commission_rate=None, private_notes=None)
    year, number = row["id"].split("-")
    assert second["id"] == f"{year}-{int(number) + 1:03d}"
    assert db.execute("select count(*) from public.portfolio_confidential where portfolio_id = %s",
                      (second["id"],)).fetchone() == (0,)
    assert db.execute("select event_type, changed_by from public.portfolio_history where portfolio_id = %s and "
                      "not is_confidential", (row["id"],)).fetchall() == [("create", uuid.UUID(AGENT))]


@pytest.mark.usefixtures("cast")
def test_who_may_create_a_listing(as_, db_url: str, db: psycopg.Connection) -> None:
    with as_(db_url, BROKER) as broker:  # a broker lists for its office's agents
        assert broker.create_listing(**FLAT, agent_id=AGENT)["agent_id"] == uuid.UUID(AGENT)
    with as_(db_url, service_role=True) as bot:
        assert bot.create_listing(**FLAT, agent_id=OTHER_AGENT)["agent_id"] == uuid.UUID(OTHER_AGENT)
    before = db.execute("select count(*) from public.portfolios").fetchone()
    for who, kwargs in ((OTHER_AGENT, {"agent_id": AGENT}), (CUSTOMER, {}), (STRANGER, {})):
        with as_(db_url, who) as vic, pytest.raises(errors.AccessDenied):
            vic.create_listing(**FLAT, **kwargs)
    with as_(db_url, service_role=True) as bot, pytest.raises(errors.InvalidInput, match="agent_id"):
        bot.create_listing(**FLAT, agent_id=CUSTOMER)
    assert db.execute("select count(*) from public.portfolios").fetchone() == before


@pytest.mark.usefixtures("cast")
def test_update_listing_keeps_what_is_not_given(as_, db_url: str, db: psycopg.Connection) -> None:
    pid = listing(as_, db_url)["id"]
    with as_(db_url, AGENT) as vic:
        row = vic.update_listing(portfolio_id=pid, title="Moda'da yenilenmiş 3+1", listed_price=12_250_000,
                                 min_price=11_500_000)
    assert (row["title"], row["listed_price"], row["district"], row["rooms"], row["description"]) == \
        ("Moda'da yenilenmiş 3+1", 12_250_000, "Kadıköy", "3+1", "140 m², asansörlü, otoparklı")
    assert db.execute("select owner_name, min_price from public.portfolio_confidential where portfolio_id = %s",
                      (pid,)).fetchone() == ("Hasan Kaya", 11_500_000)
    (old, new) = db.execute(
        """select old_value, new_value from public.portfolio_history
           where portfolio_id = %s and event_type = 'update' and not is_confidential""", (pid,)).fetchone()
    assert (old, new) == ({"title": FLAT["title"], "listed_price": 12_500_000},
                          {"title": "Moda'da yenilenmiş 3+1", "listed_price": 12_250_000})
    with as_(db_url, BROKER) as broker:
        assert broker.update_listing(portfolio_id=pid, rooms="4+1")["rooms"] == "4+1"
    for who in (OTHER_AGENT, COLLEAGUE, CUSTOMER, STRANGER):
        with as_(db_url, who) as vic, pytest.raises(errors.AccessDenied):
            vic.update_listing(portfolio_id=pid, title="mine now")
    # a listing that does not exist: refused the same way, so nobody learns which ids exist
    with as_(db_url, OTHER_AGENT) as vic, pytest.raises(errors.AccessDenied):
        vic.update_listing(portfolio_id="1999-001", title="x")
    with as_(db_url, ADMIN) as admin, pytest.raises(errors.NotFound):
        admin.update_listing(portfolio_id="1999-001", title="x")
    with as_(db_url, AGENT) as vic, pytest.raises(errors.InvalidInput, match="rooms"):
        vic.update_listing(portfolio_id=pid, rooms="three")


@pytest.mark.usefixtures("cast")
def test_deactivate_and_reactivate(as_, db_url: str, db: psycopg.Connection) -> None:
    pid = listing(as_, db_url)["id"]
    with as_(db_url, AGENT) as vic:
        assert vic.deactivate_listing(portfolio_id=pid)["status"] == "inactive"
        assert vic.reactivate_listing(portfolio_id=pid)["status"] == "active"
    with as_(db_url, OTHER_AGENT) as vic, pytest.raises(errors.AccessDenied):
        vic.deactivate_listing(portfolio_id=pid)
    assert [e for (e,) in db.execute("select event_type from public.portfolio_history where portfolio_id = %s "
                                     "and not is_confidential order by created_at", (pid,))] == \
        ["create", "deactivate", "reactivate"]
    # sold only through a closed deal: a sold listing (written directly) stays sold
    db.execute("""insert into public.portfolios (id, agent_id, type, listing_type, title, district, rooms, listed_price,
                                                 status)
                  values ('2020-001', %s, 'daire', 'sale', 'Satıldı', 'Kadıköy', '2+1', 5000000, 'sold')""", (AGENT,))
    with as_(db_url, AGENT) as vic, pytest.raises(errors.InvalidTransition, match="from sold to inactive"):
        vic.deactivate_listing(portfolio_id="2020-001")


@pytest.mark.usefixtures("cast")
def test_add_and_reorder_media(as_, db_url: str, db: psycopg.Connection) -> None:
    pid = listing(as_, db_url)["id"]
    with as_(db_url, AGENT) as vic:
        added = [vic.add_media(portfolio_id=pid, media_type=t, storage_path=f"portfolios/{pid}/{n}")
                 for t, n in (("photo", "salon.jpg"), ("photo", "manzara.jpg"), ("video", "tur.mp4"))]
        assert [(m["sort_order"], m["media_type"], m["uploaded_by"]) for m in added] == \
            [(0, "photo", uuid.UUID(AGENT)), (1, "photo", uuid.UUID(AGENT)), (2, "video", uuid.UUID(AGENT))]
        ids = [m["id"] for m in added]
        # uuids or their text, in the new order; the answer comes in that order
        reordered = vic.reorder_media(portfolio_id=pid, media_ids=[str(ids[2]), ids[0], ids[1]])
        assert [(m["id"], m["sort_order"]) for m in reordered] == [(ids[2], 0), (ids[0], 1), (ids[1], 2)]
        with pytest.raises(errors.InvalidInput, match="media_ids"):  # not every media: nothing moves
            vic.reorder_media(portfolio_id=pid, media_ids=[ids[1], ids[0]])
        with pytest.raises(errors.InvalidInput, match="media_type"):
            vic.add_media(portfolio_id=pid, media_type="audio", storage_path="x.mp3")
    assert [i for (i,) in db.execute("select id from public.portfolio_media where portfolio_id = %s "
                                     "order by sort_order", (pid,))] == [ids[2], ids[0], ids[1]]
    with as_(db_url, OTHER_AGENT) as vic:
        with pytest.raises(errors.AccessDenied):
            vic.add_media(portfolio_id=pid, media_type="photo", storage_path="mine.jpg")
        with pytest.raises(errors.AccessDenied):
            vic.reorder_media(portfolio_id=pid, media_ids=ids)


# ------------------------------------------------------------------------------------ search
@pytest.mark.usefixtures("cast")
def test_search_portfolios_finds_turkish_words_and_keeps_visibility(as_, db_url: str, db: psycopg.Connection) -> None:
    pid = listing(as_, db_url)["id"]
    listing(as_, db_url, title="Şişli'de ofis katı", district="Şişli", type="dukkan", rooms=None, listed_price=30_000_000)
    before = db.execute("select count(*) from public.market_signals where source_type = 'search'").fetchone()[0]
    with as_(db_url, OTHER_AGENT) as vic:
        [card] = vic.search_portfolios(query="kadikoy daire")
        assert card["id"] == pid and card["visibility_level"] == "anonymous"
        assert isinstance(card["rank"], float) and card["rank"] > 0
        assert (card["listed_price"], card["title"], card["agent_phone"]) == (None, None, None)
        assert (card["price_band_min"], card["price_band_max"]) == (10_000_000, 15_000_000)
        no_floor(card)
        assert [c["id"] for c in vic.search_portfolios(query="sisli")] != []
        assert vic.search_portfolios(query="kadikoy", type="villa") == []
        assert [c["id"] for c in vic.search_portfolios(district="Kadıköy", listing_type="sale", limit=5)] == [pid]
        # a hidden field (the title) cannot be learned by searching for it
        assert vic.search_portfolios(query="manzarali") == []
    with as_(db_url, AGENT) as vic:  # its own listing: in full, the title searchable
        [own] = vic.search_portfolios(query="manzarali")
        assert own["id"] == pid and own["listed_price"] == 12_500_000
    after = db.execute("select count(*) from public.market_signals where source_type = 'search'").fetchone()[0]
    assert after - before == 6


# ------------------------------------------------------------------------------------ requests
@pytest.mark.usefixtures("cast")
def test_create_request_takes_a_dict_and_matches(as_, db_url: str, db: psycopg.Connection) -> None:
    pid = listing(as_, db_url)["id"]
    with as_(db_url, CUSTOMER) as vic:
        # any Mapping goes as jsonb
        request = vic.create_request(request_type="buy", criteria=types.MappingProxyType(WANTS_FLAT))
    assert (request["customer_id"], request["request_type"], request["status"], request["assigned_agent"]) == \
        (uuid.UUID(CUSTOMER), "buy", "new", None)
    drain(db)  # the matcher, as a worker would after commit
    # stored with districts in their reference spelling: kadikoy -> Kadıköy
    assert request["criteria"] == {**WANTS_FLAT, "districts": ["Kadıköy", "Üsküdar"]}
    # floor 11.7M within the 12M budget, the listed 12.5M above it: 4 of 5, for the listing agent to act on
    assert match_row(db, pid, request["id"]) == (4, True, uuid.UUID(AGENT))
    assert db.execute("select count(*) from public.pending_notifications where contact_id = %s and kind = 'match'",
                      (AGENT,)).fetchone() == (1,)
    with as_(db_url, OTHER_AGENT) as vic:  # an agent never files for itself, nor for a customer it does not serve
        for customer in (OTHER_AGENT, OTHER_CUSTOMER):
            with pytest.raises(errors.AccessDenied, match="assigned_agent"):
                vic.create_request(request_type="rent", criteria={}, customer_id=customer, assigned_agent=OTHER_AGENT)
    with as_(db_url, service_role=True) as bot:  # the bot gives the other office's agent a customer
        bot.create_request(request_type="rent", criteria={}, customer_id=OTHER_CUSTOMER, assigned_agent=OTHER_AGENT)
    with as_(db_url, OTHER_AGENT) as vic:  # a customer it serves: it files that customer's next request
        mine = vic.create_request(request_type="buy", criteria={}, customer_id=OTHER_CUSTOMER,
                                  assigned_agent=OTHER_AGENT)
        assert (mine["status"], mine["assigned_agent"]) == ("assigned", uuid.UUID(OTHER_AGENT))


@pytest.mark.usefixtures("cast")
@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        ({"colour": "blue"}, "criteria.colour"),
        ({"districts": "Kadıköy"}, "criteria.districts"),
        ({"types": ["castle"]}, "criteria.types"),
        ({"rooms": ["three"]}, "criteria.rooms"),
        ({"max_price": "cheap"}, "criteria.max_price"),
        ({"min_price": -1}, "criteria.min_price"),
        ({"min_price": 2, "max_price": 1}, "criteria.min_price"),
        ({"currency": "JPY"}, "criteria.currency"),
    ],
    ids=["unknown-key", "districts-not-array", "bad-type", "bad-rooms", "price-text", "negative", "min-above-max",
         "currency"],
)
def test_bad_criteria_are_invalid_input_naming_the_key(as_, db_url: str, db: psycopg.Connection, criteria: dict,
                                                        message: str) -> None:
    with as_(db_url, CUSTOMER) as vic:
        with pytest.raises(errors.InvalidInput, match=re.escape(message)):
            vic.create_request(request_type="buy", criteria=criteria)
        request = vic.create_request(request_type="buy", criteria={"districts": ["Kadıköy"]})
        with pytest.raises(errors.InvalidInput, match=re.escape(message)):
            vic.update_request_criteria(request_id=request["id"], criteria=criteria)
    assert db.execute("select criteria from public.requests").fetchall() == [({"districts": ["Kadıköy"]},)]


@pytest.mark.usefixtures("cast")
def test_update_request_criteria_rematches(as_, db_url: str, db: psycopg.Connection) -> None:
    pid = listing(as_, db_url)["id"]
    with as_(db_url, CUSTOMER) as vic:
        request = vic.create_request(request_type="buy", criteria=WANTS_FLAT)
        drain(db)
        assert match_row(db, pid, request["id"])[0] == 4
        row = vic.update_request_criteria(request_id=request["id"], criteria={**WANTS_FLAT, "max_price": 13_000_000})
        assert row["criteria"]["max_price"] == 13_000_000
        drain(db)
        assert match_row(db, pid, request["id"])[0] == 5  # score updated in place
        vic.update_request_criteria(request_id=request["id"], criteria={**WANTS_FLAT, "max_price": 11_000_000})
        drain(db)
        assert match_row(db, pid, request["id"]) is None  # below the floor: no match
    for who in (OTHER_CUSTOMER, OTHER_AGENT, STRANGER):
        with as_(db_url, who) as vic, pytest.raises(errors.AccessDenied):
            vic.update_request_criteria(request_id=request["id"], criteria={})


@pytest.mark.usefixtures("cast")
def test_assign_request(as_, db_url: str, db: psycopg.Connection) -> None:
    pid = listing(as_, db_url)["id"]
    with as_(db_url, CUSTOMER) as vic:
        first = vic.create_request(request_type="buy", criteria=WANTS_FLAT)["id"]
        second = vic.create_request(request_type="buy", criteria={"districts": ["Beşiktaş"]})["id"]
    for who in (OTHER_AGENT, AGENT):  # agents do not take requests, not even the one a match notified
        with as_(db_url, who) as vic, pytest.raises(errors.AccessDenied):
            vic.assign_request(request_id=first)
    drain(db)
    assert match_row(db, pid, first)[2] == uuid.UUID(AGENT)
    with as_(db_url, BROKER) as broker:  # a broker assigns an unassigned request to its office's agent
        row = broker.assign_request(request_id=first, agent_id=AGENT)
        assert (row["status"], row["assigned_agent"]) == ("assigned", uuid.UUID(AGENT))
        row = broker.assign_request(request_id=second, agent_id=COLLEAGUE)
        assert (row["status"], row["assigned_agent"]) == ("assigned", uuid.UUID(COLLEAGUE))
        with pytest.raises(errors.AccessDenied):
            broker.assign_request(request_id=second, agent_id=OTHER_AGENT)
    with as_(db_url, ADMIN) as admin:
        with pytest.raises(errors.InvalidInput, match="agent_id"):
            admin.assign_request(request_id=second, agent_id=CUSTOMER)
        assert admin.assign_request(request_id=second, agent_id=OTHER_AGENT)["assigned_agent"] == uuid.UUID(OTHER_AGENT)


@pytest.mark.usefixtures("cast")
def test_close_request(as_, db_url: str, db: psycopg.Connection) -> None:
    pid = listing(as_, db_url)["id"]
    with as_(db_url, CUSTOMER) as vic:
        request = vic.create_request(request_type="buy", criteria=WANTS_FLAT)["id"]
    drain(db)
    assert match_row(db, pid, request) is not None
    with as_(db_url, OTHER_CUSTOMER) as vic, pytest.raises(errors.AccessDenied):
        vic.close_request(request_id=request)
    with as_(db_url, CUSTOMER) as vic:
        assert vic.close_request(request_id=request)["status"] == "closed"
    drain(db)
    assert match_row(db, pid, request) is None  # a closed request leaves its matches
    with as_(db_url, ADMIN) as admin:
        with pytest.raises(errors.InvalidTransition):  # a closed request is no longer open to assign
            admin.assign_request(request_id=request, agent_id=AGENT)
    # nothing moves a closed request: criteria change, but it stays closed and unmatched
    with as_(db_url, CUSTOMER) as vic:
        assert vic.update_request_criteria(request_id=request, criteria=WANTS_FLAT)["status"] == "closed"
    drain(db)
    assert match_row(db, pid, request) is None


# ------------------------------------------------------------------------------------ matching
@pytest.mark.usefixtures("cast")
def test_explain_match_lists_criteria_and_points_never_a_price(as_, db_url: str, db: psycopg.Connection) -> None:
    pid = listing(as_, db_url)["id"]
    with as_(db_url, CUSTOMER) as vic:
        request = vic.create_request(request_type="buy", criteria=WANTS_FLAT)["id"]
    drain(db)
    (score,) = db.execute("select match_score from public.portfolio_request_matches where portfolio_id = %s",
                          (pid,)).fetchone()
    with as_(db_url, AGENT) as vic:
        rows = vic.explain_match(portfolio_id=pid, request_id=request)
    assert all(set(r) == {"criterion", "hard_filter", "scored", "passed", "points", "matched", "score", "max_score",
                          "verdict"} and r["points"] in (0, 1) for r in rows)
    assert {(r["matched"], r["score"], r["max_score"], r["verdict"]) for r in rows} == {(True, score, 5, "match")}
    explained = {r["criterion"]: (r["passed"], r["points"]) for r in rows}
    assert explained["district"] == (True, 1) and explained["reachable_within_budget"] == (True, 1)
    assert explained["within_budget_without_negotiation"] == (False, 0)
    assert sum(r["points"] for r in rows) == score == 4
    no_floor(rows)
    with as_(db_url, BROKER) as broker:  # a manager of the listing
        assert broker.explain_match(portfolio_id=pid, request_id=request) == rows
    for who in (OTHER_AGENT, OTHER_CUSTOMER, STRANGER):
        with as_(db_url, who) as vic, pytest.raises(errors.AccessDenied):
            vic.explain_match(portfolio_id=pid, request_id=request)
    # the request's agent, once the pair matched, may ask too (its agent knows no more than the match told it)
    with as_(db_url, ADMIN) as admin:
        admin.assign_request(request_id=request, agent_id=OTHER_AGENT)
    with as_(db_url, OTHER_AGENT) as vic:
        assert vic.explain_match(portfolio_id=pid, request_id=request) == rows


@pytest.mark.usefixtures("cast")
def test_a_cross_agent_match_notifies_the_request_agent_and_grants_partial(as_, db_url: str, db: psycopg.Connection) -> None:
    with as_(db_url, ADMIN) as admin:
        request = admin.create_request(request_type="buy", criteria=WANTS_FLAT, customer_id=CUSTOMER,
                                       assigned_agent=OTHER_AGENT)["id"]
    pid = listing(as_, db_url)["id"]
    drain(db)
    assert match_row(db, pid, request) == (4, True, uuid.UUID(OTHER_AGENT))
    assert db.execute("select body from public.pending_notifications where contact_id = %s and kind = 'match'",
                      (OTHER_AGENT,)).fetchone() is not None
    with as_(db_url, OTHER_AGENT) as vic:
        [card] = vic.portfolio_cards(portfolio_ids=[pid])
        assert card["visibility_level"] == "partial" and card["listed_price"] == 12_500_000
        no_floor(card)
        no_floor(vic.search_portfolios(query="kadikoy"))


# ------------------------------------------------------------------------------------ market
@pytest.mark.usefixtures("cast")
def test_unmet_demand(as_, db_url: str, db: psycopg.Connection) -> None:
    listing(as_, db_url)
    with as_(db_url, CUSTOMER) as vic:
        vic.create_request(request_type="buy", criteria=WANTS_FLAT)  # matches: not unmet
        vic.create_request(request_type="buy", criteria={"districts": ["Sarıyer"], "types": ["villa"],
                                                         "max_price": 2_000_000, "currency": "USD"})
    drain(db)  # the matcher records each new request's signal with its match count
    with as_(db_url, OTHER_AGENT) as vic:
        assert vic.search_portfolios(query="beykoz yali") == []
    now = datetime.now(UTC)
    with as_(db_url, BROKER) as broker:
        rows = broker.unmet_demand(since=now - timedelta(hours=1), until=now + timedelta(minutes=1))
        assert {(r["district"], r["type"], r["currency"]) for r in rows} >= {("Sarıyer", "villa", "USD")}
        assert all(r["signals"] >= 1 for r in rows)
        assert not any(r["district"] == "Kadıköy" and r["type"] == "daire" for r in rows)
        assert broker.unmet_demand(since=now - timedelta(days=2), until=now - timedelta(days=1)) == []
        with pytest.raises(errors.InvalidInput, match="since must be before until"):
            broker.unmet_demand(since=now, until=now - timedelta(hours=1))
    for who in (CUSTOMER, AGENT):  # demand reports are for brokers, staff and the bot
        with as_(db_url, who) as vic, pytest.raises(errors.AccessDenied):
            vic.unmet_demand(since=now - timedelta(hours=1), until=now + timedelta(minutes=1))
    with as_(db_url, service_role=True) as bot:
        assert bot.unmet_demand(since=now - timedelta(hours=1), until=now + timedelta(minutes=1)) == rows


# ------------------------------------------------------------------------------------ CLI



@pytest.mark.usefixtures("cast")
def test_cli_listing_commands(db_url: str, db: psycopg.Connection) -> None:
    url = ("--database-url", db_url)
    output = ok("--as", AGENT, "listing", "create", "--type", "daire", "--for", "sale", "--district", "Kadıköy",
                "--rooms", "3+1", "--title", "Moda'da 3+1", "--price", "12.500.000", "--floor", "11.700.000",
                "--owner-name", "Hasan Kaya", "--commission-rate", "2.5", *url)
    (pid,) = db.execute("select id from public.portfolios").fetchone()
    assert pid in output and "12500000" in output and "Moda'da 3+1" in output
    assert "11700000" not in output and "Hasan Kaya" not in output and "match_floor" not in output
    assert db.execute("select min_price from public.portfolio_confidential").fetchone() == (FLOOR,)

    output = ok("--as", AGENT, "listing", "update", pid, "--price", "12400000", "--title", "Moda'da yeni 3+1", *url)
    assert "12400000" in output and "Moda'da yeni 3+1" in output and "Kadıköy" in output
    assert "inactive" in ok("--as", AGENT, "listing", "deactivate", pid, *url)
    assert "active" in ok("--as", AGENT, "listing", "reactivate", pid, *url)

    for name in ("a.jpg", "b.jpg"):
        assert name in ok("--as", AGENT, "listing", "media-add", pid, "photo", f"portfolios/{pid}/{name}", *url)
    ids = [str(i) for (i,) in db.execute("select id from public.portfolio_media order by sort_order")]
    output = ok("--as", AGENT, "listing", "media-reorder", pid, ids[1], ids[0], *url)
    assert output.index("b.jpg") < output.index("a.jpg")

    output = ok("--as", OTHER_AGENT, "listing", "search", "kadikoy daire", "--for", "sale", *url)
    assert pid in output and "anonymous" in output and "10.000.000–15.000.000 ₺" in output
    assert "12.400.000" not in output and "11.700.000" not in output

    line = one_error_line(vic("--as", AGENT, "listing", "create", "--type", "daire", "--for", "sale", "--district",
                              "Kadıköy", "--rooms", "3+1", "--title", "x", "--price", "-5", *url))
    assert line.startswith("error: --price must be a positive"), line
    line = one_error_line(vic("--as", OTHER_AGENT, "listing", "deactivate", pid, *url))
    assert "not found or not yours" in line


@pytest.mark.usefixtures("cast")
def test_cli_request_match_and_market_commands(psycopg_as, db_url: str, db: psycopg.Connection) -> None:
    url = ("--database-url", db_url)
    pid = listing(psycopg_as, db_url)["id"]
    output = ok("--as", CUSTOMER, "request", "create", "buy", "--district", "kadikoy", "--district", "Üsküdar",
                "--type", "daire", "--rooms", "3+1", "--rooms", "2+1", "--min-price", "9.000.000",
                "--max-price", "12_000_000", *url)
    (request, criteria) = db.execute("select id, criteria from public.requests").fetchone()
    assert str(request) in output and "new" in output
    assert criteria == {"districts": ["Kadıköy", "Üsküdar"], "types": ["daire"], "rooms": ["3+1", "2+1"],
                        "min_price": 9_000_000, "max_price": 12_000_000}

    output = ok("--as", AGENT, "match", "explain", pid, str(request), *url)
    assert "reachable_within_budget" in output and "within_budget_without_negotiation" in output
    assert "4/5" in output and "11.700.000" not in output and str(FLOOR) not in output

    output = ok("--as", CUSTOMER, "request", "criteria", str(request), "--district", "Kadıköy", "--max-price",
                "13000000", "--currency", "TRY", *url)
    assert '"max_price": 13000000' in output
    assert match_row(db, pid, request)[0] == 5

    output = ok("--as", BROKER, "request", "assign", str(request), "--agent-id", COLLEAGUE, *url)
    assert "assigned" in output and COLLEAGUE in output
    assert "closed" in ok("--as", CUSTOMER, "request", "close", str(request), *url)

    with psycopg_as(db_url, CUSTOMER) as client:
        client.create_request(request_type="rent", criteria={"districts": ["Adalar"], "types": ["villa"]})
    drain(db)
    output = ok("--as", BROKER, "market", "unmet", "--since", "2000-01-01", *url)
    assert "Adalar" in output and "villa" in output
    assert "no unmet demand" in ok("--as", BROKER, "market", "unmet", "--since", "2000-01-01", "--until", "2000-02-01", *url)


@pytest.mark.usefixtures("cast")
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--as", CUSTOMER, "request", "create", "buy", "--type", "castle"], "--type may only hold daire"),
        (["--as", CUSTOMER, "request", "create", "buy", "--max-price", "cheap"], "--max-price: 'cheap' is not an amount"),
        (["--as", CUSTOMER, "request", "create", "buy", "--currency", "JPY"], "--currency must be one of"),
        (["--as", CUSTOMER, "request", "create", "lease"], "REQUEST_TYPE lease is not one of buy, rent"),
        (["--as", OTHER_AGENT, "listing", "update", "2026-001", "--title", "x"], "not found or not yours"),
        (["--as", AGENT, "listing", "create", "--type", "daire", "--for", "sale", "--district", "Kadıköy",
          "--rooms", "3+1", "--title", "x", "--price", "on iki milyon"], "--price: 'on iki milyon' is not an amount"),
        (["--as", BROKER, "market", "unmet", "--since", "last week"], "--since: 'last week' is not a date"),
        (["--as", AGENT, "match", "explain", "2026-001", "not-a-uuid"], "REQUEST_ID: not an id (a uuid"),
    ],
    ids=["bad-type", "price-text", "currency", "request-type", "not-yours", "price-words", "bad-date", "bad-uuid"],
)
def test_cli_errors_are_one_line(db_url: str, argv: list[str], message: str) -> None:
    assert message in one_error_line(vic(*argv, "--database-url", db_url))
