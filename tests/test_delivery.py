"""Delivery (docs/delivery.md): claim_notifications hands pending notifications out under a
lease, only inside the contact's 24-hour window, proactive ones only with marketing consent, never to opted-out
or blocked contacts, each to one worker; notification_sent logs the send in message_log with its WhatsApp id and
sets delivered_at once; share_listing lets the request's agent send its customer a listing card at that agent's
visibility level. Real connections for the races; the CLI last.

The 24-hour window is functions/window.sql's (interaction_tracker kept by triggers on message_log and contacts); to give a window an
exact age the tests write interaction_tracker.last_inbound as the superuser (`_window`)."""
from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from tests.harness import drain

AGENT = "00000000-0000-4000-8000-0000000d0001"       # lists 2026-001 (Moda Emlak)
BROKER = "00000000-0000-4000-8000-0000000d0002"      # broker of Boğaziçi (manages the three below)
AGENT_ANON = "00000000-0000-4000-8000-0000000d0003"  # Boğaziçi, no grant on 2026-001
AGENT_PART = "00000000-0000-4000-8000-0000000d0004"  # Boğaziçi, partial
AGENT_FULL = "00000000-0000-4000-8000-0000000d0005"  # Boğaziçi, full
ADMIN = "00000000-0000-4000-8000-0000000d0006"
CUSTOMERS = {AGENT: "00000000-0000-4000-8000-0000000d0011", AGENT_ANON: "00000000-0000-4000-8000-0000000d0013",
             AGENT_PART: "00000000-0000-4000-8000-0000000d0014", AGENT_FULL: "00000000-0000-4000-8000-0000000d0015"}
STRANGER = "00000000-0000-4000-8000-0000000d0099"     # a token naming no contact
LISTING = "2026-001"
FLOOR, OWNER, OWNER_PHONE, COMMISSION = 11_800_000, "Hasan Kaya", "+905301110001", "2.75"
NOTHING_CONFIDENTIAL = (OWNER, OWNER_PHONE, "11.800.000", "11800000", "2.75", "%2", "Mal sahibi")


def _as(conn: psycopg.Connection, role: str, sub: str | None = None) -> None:
    conn.execute(f"set local role {role}")
    claims = {"role": role} | ({"sub": sub} if sub else {})
    conn.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(claims),))


def _window(db: psycopg.Connection, contact: str, ago: str = "1 hour") -> None:
    """Open (or, with an age over 24 hours, close) the contact's window: the tracker triggers keep this column
    from inbound messages (functions/window.sql); here the superuser sets its age directly."""
    db.execute("insert into public.interaction_tracker (contact_id, last_inbound) values (%s, now() - %s::interval)"
               " on conflict (contact_id) do update set last_inbound = excluded.last_inbound", (contact, ago))


def _contact(db: psycopg.Connection, cid: str, phone: str, *, status: str = "active", marketing: bool = False,
             transfer: bool = True, contact_type: str = "customer", name: str | None = None) -> None:
    db.execute("insert into public.contacts (id, phone, contact_type, display_name, onboarding_status, consent_transfer,"
               " consent_marketing) values (%s, %s, %s, %s, %s, %s, %s)",
               (cid, phone, contact_type, name, status, transfer, marketing))


# ------------------------------------------------------------------------------------------ claim races
def _queue(db: psycopg.Connection) -> tuple[set[str], set[str]]:
    """60 contacts in every situation, 5 notifications each; returns (deliverable ids, never deliverable ids)."""
    cases = [  # (window age or None for no tracker row, status, marketing consent, kind)
        ("1 hour", "active", False, "match"), ("1 hour", "active", True, "proactive"),
        ("1 hour", "active", False, "proactive"), ("25 hours", "active", True, "match"),
        (None, "active", True, "match"), ("1 hour", "opted_out", False, "match"),
        ("1 hour", "blocked", True, "proactive"), ("23 hours 58 minutes", "active", True, "match"),
        ("2 hours", "profiling", False, "reminder"), ("23 hours", "active", True, "proactive"),
    ]
    deliverable, never = set(), set()
    with db.transaction():
        for n in range(60):
            age, status, marketing, kind = cases[n % len(cases)]
            cid = str(uuid.UUID(int=0xD0000 + n))
            _contact(db, cid, f"+90555300{n:04d}", status=status, marketing=marketing)
            if age is not None:
                _window(db, cid, age)
            ids = [r[0] for r in db.execute(
                "insert into public.pending_notifications (contact_id, kind, body, buttons, created_at)"
                " select %s, %s, 'Bildirim ' || i, '[{\"id\": \"ok\", \"title\": \"Tamam\"}]',"
                "        now() - (i || ' minutes')::interval"
                " from generate_series(1, 5) i returning id::text", (cid, kind)).fetchall()]
            # the window must stay open for the lease (5 minutes): 23h58m ago is not enough
            ok = (age in ("1 hour", "2 hours", "23 hours") and status not in ("opted_out", "blocked")
                  and (kind != "proactive" or marketing))
            (deliverable if ok else never).update(ids)
    return deliverable, never


def _worker(url: str, name: str, start: threading.Barrier, handed: list[tuple[str, str]], errors: list[str]) -> None:
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            start.wait(timeout=30)
            while True:
                with conn.transaction():
                    _as(conn, "service_role")
                    rows = conn.execute("select id::text from public.claim_notifications(7)").fetchall()
                if not rows:
                    return
                for (nid,) in rows:
                    handed.append((name, nid))
                    with conn.transaction():
                        _as(conn, "service_role")
                        conn.execute("select * from public.notification_sent(%s, %s)", (nid, f"wamid.{name}.{nid}"))
    except Exception as e:  # noqa: BLE001 - reported by the test
        errors.append(f"{name}: {e!r}")


def test_eight_workers_deliver_each_eligible_notification_exactly_once(db: psycopg.Connection, db_url: str) -> None:
    deliverable, never = _queue(db)
    assert len(deliverable) == 120 and len(never) == 180
    handed: list[tuple[str, str]] = []
    errors: list[str] = []
    start = threading.Barrier(8)
    workers = [threading.Thread(target=_worker, args=(db_url, f"w{i}", start, handed, errors)) for i in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert errors == []
    ids = [nid for _, nid in handed]
    assert len(ids) == len(set(ids)), "a notification was handed to two workers"
    assert set(ids) == deliverable, "exactly the eligible ones, none to a closed window, none proactive without consent"
    assert len({w for w, _ in handed}) > 1, "the workers shared the queue"
    delivered = db.execute("select id::text, wa_message_id, contact_id, claim_attempts from public.pending_notifications"
                           " where delivered_at is not null").fetchall()
    assert {r[0] for r in delivered} == deliverable and all(r[3] == 1 for r in delivered)
    # each send logged once in message_log: outbound, to the contact, with the WhatsApp id the worker got
    logged = db.execute("select m.wa_message_id, m.to_contact, m.direction, m.message_type, m.content"
                        " from public.message_log m").fetchall()
    assert sorted((w, c) for w, c, *_ in logged) == sorted((w, c) for _, w, c, _ in delivered)
    assert {(d, t) for _, _, d, t, _ in logged} == {("outbound", "interactive")}
    assert all(w.endswith(nid) for nid, w, _, _ in delivered)
    # the ineligible ones were never handed out at all
    assert db.execute("select count(*) from public.pending_notifications where id = any(%s::uuid[])"
                      " and (claimed_until is not null or claim_attempts > 0 or delivered_at is not null)",
                      (list(never),)).fetchone() == (0,)
    # nothing left to hand out
    with db.transaction():
        _as(db, "service_role")
        assert db.execute("select count(*) from public.claim_notifications(500)").fetchone() == (0,)


def test_a_dead_workers_claim_comes_back_after_its_lease(db: psycopg.Connection, db_url: str) -> None:
    cid = str(uuid.UUID(int=0xD1000))
    _contact(db, cid, "+905553100000")
    _window(db, cid)
    db.execute("insert into public.pending_notifications (contact_id, kind, body) select %s, 'match', 'N' || i"
               " from generate_series(1, 3) i", (cid,))
    dying = psycopg.connect(db_url, autocommit=True)
    with dying.transaction():
        _as(dying, "service_role")
        taken = dying.execute("select id from public.claim_notifications(10, interval '2 seconds')").fetchall()
    assert len(taken) == 3
    assert db.execute("select pg_terminate_backend(%s)", (dying.info.backend_pid,)).fetchone() == (True,)
    dying.close()
    with db.transaction():  # under the lease: nobody else gets them
        _as(db, "service_role")
        assert db.execute("select count(*) from public.claim_notifications(10)").fetchone() == (0,)
    time.sleep(2.2)
    with db.transaction():
        _as(db, "service_role")
        again = db.execute("select id, claim_attempts from public.claim_notifications(10)").fetchall()
    assert sorted(r[0] for r in again) == sorted(r[0] for r in taken) and {r[1] for r in again} == {2}
    # after five attempts a notification is no longer handed out (a dead letter staff can see)
    db.execute("update public.pending_notifications set claimed_until = now() - interval '1 second', claim_attempts = 5")
    with db.transaction():
        _as(db, "service_role")
        assert db.execute("select count(*) from public.claim_notifications(10)").fetchone() == (0,)


def test_a_waiting_claimer_takes_nothing_another_holds(db: psycopg.Connection, db_url: str) -> None:
    cid = str(uuid.UUID(int=0xD2000))
    _contact(db, cid, "+905553200000")
    _window(db, cid)
    db.execute("insert into public.pending_notifications (contact_id, kind, body) select %s, 'match', 'N' || i"
               " from generate_series(1, 4) i", (cid,))
    first = psycopg.connect(db_url)
    _as(first, "service_role")
    held = {r[0] for r in first.execute("select id from public.claim_notifications(3)").fetchall()}  # not committed
    with db.transaction():
        _as(db, "service_role")
        other = {r[0] for r in db.execute("select id from public.claim_notifications(10)").fetchall()}
    assert len(held) == 3 and len(other) == 1 and not held & other
    first.rollback()  # the first worker gives up before committing: its rows are pending again, lease free
    first.close()
    with db.transaction():
        _as(db, "service_role")
        assert {r[0] for r in db.execute("select id from public.claim_notifications(10)").fetchall()} == held


# ------------------------------------------------------------------------------------------ sent
def _claimed(db: psycopg.Connection, cid: str, body: str = "Merhaba") -> str:
    nid = db.execute("insert into public.pending_notifications (contact_id, kind, body) values (%s, 'match', %s)"
                     " returning id::text", (cid, body)).fetchone()[0]
    with db.transaction():
        _as(db, "service_role")
        assert nid in {r[0] for r in db.execute("select id::text from public.claim_notifications(50)").fetchall()}
    return nid


def _sent(db: psycopg.Connection, nid: str, wamid: str, actor: tuple[str, str | None] = ("service_role", None)):
    with db.transaction():
        _as(db, *actor)
        return db.execute("select id::text, delivered_at, wa_message_id, message_id from public.notification_sent(%s, %s)",
                          (nid, wamid)).fetchone()


def test_sent_logs_the_send_once_with_its_wa_id(db: psycopg.Connection) -> None:
    cid, quiet = str(uuid.UUID(int=0xD3000)), str(uuid.UUID(int=0xD3001))
    _contact(db, cid, "+905553300000")
    _contact(db, quiet, "+905553300001", transfer=False, status="profiling")
    _contact(db, ADMIN, "+905553300002", contact_type="staff")
    db.execute("insert into public.agent_profiles (contact_id, role) values (%s, 'admin')", (ADMIN,))
    for c in (cid, quiet):
        _window(db, c)
    session = db.execute("insert into public.sessions (contact_id) values (%s) returning id", (cid,)).fetchone()[0]
    nid = _claimed(db, cid, "Yeni ilan: 2026-001")
    row = _sent(db, nid, "wamid.HBgM0001")
    assert row[0] == nid and row[1] is not None and row[2] == "wamid.HBgM0001"
    assert db.execute("select direction, to_contact::text, from_contact, content, message_type, session_id"
                      " from public.message_log where id = %s", (row[3],)).fetchone() == \
        ("outbound", cid, None, "Yeni ilan: 2026-001", "text", session)
    # a retried call with the same id: the same delivery, nothing logged twice
    assert _sent(db, nid, "wamid.HBgM0001") == row
    assert db.execute("select count(*) from public.message_log").fetchone() == (1,)
    # another id for a delivered notification: it was sent twice; refused, nothing written
    with pytest.raises(psycopg.Error) as e:
        _sent(db, nid, "wamid.HBgM0002")
    assert e.value.sqlstate == "VC004"
    # staff may record a send too; a contact without a session gets one, as ingest_message files a message
    q = _claimed(db, quiet, "Profil sorusu")
    msg = _sent(db, q, "wamid.HBgM0003", ("authenticated", ADMIN))[3]
    assert db.execute("select m.content, s.contact_id::text, s.status from public.message_log m"
                      " join public.sessions s on s.id = m.session_id where m.id = %s", (msg,)).fetchone() == \
        ("Profil sorusu", quiet, "active")
    # the window's tracker moved its last outbound (the tracker trigger), which never opens a window
    assert db.execute("select last_outbound is not null from public.interaction_tracker where contact_id = %s",
                      (quiet,)).fetchone() == (True,)
    # the bot logged its send itself first (ingest_message, outbound): linked, not logged twice
    own = _claimed(db, cid, "Kendi kaydı")
    with db.transaction():
        _as(db, "service_role")
        ingested = db.execute("select message_id from public.ingest_message('wamid.HBgMself', 'outbound',"
                              " '+902129990000', '+905553300000', 'text', 'Kendi kaydı')").fetchone()[0]
    assert _sent(db, own, "wamid.HBgMself")[3] == ingested
    assert db.execute("select count(*) from public.message_log where wa_message_id = 'wamid.HBgMself'").fetchone() == (1,)
    # a WhatsApp id of another message is refused
    other = _claimed(db, cid)
    with pytest.raises(psycopg.Error) as e:
        _sent(db, other, "wamid.HBgM0003")
    assert e.value.sqlstate == "VC004"
    # never handed out (the window and consent were never checked): cannot be marked sent
    fresh = db.execute("insert into public.pending_notifications (contact_id, kind, body) values (%s, 'match', 'x')"
                       " returning id::text", (cid,)).fetchone()[0]
    with pytest.raises(psycopg.Error) as e:
        _sent(db, fresh, "wamid.HBgM0004")
    assert e.value.sqlstate == "VC002"
    for bad, state in (("", "VC001"), ("x" * 257, "VC001")):
        with pytest.raises(psycopg.Error) as e:
            _sent(db, other, bad)
        assert e.value.sqlstate == state and "wa_message_id" in str(e.value)
    with pytest.raises(psycopg.Error) as e:
        _sent(db, str(uuid.UUID(int=1)), "wamid.HBgM0005")
    assert e.value.sqlstate == "VC003"


def test_matches_and_closing_reminders_reach_agents_the_same_way(db: psycopg.Connection) -> None:
    _contact(db, AGENT, "+905553400001", contact_type="agent", name="Ayşe Yılmaz")
    _contact(db, CUSTOMERS[AGENT], "+905553400002")
    db.execute("insert into public.agent_profiles (contact_id, role, office) values (%s, 'agent', 'Moda Emlak')", (AGENT,))
    db.execute("insert into public.portfolios (agent_id, type, listing_type, title, district, rooms, listed_price)"
               " values (%s, 'daire', 'sale', 'Moda 3+1', 'Kadıköy', '3+1', 12000000)", (AGENT,))
    db.execute("insert into public.portfolio_confidential (portfolio_id, commission_rate) values (%s, 2)", (LISTING,))
    db.execute("insert into public.requests (customer_id, assigned_agent, request_type, criteria) values"
               " (%s, %s, 'buy', '{\"districts\": [\"Kadıköy\"]}')", (CUSTOMERS[AGENT], AGENT))
    drain(db)
    # a closing with an unconfirmed side, reminded by open_followups: a reminder task and a reminder notification
    deal = db.execute("insert into public.deals (portfolio_id, customer_id, listing_agent_id, created_by)"
                      " values (%s, %s, %s, %s) returning id", (LISTING, CUSTOMERS[AGENT], AGENT, AGENT)).fetchone()[0]
    for status in ("showing", "negotiating"):
        db.execute("update public.deals set status = %s where id = %s", (status, deal))
    db.execute("insert into public.deal_negotiations (deal_id, from_contact_id, to_contact_id, amount)"
               " values (%s, %s, %s, 12000000)", (deal, CUSTOMERS[AGENT], AGENT))
    db.execute("update public.deal_negotiations set status = 'accepted' where deal_id = %s", (deal,))
    db.execute("update public.deals set status = 'closing' where id = %s", (deal,))
    db.execute("select * from public.open_followups(interval '7 days', interval '0')")
    kinds = db.execute("select kind, buttons from public.pending_notifications where contact_id = %s order by kind",
                       (AGENT,)).fetchall()
    assert [k for k, _ in kinds] == ["match", "reminder"]
    assert kinds[1][1] == [{"id": f"confirm_closing:{deal}", "title": "Kapanışı onayla"}]
    with db.transaction():
        _as(db, "service_role")
        assert db.execute("select count(*) from public.claim_notifications(10)").fetchone() == (0,), "window closed"
    _window(db, AGENT)
    with db.transaction():
        _as(db, "service_role")
        assert sorted(r[0] for r in db.execute("select kind from public.claim_notifications(10)")) == ["match", "reminder"]
    # a second run reminds nobody twice
    db.execute("select * from public.open_followups(interval '7 days', interval '0')")
    assert db.execute("select count(*) from public.pending_notifications where kind = 'reminder'").fetchone() == (1,)


# ------------------------------------------------------------------------------------------ attacks
def test_only_the_bot_and_staff_claim_or_mark_sent_and_nobody_writes_delivery(db: psycopg.Connection) -> None:
    cid = CUSTOMERS[AGENT]
    _contact(db, cid, "+905553500001")
    _contact(db, AGENT, "+905553500002", contact_type="agent")
    _contact(db, ADMIN, "+905553500003", contact_type="staff")
    db.execute("insert into public.agent_profiles (contact_id, role) values (%s, 'agent'), (%s, 'admin')", (AGENT, ADMIN))
    _window(db, cid)
    nid = db.execute("insert into public.pending_notifications (contact_id, kind, body) values (%s, 'match', 'x')"
                     " returning id::text", (cid,)).fetchone()[0]

    def state() -> tuple:
        return db.execute("select claimed_until, claim_attempts, delivered_at, wa_message_id from"
                          " public.pending_notifications where id = %s", (nid,)).fetchone()

    before = state()
    for actor in ((cid,), (AGENT,), (STRANGER,)):
        for sql in ("select * from public.claim_notifications(10)",
                    f"select * from public.notification_sent('{nid}', 'wamid.forged')"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), db.transaction():
                _as(db, "authenticated", *actor)
                db.execute(sql)
        # a direct write of the delivery: no privilege
        with pytest.raises(psycopg.errors.InsufficientPrivilege), db.transaction():
            _as(db, "authenticated", *actor)
            db.execute("update public.pending_notifications set delivered_at = now()")
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.transaction():
        _as(db, "anon")
        db.execute("select * from public.claim_notifications(10)")
    # staff hold no table privilege either; the bot's table privilege stops at the delivery columns
    for actor, sql in ((("authenticated", ADMIN), "update public.pending_notifications set delivered_at = now()"),
                       (("service_role",), "update public.pending_notifications set delivered_at = now()"),
                       (("service_role",), "update public.pending_notifications set wa_message_id = 'wamid.x'"),
                       (("service_role",), "update public.pending_notifications set claimed_until = now() + interval '1 day'"),
                       (("service_role",), f"insert into public.pending_notifications (contact_id, kind, body, delivered_at)"
                                           f" values ('{cid}', 'match', 'y', now())")):
        with pytest.raises(psycopg.errors.InsufficientPrivilege), db.transaction():
            _as(db, *actor)
            db.execute(sql)
    assert state() == before
    # the bot still queues and edits what it queued
    with db.transaction():
        _as(db, "service_role")
        db.execute("update public.pending_notifications set body = 'düzeltildi' where id = %s", (nid,))
    # delivered: evidence, never changed, not even by the owner
    with db.transaction():
        _as(db, "service_role")
        db.execute("select * from public.claim_notifications(10)")
    _sent(db, nid, "wamid.HBgMok")
    for sql in ("update public.pending_notifications set body = 'değişti'",
                "update public.pending_notifications set delivered_at = now() - interval '1 day'"):
        with pytest.raises(psycopg.Error) as e, db.transaction():
            db.execute(sql)
        assert e.value.sqlstate == "VC002"


# ------------------------------------------------------------------------------------------ share_listing
@pytest.fixture
def office(db: psycopg.Connection) -> psycopg.Connection:
    """2026-001 of AGENT (floor, owner, commission, a photo), matched with four requests: AGENT's own customer
    (full: its own listing), and one each of AGENT_ANON, AGENT_PART, AGENT_FULL of another office."""
    with db.transaction():
        for cid, phone, name, kind in (
                (AGENT, "+905554000001", "Ayşe Yılmaz", "agent"), (BROKER, "+905554000002", "Kemal Aydın", "agent"),
                (AGENT_ANON, "+905554000003", "Can Demir", "agent"), (AGENT_PART, "+905554000004", "Zeynep Arslan", "agent"),
                (AGENT_FULL, "+905554000005", "Burak Çelik", "agent"), (ADMIN, "+905554000006", "Deniz Aksoy", "staff")):
            _contact(db, cid, phone, contact_type=kind, name=name)
        for n, cid in enumerate(CUSTOMERS.values()):
            _contact(db, cid, f"+90555401000{n}", name=f"Müşteri {n}")
        db.execute("insert into public.agent_profiles (contact_id, role, office) values"
                   " (%s, 'agent', 'Moda Emlak'), (%s, 'broker', 'Boğaziçi'), (%s, 'agent', 'Boğaziçi'),"
                   " (%s, 'agent', 'Boğaziçi'), (%s, 'agent', 'Boğaziçi'), (%s, 'admin', null)",
                   (AGENT, BROKER, AGENT_ANON, AGENT_PART, AGENT_FULL, ADMIN))
        db.execute("insert into public.portfolios (agent_id, type, listing_type, title, description, district, rooms,"
                   " listed_price) values (%s, 'daire', 'sale', 'Moda''da deniz manzaralı 3+1',"
                   " 'Moda sahiline 5 dakika, asansörlü.', 'Kadıköy', '3+1', 12500000)", (AGENT,))
        db.execute("insert into public.portfolio_confidential (portfolio_id, owner_name, owner_phone, min_price,"
                   " commission_rate, private_notes) values (%s, %s, %s, %s, %s, 'Mal sahibi acele satmak istiyor.')",
                   (LISTING, OWNER, OWNER_PHONE, FLOOR, COMMISSION))
        db.execute("insert into public.portfolio_media (portfolio_id, media_type, storage_path, sort_order, uploaded_by)"
                   " values (%s, 'photo', 'portfolios/2026-001/salon.jpg', 0, %s)", (LISTING, AGENT))
        for agent, customer in CUSTOMERS.items():
            db.execute("insert into public.requests (customer_id, assigned_agent, request_type, criteria) values"
                       " (%s, %s, 'buy', '{\"districts\": [\"Kadıköy\"], \"max_price\": 13000000}')", (customer, agent))
    drain(db)
    # the matcher granted every other office's request agent partial; set the levels this test needs
    db.execute("delete from public.agent_visibility where agent_id = %s", (AGENT_ANON,))
    db.execute("update public.agent_visibility set visibility_level = 'full' where agent_id = %s", (AGENT_FULL,))
    for cid in CUSTOMERS.values():
        _window(db, cid)
    return db


def _match(db: psycopg.Connection, agent: str) -> str:
    return db.execute("select m.id::text from public.portfolio_request_matches m join public.requests r"
                      " on r.id = m.request_id where r.assigned_agent = %s", (agent,)).fetchone()[0]


def _share(db: psycopg.Connection, match: str, role: str = "authenticated", sub: str | None = None) -> dict:
    with db.transaction():
        _as(db, role, sub)
        cur = db.execute("select * from public.share_listing(%s)", (match,))
        names = [c.name for c in cur.description]
        return dict(zip(names, cur.fetchone()))


def _card(db: psycopg.Connection, agent: str) -> dict:
    with db.transaction():
        _as(db, "authenticated", agent)
        cur = db.execute("select * from public.portfolio_cards(array[%s])", (LISTING,))
        return dict(zip([c.name for c in cur.description], cur.fetchone()))


@pytest.mark.parametrize(("agent", "level"), [(AGENT_ANON, "anonymous"), (AGENT_PART, "partial"),
                                              (AGENT_FULL, "full"), (AGENT, "full")])
def test_a_shared_card_holds_the_agents_level_and_nothing_confidential(office: psycopg.Connection, agent: str,
                                                                       level: str) -> None:
    db = office
    shared = _share(db, _match(db, agent), sub=agent)
    card = _card(db, agent)
    assert shared["visibility_level"] == card["visibility_level"] == level
    assert shared["customer_id"] == uuid.UUID(CUSTOMERS[agent]) and shared["is_new"] and shared["portfolio_id"] == LISTING
    body = shared["body"]
    assert body.startswith("İlan 2026-001: satılık daire, 3+1\nKonum: Kadıköy, İstanbul\n")
    assert not [s for s in NOTHING_CONFIDENTIAL if s in body], body
    shown = {"price": "12.500.000 TRY" in body, "band": "Fiyat aralığı: 10.000.000 – 15.000.000 TRY" in body,
             "title": "deniz manzaralı" in body, "description": "asansörlü" in body, "media": "1 fotoğraf" in body,
             "agent": "Ayşe Yılmaz" in body, "phone": "+905554000001" in body}
    # exactly what the agent's own card shows (portfolio_cards at its level)
    assert shown == {"price": card["listed_price"] is not None, "band": card["listed_price"] is None,
                     "title": card["title"] is not None, "description": card["description"] is not None,
                     "media": bool(card["media"]), "agent": card["agent_name"] is not None,
                     "phone": card["agent_phone"] is not None}
    assert shown["phone"] == (level == "full") and shown["title"] == (level != "anonymous")
    assert shared["buttons"] == [{"id": "listing_interested:2026-001", "title": "İlgileniyorum"},
                                 {"id": "listing_visit:2026-001", "title": "Randevu iste"}]
    stored = db.execute("select contact_id::text, kind, body, match_id::text from public.pending_notifications"
                        " where id = %s", (shared["notification_id"],)).fetchone()
    assert stored == (CUSTOMERS[agent], "match", body, _match(db, agent))
    # a service message: the customer has no marketing consent, its window is open, so it goes out
    with db.transaction():
        _as(db, "service_role")
        assert shared["notification_id"] in {r[0] for r in db.execute("select id from public.claim_notifications(50)")}


def test_sharing_twice_before_it_goes_out_queues_one(office: psycopg.Connection, db_url: str) -> None:
    db = office
    match = _match(db, AGENT_PART)
    results: list[dict] = []

    def share() -> None:
        with psycopg.connect(db_url, autocommit=True) as conn:
            results.append(_share(conn, match, sub=AGENT_PART))

    threads = [threading.Thread(target=share) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(results) == 4 and len({r["notification_id"] for r in results}) == 1
    assert sorted(r["is_new"] for r in results) == [False, False, False, True]
    assert db.execute("select count(*) from public.pending_notifications where match_id = %s", (match,)).fetchone() == (1,)
    # once it went out, sharing again queues a new one
    with db.transaction():
        _as(db, "service_role")
        db.execute("select * from public.claim_notifications(50)")
    _sent(db, str(results[0]["notification_id"]), "wamid.share.1")
    assert _share(db, match, sub=AGENT_PART)["is_new"] is True
    # the match goes (staff delete the request): its shares stay, delivered one untouched, without the match
    with db.transaction():
        _as(db, "authenticated", ADMIN)
        db.execute("delete from public.requests where assigned_agent = %s", (AGENT_PART,))
    assert db.execute("select count(*), count(match_id), count(delivered_at) from public.pending_notifications"
                      " where contact_id = %s", (CUSTOMERS[AGENT_PART],)).fetchone() == (2, 0, 1)


def test_nobody_else_shares_and_a_refusal_tells_nothing(office: psycopg.Connection) -> None:
    db = office
    match = _match(db, AGENT_PART)
    missing = str(uuid.UUID(int=0xABC))
    before = db.execute("select count(*) from public.pending_notifications").fetchone()
    for sub in (AGENT_ANON, AGENT, BROKER, ADMIN, CUSTOMERS[AGENT_PART], CUSTOMERS[AGENT_ANON], STRANGER):
        messages = []
        for target in (match, missing):
            with pytest.raises(psycopg.errors.InsufficientPrivilege) as e:
                _share(db, target, sub=sub)
            messages.append(str(e.value).replace(target, "<match>"))
        assert messages[0] == messages[1], f"{sub}: a refusal must read the same whether the match exists"
    for role in ("anon", "service_role"):  # no agent behind the call
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _share(db, match, role=role)
    with pytest.raises(psycopg.Error) as e:  # the bot learns a match is missing
        _share(db, missing, role="service_role", sub=AGENT_PART)
    assert e.value.sqlstate == "VC003"
    assert db.execute("select count(*) from public.pending_notifications").fetchone() == before
    # the bot acting for the agent (its token's sub) gets the agent's level, not its own
    assert _share(db, _match(db, AGENT_ANON), role="service_role", sub=AGENT_ANON)["visibility_level"] == "anonymous"
    # an agent that lost its profile, a closed request, an opted-out customer: nothing is queued
    db.execute("update public.agent_profiles set active = false where contact_id = %s", (AGENT_FULL,))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _share(db, _match(db, AGENT_FULL), sub=AGENT_FULL)
    db.execute("update public.contacts set onboarding_status = 'opted_out' where id = %s", (CUSTOMERS[AGENT],))
    with pytest.raises(psycopg.Error) as e:
        _share(db, _match(db, AGENT), sub=AGENT)
    assert e.value.sqlstate == "VC002" and "opted_out" in str(e.value)
    # no one forges a share by writing the table: match_id is the database's
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.transaction():
        _as(db, "service_role")
        db.execute("insert into public.pending_notifications (contact_id, kind, body, match_id) values (%s, 'match', 'x', %s)",
                   (CUSTOMERS[AGENT_PART], match))


# ------------------------------------------------------------------------------------------ the CLI
@pytest.fixture
def url(office: psycopg.Connection, db_url: str) -> Iterator[tuple[str, str]]:
    yield ("--database-url", db_url)


def test_cli_share_claim_sent(office: psycopg.Connection, url: tuple[str, str]) -> None:
    from tests.cli_run import ok, one_error_line, vic

    db = office
    match = _match(db, AGENT_PART)
    shared = ok("--as", AGENT_PART, "notify", "share", match, *url)
    assert "partial" in shared and "12.500.000 TRY" in shared and OWNER not in shared
    assert max(len(line) for line in shared.splitlines()) <= 100
    as_json = json.loads(ok("--as", AGENT_PART, "notify", "share", match, "--json", *url))
    assert as_json["is_new"] is False and as_json["visibility_level"] == "partial"
    assert re.search(r"\+03:00$", as_json["created_at"]), "times in Istanbul"
    # the bot claims (a table of at most 100 columns, Istanbul times), then records the send
    table = ok("--service-role", "notify", "claim", "--batch", "1", "--lease", "60", *url)
    assert "+905554010002" in table and max(len(line) for line in table.splitlines()) <= 100
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", table)
    assert json.loads(ok("--service-role", "notify", "claim", "--json", *url)) == [], "leased: nobody else gets it"
    db.execute("update public.pending_notifications set claimed_until = now() where id = %s",
               (as_json["notification_id"],))  # the lease ran out
    claimed = json.loads(ok("--service-role", "notify", "claim", "--json", *url))
    assert [(c["id"], c["phone"], c["kind"], c["claim_attempts"]) for c in claimed] == \
        [(str(as_json["notification_id"]), "+905554010002", "match", 2)]
    assert claimed[0]["body"] == as_json["body"] and claimed[0]["claimed_until"].endswith("+03:00")
    nid = str(as_json["notification_id"])
    sent = json.loads(ok("--service-role", "notify", "sent", nid, "wamid.cli.1", "--json", *url))
    assert sent["wa_message_id"] == "wamid.cli.1" and sent["delivered_at"].endswith("+03:00")
    assert "wamid.cli.1" in ok("--service-role", "notify", "sent", nid, "wamid.cli.1", *url)
    assert "nothing to hand out" in ok("--service-role", "notify", "claim", *url)
    # errors: one line, naming the flag; the customer may not claim
    assert "batch" in one_error_line(vic("--service-role", "notify", "claim", "--batch", "0", *url))
    assert "lease" in one_error_line(vic("--service-role", "notify", "claim", "--lease", "2 hours", *url))
    assert "claim_notifications" in one_error_line(vic("--as", CUSTOMERS[AGENT], "notify", "claim", *url))
    assert "not found or not yours" in one_error_line(vic("--as", AGENT_ANON, "notify", "share", match, *url))
    assert "MATCH_ID" in one_error_line(vic("--as", AGENT_PART, "notify", "share", "not-a-uuid", *url))
