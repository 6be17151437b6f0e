"""The commission RPCs through VicClient and PsycopgTransport, and their CLI commands `vic commission …`.

Each test gets a fresh copy of the migrated template (`db_url`); `cast` inserts, as the superuser, an admin, a
broker and an agent of Moda Emlak, an agent of Beşiktaş, a customer, a sale listing at 2% commission and a deal
on it closed at 3.333.333, whose closing wrote the commission rows (single split 90/10 of
66.667: 60.000 and 6.667). The superuser connection `db` only reads what the RPCs wrote.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import psycopg
import pytest

from vic import errors
from vic.client import VicClient
from tests.cli_run import vic, ok, one_error_line

ADMIN = "00000000-0000-4000-8000-0000000e0001"
BROKER = "00000000-0000-4000-8000-0000000e0002"  # Moda Emlak
AGENT = "00000000-0000-4000-8000-0000000e0003"  # Moda Emlak: the listing and deal
OTHER_AGENT = "00000000-0000-4000-8000-0000000e0004"  # Beşiktaş Gayrimenkul
CUSTOMER = "00000000-0000-4000-8000-0000000e0005"
STRANGER = "00000000-0000-4000-8000-0000000e00ff"  # a valid token naming no contact
DEAL = "00000000-0000-4000-8000-0000000e00d1"
MISSING = "00000000-0000-4000-8000-0000000e0dea"
SPLIT = "select deal_kind, listing_rate, buying_rate, platform_rate from private.commission_split order by deal_kind"


@pytest.fixture
def cast(db: psycopg.Connection) -> None:
    ids = {"admin": ADMIN, "broker": BROKER, "agent": AGENT, "other": OTHER_AGENT, "customer": CUSTOMER,
           "deal": DEAL}
    with db.transaction():
        db.execute(
            """insert into public.contacts (id, phone, display_name, contact_type) values
                 (%(admin)s, '+905320000201', 'Ayşe Yönetici', 'staff'),
                 (%(broker)s, '+905320000202', 'Mehmet Broker', 'agent'),
                 (%(agent)s, '+905320000203', 'Elif Danışman', 'agent'),
                 (%(other)s, '+905320000204', 'Can Başka', 'agent'),
                 (%(customer)s, '+905320000205', 'Zeynep Müşteri', 'customer')""", ids)
        db.execute(
            """insert into public.agent_profiles (contact_id, role, office) values
                 (%(admin)s, 'admin', null),
                 (%(broker)s, 'broker', 'Moda Emlak'),
                 (%(agent)s, 'agent', 'Moda Emlak'),
                 (%(other)s, 'agent', 'Beşiktaş Gayrimenkul')""", ids)
        db.execute(
            """insert into public.portfolios (id, agent_id, type, listing_type, title, district, rooms, listed_price)
               values ('2026-001', %(agent)s, 'daire', 'sale', 'Moda''da 3+1', 'Kadıköy', '3+1', 3500000)""", ids)
        db.execute("insert into public.portfolio_confidential (portfolio_id, commission_rate) values ('2026-001', 2)")
        db.execute("""insert into public.deals (id, portfolio_id, customer_id, listing_agent_id)
                      values (%(deal)s, '2026-001', %(customer)s, %(agent)s)""", ids)
        # closed as the pipeline closes it: an accepted offer, closing, its one side confirmed (trusted session)
        db.execute("update public.deals set status = 'showing' where id = %s", (DEAL,))
        db.execute("insert into public.deal_negotiations (deal_id, from_contact_id, to_contact_id, amount) "
                   "values (%(deal)s, %(customer)s, %(customer)s, 3333333)", ids)
        db.execute("update public.deal_negotiations set status = 'accepted'")
        db.execute("update public.deals set status = 'closing' where id = %s", (DEAL,))
        db.execute("update public.deal_confirmations set confirmed = true where deal_id = %s", (DEAL,))




def commission_id(db: psycopg.Connection, role: str) -> str:
    return str(db.execute("select id from public.platform_commissions where deal_id = %s and role = %s",
                          (DEAL, role)).fetchone()[0])


# ------------------------------------------------------------------------------------ the split
@pytest.mark.usefixtures("cast")
@pytest.mark.parametrize("who", [CUSTOMER, AGENT, ADMIN, "bot"])
def test_commission_split_is_readable_by_every_signed_in_caller(as_, db_url: str, who: str) -> None:
    with as_(db_url, None if who == "bot" else who, service_role=who == "bot") as vic:
        rows = vic.commission_split()
    assert [(r["deal_kind"], r["listing_rate"], r["buying_rate"], r["platform_rate"]) for r in rows] == \
        [("single", Decimal(90), Decimal(0), Decimal(10)), ("cross", Decimal(45), Decimal(45), Decimal(10))]
    assert all(r["updated_at"] is not None for r in rows)


@pytest.mark.usefixtures("cast")
def test_set_commission_split_by_staff_applies_to_later_closings(as_, db_url: str, db: psycopg.Connection) -> None:
    before = db.execute("select role, rate, amount from public.platform_commissions order by role").fetchall()
    with as_(db_url, ADMIN) as admin:
        row = admin.set_commission_split(deal_kind="cross", listing_rate=Decimal("42.5"), buying_rate=Decimal("42.5"),
                                         platform_rate=15)
        assert (row["deal_kind"], row["listing_rate"], row["buying_rate"], row["platform_rate"]) == \
            ("cross", Decimal("42.50"), Decimal("42.50"), Decimal("15.00"))
    with as_(db_url, service_role=True) as bot:
        assert bot.set_commission_split(deal_kind="single", listing_rate=80, buying_rate=0,
                                        platform_rate=20)["listing_rate"] == Decimal(80)
    assert db.execute(SPLIT).fetchall() == [("cross", Decimal("42.50"), Decimal("42.50"), Decimal(15)),
                                            ("single", Decimal(80), Decimal(0), Decimal(20))]
    # the deal that closed before keeps its rows
    assert db.execute("select role, rate, amount from public.platform_commissions order by role").fetchall() == before
    assert before == [("listing", Decimal(90), 60_000), ("platform", Decimal(10), 6_667)]


@pytest.mark.usefixtures("cast")
@pytest.mark.parametrize(
    ("who", "kwargs", "error", "message"),
    [
        (AGENT, dict(deal_kind="cross", listing_rate=50, buying_rate=40, platform_rate=10), errors.AccessDenied,
         "only admins and owners may set the commission split"),
        (BROKER, dict(deal_kind="cross", listing_rate=50, buying_rate=40, platform_rate=10), errors.AccessDenied,
         "only admins and owners"),
        (CUSTOMER, dict(deal_kind="cross", listing_rate=50, buying_rate=40, platform_rate=10), errors.AccessDenied,
         "only admins and owners"),
        (STRANGER, dict(deal_kind="cross", listing_rate=50, buying_rate=40, platform_rate=10), errors.AccessDenied,
         "only admins and owners"),
        (ADMIN, dict(deal_kind="cross", listing_rate=45, buying_rate=45, platform_rate=9), errors.InvalidInput,
         "must add up to 100, not 99"),
        (ADMIN, dict(deal_kind="single", listing_rate=85, buying_rate=5, platform_rate=10), errors.InvalidInput,
         "buying_rate 5 must be 0 for a single deal"),
        (ADMIN, dict(deal_kind="cross", listing_rate=60, buying_rate=50, platform_rate=-10), errors.InvalidInput,
         "platform_rate -10"),
        (ADMIN, dict(deal_kind="cross", listing_rate="33.333", buying_rate="33.333", platform_rate="33.334"),
         errors.InvalidInput, "listing_rate 33.333 must be a percentage from 0 to 100 with at most two decimals"),
        (ADMIN, dict(deal_kind="cross", listing_rate="kırk", buying_rate=50, platform_rate=10), errors.InvalidInput,
         "numeric"),
        (ADMIN, dict(deal_kind="both", listing_rate=40, buying_rate=40, platform_rate=20), errors.InvalidInput,
         "deal_kind both is not one of single, cross"),
    ],
    ids=["agent", "broker", "customer", "stranger", "sum-99", "single-with-buying", "negative", "three-decimals",
         "not-a-number", "unknown-kind"],
)
def test_set_commission_split_refusals_change_nothing(as_, db_url: str, db: psycopg.Connection, who: str, kwargs: dict,
                                                      error: type[errors.VicError], message: str) -> None:
    before = db.execute(SPLIT).fetchall()
    with as_(db_url, who) as vic, pytest.raises(error, match=message) as caught:
        vic.set_commission_split(**kwargs)
    assert type(caught.value) is error
    assert db.execute(SPLIT).fetchall() == before


# ------------------------------------------------------------------------------------ a commission's status
@pytest.mark.usefixtures("cast")
def test_set_commission_status_walks_pending_invoiced_paid(as_, db_url: str, db: psycopg.Connection) -> None:
    listing = commission_id(db, "listing")
    with as_(db_url, ADMIN) as admin:
        row = admin.set_commission_status(commission_id=listing, status="invoiced")
        assert (row["id"], row["status"], row["amount"], row["contact_id"]) == \
            (uuid.UUID(listing), "invoiced", 60_000, uuid.UUID(AGENT))
        assert admin.set_commission_status(commission_id=listing, status="invoiced")["status"] == "invoiced"
        with pytest.raises(errors.InvalidTransition, match="from invoiced to pending"):
            admin.set_commission_status(commission_id=listing, status="pending")
        with pytest.raises(errors.InvalidInput, match="status cancelled is not one of pending, invoiced, paid"):
            admin.set_commission_status(commission_id=listing, status="cancelled")
        with pytest.raises(errors.NotFound, match="not found"):
            admin.set_commission_status(commission_id=MISSING, status="paid")
    with as_(db_url, service_role=True) as bot:
        assert bot.set_commission_status(commission_id=listing, status="paid")["status"] == "paid"
        with pytest.raises(errors.InvalidTransition, match="from paid to invoiced"):
            bot.set_commission_status(commission_id=listing, status="invoiced")
    platform = commission_id(db, "platform")
    with as_(db_url, ADMIN) as admin, pytest.raises(errors.InvalidTransition, match="from pending to paid"):
        admin.set_commission_status(commission_id=platform, status="paid")


@pytest.mark.usefixtures("cast")
@pytest.mark.parametrize("who", [AGENT, BROKER, OTHER_AGENT, CUSTOMER, STRANGER])
def test_only_staff_move_a_commission_and_others_learn_nothing(as_, db_url: str, db: psycopg.Connection, who: str) -> None:
    listing = commission_id(db, "listing")
    before = db.execute("select id, status, updated_at from public.platform_commissions order by id").fetchall()
    with as_(db_url, who) as vic:
        for target in (listing, MISSING):  # the same answer whether the row exists or not
            with pytest.raises(errors.AccessDenied) as caught:
                vic.set_commission_status(commission_id=target, status="invoiced")
            assert caught.value.one_line().endswith("only admins and owners may set a commission's status")
    assert db.execute("select id, status, updated_at from public.platform_commissions order by id").fetchall() == before


# ------------------------------------------------------------------------------------ CLI



@pytest.mark.usefixtures("cast")
def test_cli_commission_commands(db_url: str, db: psycopg.Connection) -> None:
    url = ("--database-url", db_url)
    output = ok("--as", CUSTOMER, "commission", "split", *url)
    assert "single" in output and "cross" in output and "45.00" in output and "90.00" in output

    # Turkish decimal comma; --buying defaults to 0 for a single deal
    output = ok("--as", ADMIN, "commission", "set-split", "cross", "--listing", "42,5", "--buying", "42.5",
                "--platform", "15", *url)
    assert "42.50" in output and "15.00" in output
    ok("--as", ADMIN, "commission", "set-split", "single", "--listing", "85", "--platform", "15", *url)
    assert db.execute(SPLIT).fetchall() == [("cross", Decimal("42.50"), Decimal("42.50"), Decimal(15)),
                                            ("single", Decimal(85), Decimal(0), Decimal(15))]

    listing = commission_id(db, "listing")
    output = ok("--as", ADMIN, "commission", "status", listing, "invoiced", *url)
    assert listing in output and "invoiced" in output and "60000" in output
    assert "paid" in ok("--service-role", "commission", "status", listing, "paid", *url)


@pytest.mark.usefixtures("cast")
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--as", AGENT, "commission", "set-split", "cross", "--listing", "50", "--buying", "40", "--platform", "10"],
         "only admins and owners may set the commission split"),
        (["--as", ADMIN, "commission", "set-split", "cross", "--listing", "50", "--buying", "0", "--platform", "10"],
         "listing_rate + buying_rate + platform_rate must add up to 100, not 60"),
        (["--as", ADMIN, "commission", "set-split", "cross", "--listing", "50", "--platform", "50"],
         "--buying is required for a cross deal"),
        (["--as", ADMIN, "commission", "set-split", "single", "--listing", "yüzde doksan", "--platform", "10"],
         "--listing: 'yüzde doksan' is not a percentage"),
        (["--as", AGENT, "commission", "status", MISSING, "paid"], "only admins and owners may set a commission's status"),
        (["--as", ADMIN, "commission", "status", MISSING, "paid"], f"commission {MISSING} not found"),
    ],
    ids=["agent-sets-split", "sum-60", "cross-without-buying", "not-a-number", "agent-sets-status", "missing"],
)
def test_cli_commission_errors_are_one_line(db_url: str, argv: list[str], message: str) -> None:
    assert message in one_error_line(vic(*argv, "--database-url", db_url))
