"""VicClient on both transports (the `as_` fixture, tests/transports.py) against a real migrated database, and the
RPC commands of the CLI.

Each test gets a fresh copy of the migrated template (`db_url`); `people` inserts, as the superuser,
a small cast with fixed ids: staff, a broker and an agent of one office, an agent of another, a
customer, and one listing of the first agent with a photo.
"""

from __future__ import annotations

import logging
import uuid

import psycopg
import pytest

from vic import errors
from vic.client import VicClient
from vic.transport import PsycopgTransport, Transport
from tests.cli_run import vic, one_error_line

ADMIN = "00000000-0000-4000-8000-00000000c001"
BROKER = "00000000-0000-4000-8000-00000000c002"
AGENT = "00000000-0000-4000-8000-00000000c003"  # the listing agent, office Moda
OTHER_AGENT = "00000000-0000-4000-8000-00000000c004"  # office Beşiktaş
CUSTOMER = "00000000-0000-4000-8000-00000000c005"
STRANGER = "00000000-0000-4000-8000-00000000c0ff"  # a valid token naming no contact
LISTING = "2026-001"
AGENT_PHONE = "+905320000003"


@pytest.fixture
def people(db: psycopg.Connection) -> None:
    ids = {"admin": ADMIN, "broker": BROKER, "agent": AGENT, "other": OTHER_AGENT, "customer": CUSTOMER,
           "listing": LISTING, "agent_phone": AGENT_PHONE}
    with db.transaction():
        db.execute(
            """insert into public.contacts (id, phone, display_name, contact_type) values
                 (%(admin)s, '+905320000001', 'Ayşe Yönetici', 'staff'),
                 (%(broker)s, '+905320000002', 'Mehmet Broker', 'agent'),
                 (%(agent)s, %(agent_phone)s, 'Elif Danışman', 'agent'),
                 (%(other)s, '+905320000004', 'Can Başka', 'agent'),
                 (%(customer)s, '+905320000005', 'Zeynep Müşteri', 'customer')""", ids)
        db.execute(
            """insert into public.agent_profiles (contact_id, role, office) values
                 (%(admin)s, 'admin', null),
                 (%(broker)s, 'broker', 'Moda Emlak'),
                 (%(agent)s, 'agent', 'Moda Emlak'),
                 (%(other)s, 'agent', 'Beşiktaş Gayrimenkul')""", ids)
        db.execute(
            """insert into public.portfolios (id, agent_id, type, listing_type, title, description, district, rooms,
                                              listed_price, currency, status)
               values (%(listing)s, %(agent)s, 'daire', 'sale', 'Moda''da deniz manzaralı 3+1', '140 m², asansörlü',
                       'Kadıköy', '3+1', 12500000, 'TRY', 'active')""", ids)
        db.execute(
            """insert into public.portfolio_media (portfolio_id, media_type, storage_path, sort_order)
               values (%(listing)s, 'photo', 'portfolios/2026-001/1.jpg', 0)""", ids)




# ------------------------------------------------------------------------------------ acting identity
@pytest.mark.usefixtures("people")
@pytest.mark.parametrize(
    ("who", "service_role", "expected"),
    [
        (CUSTOMER, False, {"contact_id": uuid.UUID(CUSTOMER), "authority": "customer", "office": None}),
        (AGENT, False, {"contact_id": uuid.UUID(AGENT), "authority": "agent", "office": "Moda Emlak"}),
        (BROKER, False, {"contact_id": uuid.UUID(BROKER), "authority": "broker", "office": "Moda Emlak"}),
        (ADMIN, False, {"contact_id": uuid.UUID(ADMIN), "authority": "admin", "office": None}),
        (STRANGER, False, {"contact_id": uuid.UUID(STRANGER), "authority": None, "office": None}),
        (None, True, {"contact_id": None, "authority": "service_role", "office": None}),
    ],
    ids=["customer", "agent", "broker", "admin", "stranger", "service_role"],
)
def test_whoami(as_, db_url: str, who: str | None, service_role: bool, expected: dict) -> None:
    with as_(db_url, who, service_role=service_role) as vic:
        assert vic.whoami() == expected


@pytest.mark.usefixtures("people")
def test_whoami_as_the_connections_own_user(db_url: str) -> None:
    # psycopg only: the dashboard admin in the SQL editor; the Supabase API has no such caller
    with VicClient.connect(db_url) as vic:
        assert vic.whoami() == {"contact_id": None, "authority": "database", "office": None}


@pytest.mark.usefixtures("people")
def test_anon_may_call_nothing(as_, db_url: str) -> None:
    with as_(db_url, anon=True) as nobody:
        for call in (nobody.whoami, nobody.portfolio_cards, nobody.commission_split):
            with pytest.raises(errors.AccessDenied, match="permission denied for function") as caught:
                call()
            assert caught.value.sqlstate == "42501"


@pytest.mark.usefixtures("people")
def test_role_and_claims_end_with_each_call(db_url: str) -> None:
    transport = PsycopgTransport(db_url, acting_as=CUSTOMER)
    assert isinstance(transport, Transport)
    with VicClient(transport) as vic:
        assert vic.whoami()["authority"] == "customer"
        conn = transport._conn
        assert conn is not None
        row = conn.execute("select current_user, current_setting('request.jwt.claims', true)").fetchone()
        assert row["current_user"] not in ("authenticated", "service_role") and not row["current_setting"]
        # the same connection keeps acting as the contact, call after call (and after an error)
        with pytest.raises(errors.AccessDenied):
            vic.set_agent_role(contact_id=CUSTOMER, role="admin")
        assert vic.whoami()["contact_id"] == uuid.UUID(CUSTOMER)


def test_acting_as_must_be_an_id_and_not_both(db_url: str) -> None:
    with pytest.raises(errors.InvalidInput, match="contact id") as caught:
        VicClient.connect(db_url, acting_as="+905321234567")
    assert "+90532" not in str(caught.value)
    with pytest.raises(errors.InvalidInput, match="not both"):
        VicClient.connect(db_url, acting_as=CUSTOMER, service_role=True)


def test_statement_is_built_with_identifiers_and_placeholders(db: psycopg.Connection) -> None:
    query = PsycopgTransport.statement("record_consent", ["p_kind", "p_granted"]).as_string(db)
    assert query == 'select * from "public"."record_consent"("p_kind" => %s, "p_granted" => %s)'
    assert PsycopgTransport.statement("whoami", []).as_string(db) == 'select * from "public"."whoami"()'


def test_unreachable_database_is_connection_failed() -> None:
    with pytest.raises(errors.ConnectionFailed, match="cannot connect") as caught:
        VicClient.connect("postgresql://postgres:s3cret@127.0.0.1:1/x", service_role=True).whoami()
    assert "s3cret" not in str(caught.value)


# ------------------------------------------------------------------------------------ each RPC
@pytest.mark.usefixtures("people")
def test_upsert_contact_creates_then_finds_and_fills(as_, db_url: str) -> None:
    with as_(db_url, service_role=True) as bot:
        created = bot.upsert_contact(phone="+905551112233")
        assert created["phone"] == "+905551112233"
        assert created["contact_type"] == "lead" and created["onboarding_status"] == "new"
        assert created["bsuid"] is None and created["display_name"] is None
        found = bot.upsert_contact(phone="+905551112233", bsuid="TR.abc123", display_name="Deniz")
        assert found["id"] == created["id"]
        assert (found["bsuid"], found["display_name"]) == ("TR.abc123", "Deniz")
        by_bsuid = bot.upsert_contact(bsuid="TR.abc123", contact_type="customer")
        assert by_bsuid["id"] == created["id"] and by_bsuid["contact_type"] == "customer"
    with as_(db_url, ADMIN) as admin:  # staff too
        assert admin.upsert_contact(bsuid="only-a-bsuid")["phone"] is None


@pytest.mark.usefixtures("people")
def test_record_consent_as_the_contact_and_for_it(as_, db_url: str) -> None:
    with as_(db_url, CUSTOMER) as me:
        row = me.record_consent(kind="transfer", granted=True)
        assert row["id"] == uuid.UUID(CUSTOMER)
        assert row["consent_transfer"] is True and row["consent_transfer_at"] is not None
        assert row["consent_marketing"] is False and row["consent_marketing_at"] is None
    with as_(db_url, service_role=True) as bot:
        row = bot.record_consent(kind="marketing", granted=True, contact_id=CUSTOMER)
        assert row["consent_marketing"] is True and row["consent_transfer"] is True
        with pytest.raises(errors.InvalidInput, match="contact_id is required"):
            bot.record_consent(kind="marketing", granted=False)
    with as_(db_url, OTHER_AGENT) as stranger_agent, pytest.raises(errors.AccessDenied):
        stranger_agent.record_consent(kind="training", granted=True, contact_id=CUSTOMER)


@pytest.mark.usefixtures("people")
def test_set_onboarding_status_walks_the_state_machine(as_, db_url: str) -> None:
    with as_(db_url, service_role=True) as bot:
        assert bot.set_onboarding_status(contact_id=CUSTOMER, status="consent_pending")["onboarding_status"] \
            == "consent_pending"
        with pytest.raises(errors.InvalidTransition, match="from consent_pending to active"):
            bot.set_onboarding_status(contact_id=CUSTOMER, status="active")
        assert bot.set_onboarding_status(contact_id=CUSTOMER, status="profiling")["onboarding_status"] == "profiling"
        with pytest.raises(errors.NotFound):
            bot.set_onboarding_status(contact_id=STRANGER, status="blocked")
    with as_(db_url, CUSTOMER) as me, pytest.raises(errors.AccessDenied):
        me.set_onboarding_status(contact_id=CUSTOMER, status="active")


@pytest.mark.usefixtures("people")
def test_set_agent_role_by_admin(as_, db_url: str, db: psycopg.Connection) -> None:
    with as_(db_url, ADMIN) as admin:
        profile = admin.set_agent_role(contact_id=CUSTOMER, role="agent", office="Moda Emlak")
        assert profile["contact_id"] == uuid.UUID(CUSTOMER)
        assert (profile["role"], profile["office"], profile["active"]) == ("agent", "Moda Emlak", True)
        assert admin.set_agent_role(contact_id=CUSTOMER, role="broker", active=False)["active"] is False
    assert db.execute("select contact_type from public.contacts where id = %s", (CUSTOMER,)).fetchone() == ("agent",)
    with as_(db_url, CUSTOMER) as former:  # an inactive profile: a customer again
        assert former.whoami()["authority"] == "customer"


@pytest.mark.usefixtures("people")
def test_update_agent_profile_edits_own_fields(as_, db_url: str) -> None:
    with as_(db_url, AGENT) as me:
        row = me.update_agent_profile(specialty="deniz manzaralı daireler", target_monthly=3)
        assert (row["specialty"], row["territory"], row["target_monthly"]) == ("deniz manzaralı daireler", None, 3)
        row = me.update_agent_profile(territory="Kadıköy, Üsküdar")
        assert (row["specialty"], row["territory"], row["target_monthly"]) == \
            ("deniz manzaralı daireler", "Kadıköy, Üsküdar", 3)
        assert row["role"] == "agent" and row["office"] == "Moda Emlak"
        with pytest.raises(errors.InvalidInput, match="target_monthly"):
            me.update_agent_profile(target_monthly=-1)
    with as_(db_url, CUSTOMER) as customer, pytest.raises(errors.NotFound):
        customer.update_agent_profile(specialty="x")


@pytest.mark.usefixtures("people")
def test_grant_visibility_and_cards(as_, db_url: str) -> None:
    with as_(db_url, OTHER_AGENT) as other:
        [card] = other.portfolio_cards()
        assert card["id"] == LISTING and card["visibility_level"] == "anonymous"
        assert (card["type"], card["listing_type"], card["district"], card["rooms"]) == ("daire", "sale", "Kadıköy", "3+1")
        assert (card["price_band_min"], card["price_band_max"]) == (10_000_000, 15_000_000)
        hidden = ("listed_price", "title", "description", "media", "agent_name", "agent_phone")
        assert {k: card[k] for k in hidden} == dict.fromkeys(hidden)

    with as_(db_url, AGENT) as listing_agent:
        grant = listing_agent.grant_visibility(portfolio_id=LISTING, agent_id=OTHER_AGENT, level="partial")
        assert (grant["portfolio_id"], grant["agent_id"], grant["visibility_level"]) == \
            (LISTING, uuid.UUID(OTHER_AGENT), "partial")
        assert grant["granted_by"] == uuid.UUID(AGENT) and grant["deal_id"] is None
        # never lowered: asking for less leaves the grant as it is
        assert listing_agent.grant_visibility(portfolio_id=LISTING, agent_id=OTHER_AGENT,
                                              level="anonymous")["visibility_level"] == "partial"

    with as_(db_url, OTHER_AGENT) as other:
        [card] = other.portfolio_cards(portfolio_ids=[LISTING])
        assert card["visibility_level"] == "partial"
        assert (card["listed_price"], card["agent_name"], card["agent_phone"]) == (12_500_000, "Elif Danışman", None)
        assert card["media"] == [{"media_type": "photo", "storage_path": "portfolios/2026-001/1.jpg"}]
        assert other.portfolio_cards(portfolio_ids=["2026-999"]) == []
        assert other.portfolio_cards(offset=1) == []
        with pytest.raises(errors.InvalidInput, match="limit"):
            other.portfolio_cards(limit=0)
        with pytest.raises(errors.AccessDenied):  # only the listing's side grants
            other.grant_visibility(portfolio_id=LISTING, agent_id=OTHER_AGENT, level="full")

    with as_(db_url, BROKER) as broker:  # a broker of the listing's office
        assert broker.grant_visibility(portfolio_id=LISTING, agent_id=OTHER_AGENT, level="full")["visibility_level"] \
            == "full"
    with as_(db_url, OTHER_AGENT) as other:
        assert other.portfolio_cards()[0]["agent_phone"] == AGENT_PHONE
    with as_(db_url, CUSTOMER) as customer:  # customers get no cards
        assert customer.portfolio_cards() == []


# ------------------------------------------------------------------------------------ errors
@pytest.mark.usefixtures("people")
@pytest.mark.parametrize(
    ("who", "call", "error", "message"),
    [
        ("bot", lambda v: v.upsert_contact(phone="05321234567"), errors.InvalidInput, "E.164"),
        ("bot", lambda v: v.upsert_contact(), errors.InvalidInput, "phone or bsuid"),
        ("bot", lambda v: v.record_consent(kind="sms", granted=True, contact_id=CUSTOMER), errors.InvalidInput, "kind"),
        ("bot", lambda v: v.set_onboarding_status(contact_id="not-a-uuid", status="active"), errors.InvalidInput, "uuid"),
        (CUSTOMER, lambda v: v.set_agent_role(contact_id=CUSTOMER, role="admin"), errors.AccessDenied, "set agent roles"),
        (CUSTOMER, lambda v: v.upsert_contact(phone="+905551112233"), errors.AccessDenied, "register contacts"),
        (AGENT, lambda v: v.set_agent_role(contact_id=AGENT, role="broker"), errors.AccessDenied, "set agent roles"),
        (ADMIN, lambda v: v.set_agent_role(contact_id=CUSTOMER, role="janitor"), errors.InvalidInput, "role janitor"),
        (ADMIN, lambda v: v.set_agent_role(contact_id=CUSTOMER, role="owner"), errors.AccessDenied, "owner"),
        (ADMIN, lambda v: v.set_agent_role(contact_id=STRANGER, role="agent"), errors.NotFound, "not found"),
        (AGENT, lambda v: v.grant_visibility(portfolio_id=LISTING, agent_id=OTHER_AGENT, level="total"),
         errors.InvalidInput, "level"),
        (AGENT, lambda v: v.grant_visibility(portfolio_id=LISTING, agent_id=CUSTOMER, level="full"),
         errors.InvalidInput, "not an active agent"),
    ],
    ids=["bad-phone", "no-identity", "bad-kind", "bad-uuid", "customer-set-role", "customer-upsert",
         "agent-set-role", "bad-role", "admin-makes-owner", "missing-contact", "bad-level", "grant-to-customer"],
)
def test_errors_arrive_as_their_class(as_, db_url: str, db: psycopg.Connection, who, call, error, message) -> None:
    before = db.execute("select count(*), max(updated_at) from public.contacts").fetchone()
    with as_(db_url, None if who == "bot" else who, service_role=who == "bot") as vic:
        with pytest.raises(error, match=message) as caught:
            call(vic)
    assert type(caught.value) is error and caught.value.sqlstate
    assert db.execute("select count(*), max(updated_at) from public.contacts").fetchone() == before  # nothing written


@pytest.mark.usefixtures("people")
def test_parameters_are_never_logged(as_, db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with as_(db_url, service_role=True) as bot:
        bot.upsert_contact(phone="+905559998877", display_name="Gizli Sahip")
        with pytest.raises(errors.InvalidInput) as caught:
            bot.upsert_contact(phone="+90 555 999 88 77")
    assert "555" not in caplog.text and "Gizli" not in caplog.text
    assert "555" not in caught.value.one_line()


# ------------------------------------------------------------------------------------ CLI


@pytest.mark.usefixtures("people")
def test_cli_whoami_as_a_contact(db_url: str) -> None:
    result = vic("--as", AGENT, "contact", "whoami", "--database-url", db_url)
    assert result.exit_code == 0, result.output
    assert AGENT in result.output and "agent" in result.output and "Moda Emlak" in result.output
    # the acting contact may come from the environment; --service-role acts as the bot
    result = vic("contact", "whoami", "--database-url", db_url, VIC_AS=CUSTOMER)
    assert result.exit_code == 0 and "customer" in result.output, result.output
    result = vic("--service-role", "contact", "whoami", VIC_DATABASE_URL=db_url)
    assert result.exit_code == 0 and "service_role" in result.output, result.output


@pytest.mark.usefixtures("people")
def test_cli_contact_commands(db_url: str, db: psycopg.Connection) -> None:
    result = vic("--service-role", "contact", "upsert", "--phone", "+905551112233", "--display-name", "Deniz",
                 "--database-url", db_url)
    assert result.exit_code == 0, result.output
    assert "+905551112233" in result.output and "Deniz" in result.output
    (new_id,) = db.execute("select id from public.contacts where phone = '+905551112233'").fetchone()

    result = vic("--as", str(new_id), "contact", "consent", "transfer", "--grant", "--database-url", db_url)
    assert result.exit_code == 0, result.output
    assert db.execute("select consent_transfer, consent_transfer_at is not null from public.contacts where id = %s",
                      (new_id,)).fetchone() == (True, True)
    result = vic("--service-role", "contact", "consent", "transfer", "--withdraw", "--contact-id", str(new_id),
                 "--database-url", db_url)
    assert result.exit_code == 0, result.output
    assert db.execute("select consent_transfer from public.contacts where id = %s", (new_id,)).fetchone() == (False,)

    result = vic("--as", ADMIN, "contact", "status", str(new_id), "consent_pending", "--database-url", db_url)
    assert result.exit_code == 0 and "consent_pending" in result.output, result.output
    line = one_error_line(vic("--as", ADMIN, "contact", "status", str(new_id), "active", "--database-url", db_url))
    assert "cannot move from consent_pending to active" in line


@pytest.mark.usefixtures("people")
def test_cli_agent_and_visibility_commands(db_url: str, db: psycopg.Connection) -> None:
    result = vic("--as", ADMIN, "agent", "set-role", CUSTOMER, "agent", "--office", "Moda Emlak",
                 "--database-url", db_url)
    assert result.exit_code == 0, result.output
    assert db.execute("select role, office, active from public.agent_profiles where contact_id = %s",
                      (CUSTOMER,)).fetchone() == ("agent", "Moda Emlak", True)

    result = vic("--as", CUSTOMER, "agent", "update", "--territory", "Kadıköy", "--target-monthly", "4",
                 "--database-url", db_url)
    assert result.exit_code == 0 and "Kadıköy" in result.output, result.output

    result = vic("--as", OTHER_AGENT, "visibility", "cards", "--database-url", db_url)
    assert result.exit_code == 0, result.output
    assert LISTING in result.output and "anonymous" in result.output
    assert "10.000.000–15.000.000 ₺" in result.output and "12.500.000" not in result.output

    result = vic("--as", AGENT, "visibility", "grant", LISTING, OTHER_AGENT, "full", "--database-url", db_url)
    assert result.exit_code == 0 and "full" in result.output, result.output

    result = vic("--as", OTHER_AGENT, "visibility", "cards", LISTING, "--limit", "5", "--database-url", db_url)
    assert result.exit_code == 0, result.output
    assert "12.500.000 ₺" in result.output and "Elif Danışman" in result.output and AGENT_PHONE in result.output


@pytest.mark.usefixtures("people")
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--as", CUSTOMER, "agent", "set-role", CUSTOMER, "admin"], "only admins and owners may set agent roles"),
        (["--service-role", "contact", "upsert", "--phone", "0532 123 45 67"], "phone must be in E.164 form"),
        (["--as", "+905321234567", "contact", "whoami"], "contact id"),
        (["--as", CUSTOMER, "--service-role", "contact", "whoami"], "--as, --service-role and --superuser exclude each other"),
        (["--as", AGENT, "visibility", "grant", LISTING, OTHER_AGENT, "total"], "LEVEL total is not one of"),
    ],
    ids=["access-denied", "invalid-phone", "as-not-an-id", "as-and-service-role", "bad-level"],
)
def test_cli_errors_are_one_line(db_url: str, argv: list[str], message: str) -> None:
    line = one_error_line(vic(*argv, "--database-url", db_url))
    assert message in line
    assert "0532 123" not in line
