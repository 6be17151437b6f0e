"""`vic inbox claim|ack|release|dead|requeue` through typer's CliRunner, against a fresh copy of the migrated
database: what a person at the terminal sees (Istanbul times, tables of at most 100 columns) and one error line
naming the flag when something is refused."""
from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import psycopg
import pytest

from tests.cli_run import ok, one_error_line, vic

CUSTOMER = "3f2a9c1e-0000-4000-8000-0000000d0001"
ADMIN = "7b41d0aa-0000-4000-8000-0000000d0002"
ISTANBUL = ZoneInfo("Europe/Istanbul")


@pytest.fixture
def inbox(db: psycopg.Connection, db_url: str) -> tuple[psycopg.Connection, tuple[str, ...], list[str]]:
    """A customer (transfer consent: the text is stored) with three waiting messages (one a photo without text) and
    an admin; the URL option and the ids."""
    db.execute("insert into public.contacts (id, phone, contact_type, consent_transfer, display_name) values"
               " (%s, '+905321110001', 'customer', true, 'Emre Kaya'), (%s, '+905321110002', 'staff', true, null)",
               (CUSTOMER, ADMIN))
    db.execute("insert into public.agent_profiles (contact_id, role) values (%s, 'admin')", (ADMIN,))
    ids = [str(r[0]) for r in db.execute(
        "insert into public.message_log (from_contact, direction, message_type, content, wa_message_id, created_at)"
        " values (%s, 'inbound', 'text', 'Merhaba, Kadıköy''de deniz manzaralı, asansörlü, otoparklı 3+1 satılık daire"
        " arıyorum; bütçem 12 milyon civarı', 'wamid.cli.1', '2026-03-01 09:15:00+00'),"
        " (%s, 'inbound', 'image', null, 'wamid.cli.2', '2026-03-01 09:16:00+00'),"
        " (%s, 'inbound', 'text', 'Acil', 'wamid.cli.3', '2026-03-01 09:17:00+00') returning id",
        (CUSTOMER, CUSTOMER, CUSTOMER)).fetchall()]
    return db, ("--database-url", db_url), ids


def _widest(output: str) -> int:
    return max(len(line) for line in output.splitlines())


def test_claim_shows_the_messages_in_istanbul_time_within_100_columns(inbox) -> None:
    db, url, ids = inbox
    out = ok("--service-role", "inbox", "claim", "--worker", "bot-1", "--batch", "2", "--lease", "600", *url)
    assert "2 messages for bot-1" in out
    lease = db.execute("select max(lease_until) from public.message_log where claimed_by = 'bot-1'").fetchone()[0]
    assert f"yours until {lease.astimezone(ISTANBUL):%Y-%m-%d %H:%M}" in out, "the lease's end in Istanbul time"
    assert "2026-03-01 12:15" in out and "2026-03-01 12:16" in out, "received at, Istanbul time (UTC+3)"
    assert out.index(ids[0]) < out.index(ids[1]) and ids[2] not in out, "oldest first, two"
    assert "[image]" in out and "Emre Kaya" in out and "…" in out, "a photo by its type, the sender's name, the long text cut"
    assert _widest(out) <= 100
    assert db.execute("select count(*) from public.message_log where claimed_by = 'bot-1'"
                      " and lease_until between now() + interval '9 minutes' and now() + interval '10 minutes'").fetchone() == (2,), \
        "--lease 600 is ten minutes"
    assert "no message waiting" in ok("--service-role", "inbox", "claim", "--worker", "bot-2", *url), \
        "the contact is held by bot-1"
    # --json: the rows themselves, times in Istanbul with their offset
    db.execute("update public.message_log set lease_until = null where claimed_by = 'bot-1'")
    rows = json.loads(ok("--service-role", "inbox", "claim", "--worker", "bot-3", "--batch", "1", "--json", *url))
    assert [(r["id"], r["claimed_by"], r["created_at"]) for r in rows] == [(ids[0], "bot-3", "2026-03-01T12:15:00+03:00")]


def test_ack_and_release_in_the_workers_name(inbox) -> None:
    db, url, ids = inbox
    ok("--service-role", "inbox", "claim", "--worker", "bot-1", *url)
    line = one_error_line(vic("--service-role", "inbox", "ack", ids[0], "--worker", "bot-2", *url))
    assert "not held by worker bot-2" in line and "another worker holds it" in line
    out = ok("--service-role", "inbox", "ack", ids[0], "--worker", "bot-1", *url)
    processed = db.execute("select processed_at from public.message_log where id = %s", (ids[0],)).fetchone()[0]
    assert f"message {ids[0]} acknowledged at {processed.astimezone(ISTANBUL):%Y-%m-%d %H:%M}" in out
    out = ok("--service-role", "inbox", "release", ids[1], "--worker", "bot-1", "--error", "medya indirilemedi", *url)
    assert "2 messages handed back" in out and "medya indirilemedi" in out and ids[2] in out and _widest(out) <= 100
    assert db.execute("select count(*) from public.message_log where lease_until is not null").fetchone() == (0,)
    ok("--service-role", "inbox", "claim", "--worker", "bot-3", *url)
    line = one_error_line(vic("--service-role", "inbox", "ack-batch", ids[1], ids[0], "--worker", "bot-3", *url))
    assert f"message {ids[0]} is not held by worker bot-3" in line
    assert "2 messages acknowledged" in ok("--service-role", "inbox", "ack-batch", ids[1], ids[2], "--worker", "bot-3", *url)
    db.execute("update public.message_log set processed_at = null, claimed_by = null where id = %s", (ids[1],))
    # the worker's name comes from VIC_WORKER too
    assert vic("--service-role", "inbox", "claim", *url, VIC_WORKER="bot-env").exit_code == 0
    assert "acknowledged" in vic("--service-role", "inbox", "ack", ids[1], *url, VIC_WORKER="bot-env").output


def test_dead_letters_are_listed_and_requeued_by_staff(inbox) -> None:
    db, url, ids = inbox
    ok("--service-role", "inbox", "claim", "--worker", "bot-1", "--batch", "1", *url)
    ok("--service-role", "inbox", "release", ids[0], "--worker", "bot-1", "--error", "ayrıştırılamadı", *url)
    assert ids[0] not in ok("--service-role", "inbox", "claim", "--worker", "bot-1", "--max-attempts", "1", *url)
    assert [r["id"] for r in json.loads(ok("--as", ADMIN, "inbox", "dead", "--json", *url))] == [ids[0]]
    out = ok("--as", ADMIN, "inbox", "dead", *url)
    dead_at = db.execute("select dead_at from public.message_log where id = %s", (ids[0],)).fetchone()[0]
    assert ids[0] in out and "ayrıştırılamadı" in out and f"{dead_at.astimezone(ISTANBUL):%Y-%m-%d %H:%M}" in out
    assert _widest(out) <= 100
    assert f"message {ids[0]} is back in the queue" in ok("--as", ADMIN, "inbox", "requeue", ids[0], *url)
    assert "no dead letter" in ok("--as", ADMIN, "inbox", "dead", *url)
    line = one_error_line(vic("--as", ADMIN, "inbox", "requeue", ids[0], *url))
    assert "not a dead letter" in line


@pytest.mark.parametrize(("argv", "words"), [
    (("inbox", "claim", "--batch", "0"), ("batch", "1000")),
    (("inbox", "claim", "--lease", "2 hours"), ("lease", "1 hour")),
    (("inbox", "claim", "--max-attempts", "101"), ("--max-attempts", "100")),
    (("inbox", "claim", "--worker", " "), ("worker", "200")),
    (("inbox", "release", "00000000-0000-4000-8000-0000000d0099", "--error", "x" * 2001), ("error", "2000")),
    (("inbox", "dead", "--limit", "501"), ("limit", "500")),
    (("inbox", "claim", "--lease", "soon"), ("--lease", "'soon' is not a duration")),
    (("notify", "claim", "--lease", "1 fortnight"), ("--lease", "not a duration")),
    (("nudge", "claim", "--max-age", "a while"), ("--max-age", "not a duration")),
])
def test_bad_input_is_one_line_naming_the_field(inbox, argv, words) -> None:
    _, url, _ = inbox
    line = one_error_line(vic("--service-role", *argv, *url))
    assert all(w in line for w in words), line


def test_a_customer_is_refused_in_one_line_and_nothing_changes(inbox) -> None:
    db, url, ids = inbox
    for argv in (("inbox", "claim"), ("inbox", "ack", ids[0]), ("inbox", "ack-batch", ids[0]), ("inbox", "release", ids[0]),
                 ("inbox", "dead"),
                 ("inbox", "requeue", ids[0])):
        line = one_error_line(vic("--as", CUSTOMER, *argv, *url))
        assert "only the bot (service_role) and staff work the inbox" in line
    assert db.execute("select count(*) from public.message_log where claimed_by is not null").fetchone() == (0,)


def test_istanbul_formatting_is_not_the_servers_zone(inbox) -> None:
    """The times above are read in Europe/Istanbul whatever the session's TimeZone says."""
    db, url, _ = inbox
    db.execute("alter database " + db.info.dbname + " set timezone = 'America/New_York'")
    out = ok("--service-role", "inbox", "claim", "--worker", "bot-1", *url)
    assert "2026-03-01 12:15" in out and "2026-03-01 04:15" not in out
