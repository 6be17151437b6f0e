"""The training export (functions/export.sql): staff get the conversations of contacts holding
consent_training and consent_transfer, per session (messages outside a session: per contact), never content
stored without transfer consent (NULL content: withheld by ingestion), bounded (1-1000 conversations, 200
messages each), paged by the last message's time; customers, agents and the bot are refused;
`vic export training` prints a table of at most 100 columns or JSON Lines, times in Istanbul.

Messages are inserted as the superuser (this suite tests the export, not ingest_message)."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from tests.cli_run import ok, one_error_line, vic
from vic import errors
from vic.client import VicClient

ADMIN = "00000000-0000-4000-8000-0000000b0001"
AGENT = "00000000-0000-4000-8000-0000000b0002"
BOTH = "00000000-0000-4000-8000-0000000b0003"        # training + transfer: exported
NO_TRANSFER = "00000000-0000-4000-8000-0000000b0004"  # training only: its content never leaves
NO_TRAINING = "00000000-0000-4000-8000-0000000b0005"  # transfer only: not exported
LOOSE = "00000000-0000-4000-8000-0000000b0006"        # both, messages outside any session
SESSION = "00000000-0000-4000-8000-0000000b0101"      # BOTH's
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _msg(db: psycopg.Connection, contact: str, direction: str, content: str | None, at: datetime,
         session: str | None = None) -> None:
    inbound = direction == "inbound"
    db.execute("insert into public.message_log (from_contact, to_contact, direction, content, wa_message_id,"
               " session_id, created_at) values (%s, %s, %s, %s, %s, %s, %s)",
               (contact if inbound else None, None if inbound else contact, direction, content,
                f"wamid.{uuid.uuid4()}", session, at))


@pytest.fixture
def world(db: psycopg.Connection) -> None:
    with db.transaction():
        db.execute("""insert into public.contacts (id, phone, display_name, contact_type, consent_transfer,
                                                   consent_training) values
                   (%s, '+905320000301', 'Ayşe Yönetici', 'staff', true, true),
                   (%s, '+905320000302', 'Elif Danışman', 'agent', true, true),
                   (%s, '+905320000303', 'Zeynep', 'customer', true, true),
                   (%s, '+905320000304', 'Can', 'customer', false, true),
                   (%s, '+905320000305', 'Ali', 'customer', true, false),
                   (%s, '+905320000306', 'Deniz', 'lead', true, true)""",
                   (ADMIN, AGENT, BOTH, NO_TRANSFER, NO_TRAINING, LOOSE))
        db.execute("insert into public.agent_profiles (contact_id, role, office) values (%s, 'admin', null), "
                   "(%s, 'agent', 'Moda Emlak')", (ADMIN, AGENT))
        db.execute("insert into public.sessions (id, contact_id, language) values (%s, %s, 'tr')", (SESSION, BOTH))
        _msg(db, BOTH, "inbound", "Merhaba, Kadıköy'de 3+1 arıyorum", T0, SESSION)
        _msg(db, BOTH, "outbound", "Bütçeniz nedir?", T0 + timedelta(minutes=1), SESSION)
        _msg(db, BOTH, "inbound", None, T0 + timedelta(minutes=2), SESSION)  # withheld (no transfer consent then)
        _msg(db, BOTH, "inbound", "13 milyon", T0 + timedelta(minutes=3), SESSION)
        _msg(db, NO_TRANSFER, "inbound", "GİZLİ-1 stored before the consent was withdrawn", T0)
        _msg(db, NO_TRAINING, "inbound", "GİZLİ-2 no training consent", T0)
        _msg(db, LOOSE, "inbound", "Kiralık var mı?", T0 + timedelta(hours=1))
        _msg(db, LOOSE, "outbound", "Hangi semtte?", T0 + timedelta(hours=1, minutes=1))


def as_(db_url: str, who: str | None = None, *, service_role: bool = False) -> VicClient:
    return VicClient.connect(db_url, acting_as=who, service_role=service_role)


@pytest.mark.usefixtures("world")
def test_staff_export_only_consented_conversations_without_withheld_content(db_url: str) -> None:
    with as_(db_url, ADMIN) as admin:
        rows = admin.export_training_conversations()
    assert [(r["contact_id"], r["session_id"]) for r in rows] == \
        [(uuid.UUID(BOTH), uuid.UUID(SESSION)), (uuid.UUID(LOOSE), None)]  # oldest last message first
    session = rows[0]
    assert (session["language"], session["message_count"], session["truncated"]) == ("tr", 3, False)
    assert [(m["role"], m["type"], m["text"]) for m in session["messages"]] == [
        ("customer", "text", "Merhaba, Kadıköy'de 3+1 arıyorum"), ("bot", "text", "Bütçeniz nedir?"),
        ("customer", "text", "13 milyon")]
    assert (session["started_at"], session["last_message_at"]) == (T0, T0 + timedelta(minutes=3))
    assert [m["text"] for m in rows[1]["messages"]] == ["Kiralık var mı?", "Hangi semtte?"]
    dumped = json.dumps(rows, default=str)
    assert "GİZLİ" not in dumped and "None" not in json.dumps([m["text"] for r in rows for m in r["messages"]])


@pytest.mark.usefixtures("world")
def test_pages_bounds_and_consent_withdrawal(db_url: str, db: psycopg.Connection) -> None:
    with as_(db_url) as owner:  # the dashboard's own user may export too
        first = owner.export_training_conversations(limit=1)
        assert [r["session_id"] for r in first] == [uuid.UUID(SESSION)]
        # the next page starts at the last row's time: that row comes again (key by contact and session), then the rest
        rest = owner.export_training_conversations(since=first[-1]["last_message_at"], limit=1000)
        assert [r["session_id"] for r in rest] == [uuid.UUID(SESSION), None]
        assert [r["contact_id"] for r in owner.export_training_conversations(since=T0 + timedelta(minutes=30))] == \
            [uuid.UUID(LOOSE)]
        for bad in (0, 1001):
            with pytest.raises(errors.InvalidInput, match="limit must be between 1 and 1000"):
                owner.export_training_conversations(limit=bad)
    # a long conversation: its first 200 messages, marked truncated
    for i in range(205):
        _msg(db, BOTH, "inbound", f"mesaj {i}", T0 + timedelta(days=1, seconds=i), SESSION)
    with as_(db_url, ADMIN) as admin:
        long = next(r for r in admin.export_training_conversations() if r["session_id"] == uuid.UUID(SESSION))
        assert (long["message_count"], long["truncated"], len(long["messages"])) == (208, True, 200)
        assert long["messages"][0]["text"].startswith("Merhaba") and long["messages"][-1]["text"] == "mesaj 196"
    # withdrawing either consent takes the contact out of the next export
    db.execute("update public.contacts set consent_training = false where id = %s", (BOTH,))
    db.execute("update public.contacts set consent_transfer = false where id = %s", (LOOSE,))
    with as_(db_url, ADMIN) as admin:
        assert admin.export_training_conversations() == []


@pytest.mark.usefixtures("world")
def test_nobody_but_staff_exports(db_url: str) -> None:
    for who in (BOTH, AGENT):
        with as_(db_url, who) as them, pytest.raises(errors.AccessDenied, match="staff only"):
            them.export_training_conversations()
    with as_(db_url, service_role=True) as bot, pytest.raises(errors.AccessDenied):
        bot.export_training_conversations()  # training data leaves through staff only


@pytest.mark.usefixtures("world")
def test_cli_export_training(db_url: str) -> None:
    url = ("--database-url", db_url)
    out = ok("--as", ADMIN, "export", "training", *url)
    assert "2 conversations" in out and SESSION in out and "2026-03-02 12:03" in out  # Istanbul: UTC+3
    assert all(len(line) <= 100 for line in out.splitlines()), out
    lines = ok("--as", ADMIN, "export", "training", "--json", *url).splitlines()
    rows = [json.loads(line) for line in lines]
    assert [r["session_id"] for r in rows] == [SESSION, None]
    assert rows[0]["last_message_at"] == "2026-03-02T12:03:00+03:00"
    assert rows[0]["messages"][0] == {"at": "2026-03-02T12:00:00+03:00", "role": "customer", "type": "text",
                                      "text": "Merhaba, Kadıköy'de 3+1 arıyorum"}
    since = ok("--as", ADMIN, "export", "training", "--since", "2026-03-02T12:30", "--json", *url).splitlines()
    assert [json.loads(line)["contact_id"] for line in since] == [LOOSE]
    assert "no conversation" in ok("--as", ADMIN, "export", "training", "--since", "2099-01-01", *url)
    assert "--since" in one_error_line(vic("--as", ADMIN, "export", "training", "--since", "dün", *url))
    assert "limit" in one_error_line(vic("--as", ADMIN, "export", "training", "--limit", "5000", *url))
    assert "staff only" in one_error_line(vic("--as", BOTH, "export", "training", *url))
