"""The window and consent RPCs through VicClient and the `vic` CLI (CliRunner), against a fresh migrated copy:
`vic contact window`, `vic contact window-open`, `vic contact consent --message-id`, `vic contact consents`,
`vic nudge claim`. Times print in Istanbul time; tables fit 100 columns; errors are one line naming the field."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import psycopg
import pytest

from vic import errors
from vic.client import VicClient
from tests.cli_run import ok, one_error_line, vic

ISTANBUL = ZoneInfo("Europe/Istanbul")
ADMIN = "00000000-0000-4000-8000-00000000d001"
SELIN = "00000000-0000-4000-8000-00000000d002"  # window open, consents given by message
EMRE = "00000000-0000-4000-8000-00000000d003"   # window closed 25 hours ago: a nudge is due
MESSAGE = "00000000-0000-4000-8000-00000000d0a1"  # Selin's inbound message
NOW = datetime.now(timezone.utc).replace(microsecond=0)
SELIN_WROTE = NOW - timedelta(hours=1)
EMRE_WROTE = NOW - timedelta(hours=25)


@pytest.fixture
def people(db: psycopg.Connection) -> None:
    with db.transaction():
        db.execute("insert into public.contacts (id, phone, contact_type, display_name, onboarding_status, consent_transfer,"
                   " consent_marketing) values (%s, '+905320000001', 'staff', 'Admin', 'active', true, false),"
                   " (%s, '+905551110001', 'customer', 'Selin Koç', 'profiling', false, false),"
                   " (%s, '+905551110002', 'customer', 'Emre Aydın', 'active', true, true)", (ADMIN, SELIN, EMRE))
        db.execute("insert into public.agent_profiles (contact_id, role) values (%s, 'admin')", (ADMIN,))
        db.execute("insert into public.message_log (id, from_contact, direction, content, wa_message_id, created_at)"
                   " values (%s, %s, 'inbound', 'EVET', 'wamid.cli.1', %s), (gen_random_uuid(), %s, 'inbound', 'merhaba',"
                   " 'wamid.cli.2', %s)", (MESSAGE, SELIN, SELIN_WROTE, EMRE, EMRE_WROTE))


def _local(moment: datetime) -> str:
    return moment.astimezone(ISTANBUL).strftime("%Y-%m-%d %H:%M")


def _narrow(output: str) -> None:
    assert max(len(line) for line in output.splitlines()) <= 100, output


# ------------------------------------------------------------------------------------ client
@pytest.mark.usefixtures("people")
def test_client_window_consent_and_nudges(db_url: str) -> None:
    with VicClient.connect(db_url, service_role=True) as bot:
        row = bot.record_consent(kind="transfer", granted=True, contact_id=SELIN, message_id=MESSAGE)
        assert row["consent_transfer"] is True
        with pytest.raises(errors.InvalidInput, match="message_id must be an inbound message of the contact"):
            bot.record_consent(kind="training", granted=True, contact_id=EMRE, message_id=MESSAGE)
        assert bot.window_open(contact_id=SELIN) is True and bot.window_open(contact_id=EMRE) is False
        status = bot.window_status(contact_id=SELIN)
        assert status["window_closes_at"] == SELIN_WROTE + timedelta(hours=24)
        assert status["phone_expires_at"] == SELIN_WROTE + timedelta(days=30)
        claimed = bot.claim_nudges(batch=10)
        assert [(r["contact_id"], r["phone"], r["window_closed_at"]) for r in claimed] == \
            [(uuid.UUID(EMRE), "+905551110002", EMRE_WROTE + timedelta(hours=24))]
        assert bot.claim_nudges(batch=10, max_age=timedelta(days=30)) == []
    with VicClient.connect(db_url, acting_as=SELIN) as selin:
        history = selin.consent_history()
        assert [(h["consent"], h["granted"], h["actor_role"], h["message_id"]) for h in history] == \
            [("transfer", True, "service_role", uuid.UUID(MESSAGE))]
        with pytest.raises(errors.AccessDenied):
            selin.consent_history(contact_id=EMRE)
        with pytest.raises(errors.AccessDenied):
            selin.claim_nudges(batch=1)
        assert selin.window_open(contact_id=EMRE) is False  # another's window is never told
    with VicClient.connect(db_url, acting_as=ADMIN) as admin:
        assert len(admin.consent_history(contact_id=EMRE)) == 2  # transfer and marketing, given at creation
        with pytest.raises(errors.NotFound):
            admin.window_status(contact_id=str(uuid.uuid4()))


# ------------------------------------------------------------------------------------ CLI
@pytest.mark.usefixtures("people")
def test_cli_window(db_url: str) -> None:
    out = ok("--as", SELIN, "contact", "window", "--database-url", db_url)
    assert f"window open until {_local(SELIN_WROTE + timedelta(hours=24))} (Istanbul)" in out
    assert "+03:00" in out  # every moment of the row in Istanbul time, offset kept
    out = ok("--service-role", "contact", "window", EMRE, "--database-url", db_url)
    assert f"window closed since {_local(EMRE_WROTE + timedelta(hours=24))} (Istanbul): templates only" in out
    assert ok("--service-role", "contact", "window-open", SELIN, "--database-url", db_url).strip() == "open"
    assert ok("--as", SELIN, "contact", "window-open", EMRE, "--database-url", db_url).strip() == "closed"
    line = one_error_line(vic("--as", SELIN, "contact", "window", EMRE, "--database-url", db_url))
    assert "not found or not yours" in line


@pytest.mark.usefixtures("people")
def test_cli_consent_and_history(db_url: str, db: psycopg.Connection) -> None:
    ok("--service-role", "contact", "consent", "transfer", "--grant", "--contact-id", SELIN, "--message-id", MESSAGE,
       "--database-url", db_url)
    ok("--as", SELIN, "contact", "consent", "marketing", "--grant", "--database-url", db_url)
    out = ok("--as", SELIN, "contact", "consents", "--database-url", db_url)
    _narrow(out)
    assert "Consent history: 2" in out and "transfer" in out and "marketing" in out and "granted" in out
    # the bot, then Selin herself (her id folded under the role)
    assert "service_role" in out and "authenticated" in out and SELIN.split("-")[-1] in out
    (changed_at,) = db.execute("select max(changed_at) from private.consent_history where contact_id = %s",
                               (SELIN,)).fetchone()
    assert _local(changed_at) in out  # Istanbul time
    assert MESSAGE.split("-")[0] in out and MESSAGE.split("-")[-1] in out  # the message id, folded in its column
    line = one_error_line(vic("--service-role", "contact", "consent", "training", "--grant", "--contact-id", EMRE,
                              "--message-id", MESSAGE, "--database-url", db_url))
    assert "--message-id must be an inbound message of the contact" in line
    line = one_error_line(vic("--as", SELIN, "contact", "consents", EMRE, "--database-url", db_url))
    assert "not found or not yours" in line


@pytest.mark.usefixtures("people")
def test_cli_nudge_claim(db_url: str) -> None:
    line = one_error_line(vic("--service-role", "nudge", "claim", "--batch", "0", "--database-url", db_url))
    assert "batch must be between 1 and 1000" in line
    line = one_error_line(vic("--service-role", "nudge", "claim", "--max-age", "31", "--database-url", db_url))
    assert "--max-age must be between" in line
    line = one_error_line(vic("--as", SELIN, "nudge", "claim", "--database-url", db_url))
    assert "only staff and the bot claim nudges" in line
    out = ok("--service-role", "nudge", "claim", "--batch", "10", "--database-url", db_url)
    _narrow(out)
    assert "Nudges claimed: 1" in out and "+905551110002" in out and "Emre Aydın" in out
    assert _local(EMRE_WROTE + timedelta(hours=24)) in out
    assert ok("--as", ADMIN, "nudge", "claim", "--max-age", "30", "--database-url", db_url).strip() == "no nudge due"
