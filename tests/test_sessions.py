"""Sessions through VicClient and the CLI (docs/sessions.md): the bot fills slots (validated,
canonical district, completeness by the database), extracts the request once, even when two connections
extract the same session at the same moment, and closes; customers and agents are refused; `vic session
slots|extract|close|show`, with --json, times in Istanbul."""
from __future__ import annotations

import json
import threading
import uuid
from decimal import Decimal

import psycopg
import pytest

from tests.cli_run import ok, one_error_line, vic
from tests.harness import drain
from vic import errors
from vic.client import VicClient

ADMIN = "00000000-0000-4000-8000-0000000d0001"
AGENT = "00000000-0000-4000-8000-0000000d0002"
CUSTOMER = "00000000-0000-4000-8000-0000000d0003"
OTHER = "00000000-0000-4000-8000-0000000d0004"
SESSION = "00000000-0000-4000-8000-0000000d0101"
OTHER_SESSION = "00000000-0000-4000-8000-0000000d0102"


@pytest.fixture
def cast(db: psycopg.Connection) -> None:
    with db.transaction():
        db.execute("""insert into public.contacts (id, phone, display_name, contact_type, consent_transfer) values
            (%s, '+905320000201', 'Ayşe Yönetici', 'staff', true),
            (%s, '+905320000202', 'Elif Danışman', 'agent', true),
            (%s, '+905320000203', 'Zeynep Müşteri', 'customer', true),
            (%s, '+905320000204', 'Can Müşteri', 'lead', true)""",
                   (ADMIN, AGENT, CUSTOMER, OTHER))
        db.execute("insert into public.agent_profiles (contact_id, role, office) values (%s, 'admin', null), "
                   "(%s, 'agent', 'Moda Emlak')", (ADMIN, AGENT))
        db.execute("insert into public.sessions (id, contact_id) values (%s, %s), (%s, %s)",
                   (SESSION, CUSTOMER, OTHER_SESSION, OTHER))
        db.execute("""insert into public.message_log (from_contact, direction, content, wa_message_id, session_id)
                      values (%s, 'inbound', 'Kadıköy''de 3+1 daire, 13 milyona kadar', 'wamid.t.1', %s)""",
                   (CUSTOMER, SESSION))


def as_(db_url: str, who: str | None = None, *, service_role: bool = False) -> VicClient:
    return VicClient.connect(db_url, acting_as=who, service_role=service_role)


@pytest.mark.usefixtures("cast")
def test_the_bot_qualifies_extracts_and_the_signal_keeps_the_words(db_url: str, db: psycopg.Connection) -> None:
    with as_(db_url, service_role=True) as bot:
        row = bot.update_session_slots(session_id=SESSION, slots={"intent": "buy", "district": "kadikoy",
                                                                  "property_type": "daire", "max_price": 13_000_000})
        assert (row["district"], row["qualifying_completeness"]) == ("Kadıköy", Decimal("0.85"))
        with pytest.raises(errors.InvalidInput, match=r"slots\.district: Atlantis is not a district"):
            bot.update_session_slots(session_id=SESSION, slots={"district": "Atlantis"})
        with pytest.raises(errors.InvalidInput, match=r"slots\.budget is not a known slot"):
            bot.update_session_slots(session_id=SESSION, slots={"budget": 1})
        with pytest.raises(errors.NotFound):
            bot.update_session_slots(session_id=uuid.uuid4(), slots={"intent": "buy"})
        summary = bot.session_summary(session_id=SESSION)
        assert (summary["missing"], summary["request_id"], summary["messages"]) == ([], None, 1)
        request = bot.extract_request(session_id=SESSION)
        assert (request["customer_id"], request["request_type"], request["source_session_id"]) == \
            (uuid.UUID(CUSTOMER), "buy", uuid.UUID(SESSION))
        assert request["criteria"] == {"districts": ["Kadıköy"], "types": ["daire"], "max_price": 13_000_000}
        with pytest.raises(errors.InvalidTransition, match="from extracted to extracted"):
            bot.extract_request(session_id=SESSION)
        with pytest.raises(errors.InvalidTransition, match="not active"):
            bot.update_session_slots(session_id=SESSION, slots={"max_price": 14_000_000})
        assert bot.session_summary(session_id=SESSION)["request_id"] == request["id"]
        with pytest.raises(errors.InvalidInput, match="slots intent, district, max_price missing"):
            bot.extract_request(session_id=OTHER_SESSION)
        assert bot.close_session(session_id=OTHER_SESSION)["status"] == "closed"
    drain(db)
    assert db.execute("select query_raw, match_count from public.market_signals where source_type = 'session'"
                      ).fetchall() == [("Kadıköy'de 3+1 daire, 13 milyona kadar", 0)]


@pytest.mark.usefixtures("cast")
def test_customers_and_agents_are_refused(db_url: str, db: psycopg.Connection) -> None:
    for who in (CUSTOMER, AGENT):
        with as_(db_url, who) as them:
            with pytest.raises(errors.AccessDenied):
                them.update_session_slots(session_id=SESSION, slots={"intent": "buy"})
            with pytest.raises(errors.AccessDenied):
                them.extract_request(session_id=SESSION)
            with pytest.raises(errors.AccessDenied):
                them.close_session(session_id=SESSION)
    with as_(db_url, CUSTOMER) as customer:  # its own session: read only
        assert customer.session_summary(session_id=SESSION)["missing"] == ["intent", "district", "max_price"]
        with pytest.raises(errors.AccessDenied):
            customer.session_summary(session_id=OTHER_SESSION)
    with as_(db_url, AGENT) as agent, pytest.raises(errors.AccessDenied):
        agent.session_summary(session_id=SESSION)
    with as_(db_url, ADMIN) as admin:  # staff do what the bot does
        assert admin.update_session_slots(session_id=SESSION, slots={"intent": "rent"})["intent"] == "rent"
    assert db.execute("select status, intent from public.sessions where id = %s", (SESSION,)).fetchone() == \
        ("active", "rent")


@pytest.mark.usefixtures("cast")
def test_two_extractions_at_once_make_one_request(db_url: str, db: psycopg.Connection) -> None:
    """The first extraction holds the session's lock until it commits; the second waits, then finds the session
    extracted (VC002) and makes nothing."""
    db.execute("update public.sessions set intent = 'buy', district = 'Kadıköy', max_price = 9000000 where id = %s",
               (SESSION,))
    first = psycopg.connect(db_url)
    second = psycopg.connect(db_url, autocommit=True)
    outcome: dict[str, object] = {}
    try:
        first.execute("set role service_role")
        first.execute("select * from public.extract_request(%s)", (SESSION,))  # not committed yet

        def racer() -> None:
            try:
                second.execute("set role service_role")
                second.execute("select * from public.extract_request(%s)", (SESSION,))
                outcome["second"] = "ok"
            except psycopg.Error as exc:
                outcome["second"] = exc.sqlstate

        thread = threading.Thread(target=racer)
        thread.start()
        # the second connection waits for the first's row lock (seen from a third connection)
        for _ in range(200):
            waiting = db.execute("select count(*) from pg_stat_activity where wait_event_type = 'Lock' "
                                 "and datname = current_database()").fetchone()[0]
            if waiting:
                break
            threading.Event().wait(0.05)
        assert waiting == 1 and thread.is_alive(), "the second extraction should wait for the first"
        first.commit()
        thread.join(timeout=30)
        assert outcome == {"second": "VC002"}
    finally:
        first.close()
        second.close()
    made = db.execute("select count(*) from public.requests where source_session_id = %s", (SESSION,)).fetchone()
    assert made == (1,)


@pytest.mark.usefixtures("cast")
def test_cli_session_commands(db_url: str) -> None:
    bot = ("--service-role",)
    url = ("--database-url", db_url)
    out = ok(*bot, "session", "slots", SESSION, "--intent", "buy", "--district", "kadikoy", "--type", "daire",
             "--rooms", "3+1", "--max-price", "13.000.000", *url)
    assert "Kadıköy" in out and "1.00" in out and "13000000" in out
    assert all(len(line) <= 100 for line in out.splitlines())
    row = json.loads(ok(*bot, "session", "slots", SESSION, "--clear", "rooms", "--json", *url))
    assert (row["rooms"], row["qualifying_completeness"], row["max_price"]) == (None, 0.85, 13000000)
    assert row["created_at"].endswith("+03:00")  # Istanbul time, offset kept

    line = one_error_line(vic(*bot, "session", "slots", SESSION, "--clear", "budget", *url))
    assert "--clear budget" in line and "max-price" in line
    line = one_error_line(vic(*bot, "session", "slots", SESSION, "--district", "Şişli", "--clear", "district", *url))
    assert "--district" in line and "--clear district" in line
    line = one_error_line(vic(*bot, "session", "slots", SESSION, "--max-price", "on üç milyon", *url))
    assert "--max-price: 'on üç milyon' is not an amount" in line
    line = one_error_line(vic(*bot, "session", "slots", SESSION, "--district", "Atlantis", *url))
    assert "slots.district" in line and "Atlantis" in line

    shown = ok(*bot, "session", "show", SESSION, *url)
    assert "missing" in shown and "0.85" in shown
    summary = json.loads(ok("--as", CUSTOMER, "session", "show", SESSION, "--json", *url))
    assert (summary["missing"], summary["messages"], summary["request_id"]) == ([], 1, None)

    line = one_error_line(vic("--as", CUSTOMER, "session", "extract", SESSION, *url))
    assert "extract_request" in line
    request = json.loads(ok(*bot, "session", "extract", SESSION, "--json", *url))
    assert request["source_session_id"] == SESSION and request["criteria"]["districts"] == ["Kadıköy"]
    assert "request" in ok(*bot, "session", "show", SESSION, *url)
    line = one_error_line(vic(*bot, "session", "close", SESSION, *url))
    assert "from extracted to closed" in line
    closed = json.loads(ok(*bot, "session", "close", OTHER_SESSION, "--json", *url))
    assert closed["status"] == "closed"
