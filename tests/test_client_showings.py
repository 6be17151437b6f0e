"""The showing and follow-up RPCs through VicClient and PsycopgTransport, and their CLI commands
(`vic showing …`, `vic task …`).

Each test gets a fresh copy of the migrated template (`db_url`); `cast` inserts, as the superuser, an admin,
the listing agent and its broker (Moda Emlak), a buying agent of another office with partial visibility of
the listing, another office's agent, two customers, the listing (with its confidential row) and two deals in
status matched: a co-broking one (the buying agent brings CUSTOMER) and the listing agent's own
(OTHER_CUSTOMER). The superuser connection `db` also places what the RPCs cannot (a slot starting at the
transaction's now(), an old last activity).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from vic import errors
from vic.client import VicClient
from tests.cli_run import vic, ok, one_error_line

ADMIN = "00000000-0000-4000-8000-0000000f0001"
BROKER = "00000000-0000-4000-8000-0000000f0002"  # Moda Emlak
AGENT = "00000000-0000-4000-8000-0000000f0003"  # Moda Emlak: lists 2026-001
BUYING_AGENT = "00000000-0000-4000-8000-0000000f0004"  # Boğaziçi, brings CUSTOMER
OTHER_AGENT = "00000000-0000-4000-8000-0000000f0005"  # Kuzey Emlak, nothing to do with the deals
CUSTOMER = "00000000-0000-4000-8000-0000000f0006"
OTHER_CUSTOMER = "00000000-0000-4000-8000-0000000f0007"
CROSS_DEAL = "00000000-0000-4000-8000-0000000fd001"
OWN_DEAL = "00000000-0000-4000-8000-0000000fd002"
LISTING = "2026-001"
FLOOR = 11_700_000


@pytest.fixture
def cast(db: psycopg.Connection) -> None:
    ids = {"admin": ADMIN, "broker": BROKER, "agent": AGENT, "buying": BUYING_AGENT, "other": OTHER_AGENT,
           "customer": CUSTOMER, "other_customer": OTHER_CUSTOMER, "listing": LISTING, "cross": CROSS_DEAL,
           "own": OWN_DEAL, "floor": FLOOR}
    with db.transaction():
        db.execute(
            """insert into public.contacts (id, phone, display_name, contact_type) values
                 (%(admin)s, '+905320000201', 'Ayşe Yönetici', 'staff'),
                 (%(broker)s, '+905320000202', 'Mehmet Broker', 'agent'),
                 (%(agent)s, '+905320000203', 'Elif Danışman', 'agent'),
                 (%(buying)s, '+905320000204', 'Can Alıcıoğlu', 'agent'),
                 (%(other)s, '+905320000205', 'Okan Başka', 'agent'),
                 (%(customer)s, '+905320000206', 'Zeynep Müşteri', 'customer'),
                 (%(other_customer)s, '+905320000207', 'Ali Alıcı', 'customer')""", ids)
        db.execute(
            """insert into public.agent_profiles (contact_id, role, office) values
                 (%(admin)s, 'admin', null), (%(broker)s, 'broker', 'Moda Emlak'), (%(agent)s, 'agent', 'Moda Emlak'),
                 (%(buying)s, 'agent', 'Boğaziçi Gayrimenkul'), (%(other)s, 'agent', 'Kuzey Emlak')""", ids)
        db.execute(
            """insert into public.portfolios (id, agent_id, type, listing_type, title, district, rooms, listed_price)
               values (%(listing)s, %(agent)s, 'daire', 'sale', 'Moda''da deniz manzaralı 3+1', 'Kadıköy', '3+1', 12500000)""",
            ids)
        db.execute(
            """insert into public.portfolio_confidential (portfolio_id, owner_name, owner_phone, min_price, commission_rate)
               values (%(listing)s, 'Hasan Kaya', '+905301110001', %(floor)s, 2.5)""", ids)
        db.execute(
            """insert into public.agent_visibility (portfolio_id, agent_id, visibility_level, granted_by)
               values (%(listing)s, %(buying)s, 'partial', %(agent)s)""", ids)
        db.execute(
            """insert into public.requests (customer_id, assigned_agent, request_type, criteria)
               values (%(customer)s, %(buying)s, 'buy', '{}'), (%(other_customer)s, %(agent)s, 'buy', '{}')""", ids)
        db.execute(
            """insert into public.deals (id, portfolio_id, customer_id, listing_agent_id, buying_agent_id) values
                 (%(cross)s, %(listing)s, %(customer)s, %(agent)s, %(buying)s),
                 (%(own)s, %(listing)s, %(other_customer)s, %(agent)s, null)""", ids)




def soon(days: int, hours: int = 0) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(days=days, hours=hours)


def showing_now(db: psycopg.Connection, deal_id: str) -> str:
    """A showing of the deal whose slot has begun (the superuser may start one at the transaction's now())."""
    (showing_id,) = db.execute(
        """insert into public.showings (portfolio_id, agent_id, customer_id, buying_agent_id, deal_id, scheduled_at)
           select portfolio_id, listing_agent_id, customer_id, case when is_cross_agent then buying_agent_id end, id, now()
           from public.deals where id = %s returning id""", (deal_id,)).fetchone()
    return str(showing_id)


# ------------------------------------------------------------------------------------ showings
@pytest.mark.usefixtures("cast")
def test_schedule_reschedule_cancel(as_, db_url: str, db: psycopg.Connection) -> None:
    with as_(db_url, AGENT) as vic:
        row = vic.schedule_showing(deal_id=CROSS_DEAL, scheduled_at=soon(1))
        assert (row["portfolio_id"], str(row["customer_id"]), str(row["buying_agent_id"]), row["status"]) == (
            LISTING, CUSTOMER, BUYING_AGENT, "scheduled")
        assert row["ends_at"] - row["scheduled_at"] == timedelta(hours=1)
        later = soon(2)  # once: a second may pass between the call and the check
        moved = vic.reschedule_showing(showing_id=row["id"], scheduled_at=later)
        assert moved["scheduled_at"] == later and moved["ends_at"] - moved["scheduled_at"] == timedelta(hours=1)
        longer = vic.reschedule_showing(showing_id=row["id"], scheduled_at=later, duration=timedelta(minutes=90))
        assert longer["ends_at"] - longer["scheduled_at"] == timedelta(minutes=90)
        text = vic.reschedule_showing(showing_id=row["id"], scheduled_at=soon(2), duration="2 hours")
        assert text["ends_at"] - text["scheduled_at"] == timedelta(hours=2)
    assert db.execute("select status from public.deals where id = %s", (CROSS_DEAL,)).fetchone() == ("showing",)
    with as_(db_url, BUYING_AGENT) as vic:
        assert vic.cancel_showing(showing_id=row["id"])["status"] == "cancelled"
        with pytest.raises(errors.InvalidTransition, match="cannot move from cancelled to cancelled"):
            vic.cancel_showing(showing_id=row["id"])


@pytest.mark.usefixtures("cast")
def test_mark_shown_returns_the_certificate(as_, db_url: str, db: psycopg.Connection) -> None:
    showing_id = showing_now(db, CROSS_DEAL)
    with as_(db_url, AGENT) as vic:
        row = vic.mark_shown(showing_id=showing_id)
    assert row["status"] == "shown" and row["certificate_id"] is not None
    (data,) = db.execute("select template_data from public.documents where id = %s", (row["certificate_id"],)).fetchone()
    assert data["customer"]["name"] == "Zeynep Müşteri" and data["buying_agent"]["name"] == "Can Alıcıoğlu"
    assert str(FLOOR) not in str(data) and "Hasan" not in str(data) and "+90" not in str(data)
    with as_(db_url, CUSTOMER) as me:  # the customer reads its showings, but may not act on them
        with pytest.raises(errors.AccessDenied, match="not found or not yours"):
            me.mark_shown(showing_id=showing_id)


@pytest.mark.usefixtures("cast")
@pytest.mark.parametrize(
    ("who", "kwargs", "error", "message"),
    [
        (AGENT, {"scheduled_at": datetime(2020, 1, 1, tzinfo=UTC)}, errors.InvalidInput, "scheduled_at cannot be in the past"),
        (AGENT, {"duration": "10 minutes"}, errors.InvalidInput, "duration must be between 15 minutes and 8 hours"),
        (AGENT, {"duration": timedelta(hours=9)}, errors.InvalidInput, "duration must be between 15 minutes and 8 hours"),
        (OTHER_AGENT, {}, errors.AccessDenied, "not found or not yours"),
        (CUSTOMER, {}, errors.AccessDenied, "not found or not yours"),
        (BUYING_AGENT, {"deal_id": OWN_DEAL}, errors.AccessDenied, "not found or not yours"),
    ],
    ids=["past", "too-short", "too-long", "other-agent", "customer", "not-its-deal"],
)
def test_schedule_showing_errors(as_, db_url: str, who: str, kwargs: dict, error: type, message: str) -> None:
    with as_(db_url, who) as vic, pytest.raises(error, match=message):
        vic.schedule_showing(**{"deal_id": CROSS_DEAL, "scheduled_at": soon(1), **kwargs})


@pytest.mark.usefixtures("cast")
def test_overlap_is_a_conflict_naming_the_listing(as_, db_url: str) -> None:
    with as_(db_url, AGENT) as vic:
        vic.schedule_showing(deal_id=CROSS_DEAL, scheduled_at=soon(1))
        with pytest.raises(errors.Conflict, match=f"listing {LISTING} already has a showing overlapping"):
            vic.schedule_showing(deal_id=OWN_DEAL, scheduled_at=soon(1) + timedelta(minutes=30))
        assert vic.schedule_showing(deal_id=OWN_DEAL, scheduled_at=soon(1, 1))["status"] == "scheduled"  # adjacent
        later = vic.schedule_showing(deal_id=OWN_DEAL, scheduled_at=soon(3))
        with pytest.raises(errors.InvalidTransition, match="before its slot begins"):
            vic.mark_shown(showing_id=later["id"])


@pytest.mark.usefixtures("cast")
def test_an_ended_deal_frees_its_future_slots_only(as_, db_url: str, db: psycopg.Connection) -> None:
    begun = showing_now(db, OWN_DEAL)
    with as_(db_url, AGENT) as vic:
        future = vic.schedule_showing(deal_id=OWN_DEAL, scheduled_at=soon(2))
        vic.cancel_deal(deal_id=OWN_DEAL, reason="Müşteri vazgeçti")
    states = dict(db.execute("select id::text, status from public.showings").fetchall())
    assert states == {str(future["id"]): "cancelled", begun: "scheduled"}
    with as_(db_url, BUYING_AGENT) as vic:  # the freed slot is free for another party
        assert vic.schedule_showing(deal_id=CROSS_DEAL, scheduled_at=soon(2))["status"] == "scheduled"
    with as_(db_url, AGENT) as vic:  # the visit that took place is still certified
        assert vic.mark_shown(showing_id=begun)["certificate_id"] is not None


# ------------------------------------------------------------------------------------ follow-ups, tasks
@pytest.mark.usefixtures("cast")
def test_stale_deals_followups_and_tasks(as_, db_url: str, db: psycopg.Connection) -> None:
    db.execute("update public.deals set last_activity_at = now() - interval '9 days' where id = %s", (OWN_DEAL,))
    with as_(db_url, AGENT) as vic:
        assert [str(d["id"]) for d in vic.stale_deals(idle=timedelta(days=7))] == [OWN_DEAL]
        assert vic.stale_deals(idle="10 days") == []
        with pytest.raises(errors.InvalidInput, match="idle must be a positive interval"):
            vic.stale_deals(idle=timedelta(0))
        with pytest.raises(errors.AccessDenied, match="only staff and the bot"):
            vic.open_followups()
    with as_(db_url, service_role=True) as bot:
        (created,) = bot.open_followups()
        assert (created["task_type"], str(created["deal_id"]), str(created["agent_id"])) == ("followup", OWN_DEAL, AGENT)
        assert bot.open_followups() == []
    with as_(db_url, ADMIN) as admin:
        assert admin.open_followups(idle=timedelta(days=1), remind_after="1 day") == []
    db.execute("insert into public.tasks (agent_id, task_type, title) values (%s, 'call', 'Ali Bey''i ara')", (AGENT,))
    (call,) = db.execute("select id from public.tasks where task_type = 'call'").fetchone()
    with as_(db_url, OTHER_AGENT) as other, pytest.raises(errors.AccessDenied, match="not found or not yours"):
        other.complete_task(task_id=created["task_id"])
    with as_(db_url, AGENT) as vic:
        done = vic.complete_task(task_id=created["task_id"])
        assert done["status"] == "done" and done["completed_at"] is not None
        with pytest.raises(errors.InvalidTransition, match="task status cannot move from done to cancelled"):
            vic.cancel_task(task_id=created["task_id"])
    with as_(db_url, BROKER) as broker:
        assert broker.cancel_task(task_id=call)["status"] == "cancelled"


# ------------------------------------------------------------------------------------ CLI



@pytest.mark.usefixtures("cast")
def test_cli_showing_commands(db_url: str, db: psycopg.Connection) -> None:
    url = ("--database-url", db_url)
    when = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT10:00")  # Istanbul time
    output = ok("--as", AGENT, "showing", "schedule", CROSS_DEAL, when, "--duration", "90", *url)
    (showing_id, starts, length) = db.execute(
        "select id, scheduled_at at time zone 'Europe/Istanbul', ends_at - scheduled_at from public.showings").fetchone()
    assert str(showing_id) in output and "scheduled" in output
    assert starts.strftime("%Y-%m-%dT%H:%M") == when and length == timedelta(minutes=90)
    output = ok("--as", BUYING_AGENT, "showing", "reschedule", str(showing_id), when.replace("T10", "T12"),
                "--duration", "1 hour", *url)
    assert db.execute("select ends_at - scheduled_at from public.showings").fetchone() == (timedelta(hours=1),)
    assert "cancelled" in ok("--as", BROKER, "showing", "cancel", str(showing_id), *url)
    now_id = showing_now(db, OWN_DEAL)
    output = ok("--as", AGENT, "showing", "shown", now_id, *url)
    (certificate,) = db.execute("select id from public.documents where showing_id = %s", (now_id,)).fetchone()
    assert "shown" in output and str(certificate) in output


@pytest.mark.usefixtures("cast")
def test_cli_task_commands(db_url: str, db: psycopg.Connection) -> None:
    url = ("--database-url", db_url)
    assert "no stale deal" in ok("--as", AGENT, "task", "stale", *url)
    db.execute("update public.deals set last_activity_at = now() - interval '9 days' where id = %s", (OWN_DEAL,))
    assert OWN_DEAL in ok("--as", AGENT, "task", "stale", "--idle", "7", *url)
    assert "no stale deal" in ok("--as", AGENT, "task", "stale", "--idle", "10 days", *url)
    output = ok("--service-role", "task", "followups", *url)
    (task_id,) = db.execute("select id from public.tasks").fetchone()
    assert "Tasks opened: 1" in output and str(task_id) in output and "followup" in output
    assert "no task opened" in ok("--as", ADMIN, "task", "followups", "--idle", "1", "--remind-after", "1 hour", *url)
    assert "done" in ok("--as", AGENT, "task", "done", str(task_id), *url)
    db.execute("insert into public.tasks (agent_id, task_type, title) values (%s, 'call', 'Ali Bey''i ara')", (AGENT,))
    (call,) = db.execute("select id from public.tasks where task_type = 'call'").fetchone()
    assert "cancelled" in ok("--as", BROKER, "task", "cancel", str(call), *url)


SOON = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT10:00")  # within the 1-year bound

@pytest.mark.usefixtures("cast")
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--as", AGENT, "showing", "schedule", CROSS_DEAL, "2020-01-01T10:00"], "WHEN cannot be in the past"),
        (["--as", AGENT, "showing", "schedule", CROSS_DEAL, "yarın"], "WHEN: 'yarın' is not a date and time"),
        (["--as", AGENT, "showing", "schedule", CROSS_DEAL, SOON, "--duration", "5"],
         "duration must be between 15 minutes and 8 hours"),
        (["--as", OTHER_AGENT, "showing", "schedule", CROSS_DEAL, SOON], "not found or not yours"),
        (["--as", CUSTOMER, "showing", "cancel", "00000000-0000-4000-8000-0000000fffff"], "not found or not yours"),
        (["--as", AGENT, "task", "followups"], "only staff and the bot"),
        (["--as", AGENT, "task", "stale", "--idle", "0"], "idle must be a positive interval"),
        (["--as", OTHER_AGENT, "task", "done", "00000000-0000-4000-8000-0000000fffff"], "not found or not yours"),
    ],
    ids=["past", "not-a-time", "too-short", "other-agent", "customer", "followups-agent", "idle-zero", "task-not-yours"],
)
def test_cli_errors_are_one_line(db_url: str, argv: list[str], message: str) -> None:
    assert message in one_error_line(vic(*argv, "--database-url", db_url))
