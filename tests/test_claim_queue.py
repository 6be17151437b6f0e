"""The claim queue of inbound messages (functions/inbox.sql), with real connections.

- 8 workers claim 10,000 messages in batches while one of them is killed mid-batch (pg_terminate_backend): every
  message is acknowledged exactly once, none is lost (the dead worker's unacknowledged messages come back when
  its lease expires), and each contact's messages are acknowledged in the order they were received.
- A contact's messages go oldest first and to one worker at a time, also while another claim is still open and
  when a message arrives meanwhile; a claim killed before its commit hands out nothing.
- A lease that expires hands the message out again; only the worker holding the live lease acknowledges or
  releases (VC004, nothing changes); releasing hands back the worker's later messages of that contact too.
- After N failed attempts (release with an error, or a lease expired) a message is a dead letter: no longer handed
  out, not holding its contact up, listed for staff, and requeued by them.
- Outbound messages are never claimed; customers, agents and anon get 42501 and change nothing; staff may work it.

Inbound messages are inserted directly as the superuser (ingestion is another part of the issue). Waits poll the
database with a generous deadline; nothing here asserts a duration.
"""
from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.rows import dict_row

CUSTOMER = "00000000-0000-4000-8000-0000000c0001"
OTHER = "00000000-0000-4000-8000-0000000c0002"
AGENT = "00000000-0000-4000-8000-0000000c0003"
ADMIN = "00000000-0000-4000-8000-0000000c0004"
WAIT = 60.0  # seconds: the longest anything is waited for


def _contact(n: int) -> str:
    return f"00000000-0000-4000-8001-{n:012d}"


@pytest.fixture
def cast(db: psycopg.Connection) -> psycopg.Connection:
    """Two customers, an agent and an admin, all with transfer consent."""
    with db.transaction():
        # transfer consent: their messages' text is stored (without it only the metadata is: functions/ingest.sql)
        db.execute("insert into public.contacts (id, phone, contact_type, consent_transfer) values"
                   " (%s, '+905320000001', 'customer', true), (%s, '+905320000002', 'customer', true),"
                   " (%s, '+905320000003', 'agent', true), (%s, '+905320000004', 'staff', true)",
                   (CUSTOMER, OTHER, AGENT, ADMIN))
        db.execute("insert into public.agent_profiles (contact_id, role, office) values (%s, 'agent', 'Moda Emlak'),"
                   " (%s, 'admin', null)", (AGENT, ADMIN))
    return db


def inbound(db: psycopg.Connection, contact: str, n: int = 1, *, minutes_ago: float = 60, text: str = "Merhaba") -> list[str]:
    """n inbound messages of `contact`, received one second apart from `minutes_ago`; their ids, oldest first."""
    return [str(r[0]) for r in db.execute(
        "insert into public.message_log (from_contact, direction, wa_message_id, content, created_at)"
        " select %s, 'inbound', 'wamid.' || gen_random_uuid(), %s || ' ' || i,"
        "        now() - make_interval(secs => %s * 60) + i * interval '1 second'"
        " from generate_series(1, %s) as i order by i returning id", (contact, text, minutes_ago, n)).fetchall()]


def bot(url: str) -> psycopg.Connection:
    """A worker's connection: the bot backend (service_role), autocommit."""
    conn = psycopg.connect(url, autocommit=True)
    conn.execute("set role service_role")
    return conn


def claim(conn: psycopg.Connection, worker: str, batch: int = 10, lease: str = "5 minutes",
          max_attempts: int = 5) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("select * from public.claim_messages(%s, %s, %s::interval, %s)",
                           (worker, batch, lease, max_attempts)).fetchall()


def ids(rows: list[dict]) -> list[str]:
    return [str(r["id"]) for r in rows]


def ack(conn: psycopg.Connection, message: str, worker: str) -> dict:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("select * from public.ack_message(%s, %s)", (message, worker)).fetchone()


def release(conn: psycopg.Connection, message: str, worker: str, error: str | None = None) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("select * from public.release_message(%s, %s, %s)", (message, worker, error)).fetchall()


def row(db: psycopg.Connection, message: str) -> tuple:
    return db.execute("select m.* from public.message_log m where id = %s", (message,)).fetchone()


def table(db: psycopg.Connection) -> str:
    """The whole message_log as one digest: 'nothing changed' is this staying the same."""
    return db.execute("select md5(coalesce(string_agg(m::text, '|' order by m.id), '')) from public.message_log m").fetchone()[0]


def eventually(check, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {WAIT:g} s: {what}")
        time.sleep(0.05)


# ------------------------------------------------------------------------------------- 8 workers, one killed
def test_eight_workers_ack_each_of_10000_messages_once_while_one_is_killed_mid_batch(db: psycopg.Connection,
                                                                                        db_url: str) -> None:
    contacts, per_contact, workers, batch, lease = 1000, 10, 8, 50, "4 seconds"
    db.execute("insert into public.contacts (id, phone) select ('00000000-0000-4000-8001-' || lpad(i::text, 12, '0'))::uuid,"
               " '+90533' || lpad(i::text, 7, '0') from generate_series(1, %s) as i", (contacts,))
    # interleaved in time, as many customers write at once: message k of contact c at second k * contacts + c
    db.execute("insert into public.message_log (from_contact, direction, wa_message_id, content, created_at)"
               " select ('00000000-0000-4000-8001-' || lpad(c::text, 12, '0'))::uuid, 'inbound', 'wamid.' || c || '.' || k,"
               "        'mesaj ' || k, now() - interval '1 day' + (k * %s + c) * interval '1 second'"
               " from generate_series(1, %s) as c, generate_series(1, %s) as k",
               (contacts, contacts, per_contact))
    db.execute("vacuum analyze public.message_log")
    total = contacts * per_contact

    acked: dict[str, list[str]] = {f"w{i}": [] for i in range(workers)}
    errors: list[str] = []
    holding = threading.Event()  # the victim holds a half-acknowledged batch
    killed = threading.Event()
    victim_held: list[str] = []
    pids: dict[str, int] = {}

    def remaining() -> int:
        with psycopg.connect(db_url) as c:
            return c.execute("select count(*) from public.message_log where direction = 'inbound'"
                             " and processed_at is null").fetchone()[0]

    def work(name: str) -> None:
        deadline = time.monotonic() + WAIT
        try:
            with bot(db_url) as conn:
                pids[name] = conn.info.backend_pid
                while time.monotonic() < deadline:
                    rows = claim(conn, name, batch, lease)
                    if not rows:
                        if remaining() == 0:
                            return
                        time.sleep(0.05)
                        continue
                    for i, r in enumerate(rows):
                        if name == "w0" and not holding.is_set() and i == len(rows) // 2:
                            victim_held.extend(ids(rows[i:]))
                            holding.set()
                            killed.wait(WAIT)  # killed here, mid-batch: the next ack finds the connection gone
                        ack(conn, r["id"], name)
                        acked[name].append(str(r["id"]))
                errors.append(f"{name}: not done within {WAIT:g} s")
        except psycopg.OperationalError as e:
            if not (name == "w0" and killed.is_set()):
                errors.append(f"{name}: {e}")
        except Exception as e:  # noqa: BLE001 - any failure of a worker fails the test below
            errors.append(f"{name}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(workers)]
    for t in threads:
        t.start()
    assert holding.wait(WAIT), "the victim never claimed a batch"
    assert db.execute("select pg_terminate_backend(%s)", (pids["w0"],)).fetchone() == (True,)
    killed.set()
    for t in threads:
        t.join(WAIT * 2)
    assert not any(t.is_alive() for t in threads), "a worker is still running"
    assert errors == []

    everything = [m for done in acked.values() for m in done]
    assert len(everything) == total and len(set(everything)) == total, "each message acknowledged exactly once"
    assert db.execute("select count(*), count(processed_at), count(dead_at) from public.message_log").fetchone() \
        == (total, total, 0), "none lost, none dead"
    # the victim's unacknowledged messages came back after its lease and were handled by others
    assert victim_held and not set(victim_held) & set(acked["w0"])
    assert db.execute("select count(*) from public.message_log where id = any(%s::uuid[])"
                      " and claimed_by <> 'w0' and claim_attempts = 2 and last_error like 'the lease of worker w0 expired%%'",
                      (victim_held,)).fetchone() == (len(victim_held),)
    # each contact's messages were acknowledged in the order they were received (one worker at a time)
    assert db.execute("""
        select count(*) from (
          select processed_at <= lag(processed_at) over (partition by from_contact order by created_at, id) as backwards
          from public.message_log) as x
        where backwards""").fetchone() == (0,)
    assert sum(1 for done in acked.values() if done) >= 4, "the work was shared between the workers"


# ------------------------------------------------------------------------------------- order per contact
def test_a_contacts_messages_go_oldest_first_to_one_worker_at_a_time(cast: psycopg.Connection, db_url: str) -> None:
    db = cast
    a1, a2 = inbound(db, CUSTOMER, 2, minutes_ago=30)
    (b1,) = inbound(db, OTHER, 1, minutes_ago=20)
    with bot(db_url) as w1, bot(db_url) as w2:
        assert ids(claim(w1, "w1", batch=1)) == [a1], "the oldest waiting message first"
        assert ids(claim(w2, "w2", batch=10)) == [b1], "not a2: its contact is held by w1"
        (a3,) = inbound(db, CUSTOMER, 1, minutes_ago=10)
        (a0,) = inbound(db, CUSTOMER, 1, minutes_ago=90)  # arrives late, received before all the others
        assert claim(w2, "w2") == [], "nothing of a held contact, not even what arrived meanwhile"
        ack(w1, a1, "w1")
        assert ids(claim(w2, "w2")) == [a0, a2, a3], "the contact's messages together, oldest first"
        assert claim(w1, "w1") == []


def test_an_open_claim_holds_its_contacts_and_a_killed_one_hands_out_nothing(cast: psycopg.Connection,
                                                                              db_url: str) -> None:
    db = cast
    a = inbound(db, CUSTOMER, 2, minutes_ago=30)
    b = inbound(db, OTHER, 2, minutes_ago=20)
    with bot(db_url) as w1, bot(db_url) as w2:
        with w1.transaction():  # w1's claim is not committed yet
            assert ids(claim(w1, "w1", batch=1)) == a[:1]
            # a message received before a[0] arrives late: w2 sees it waiting, but w1 is claiming its contact
            (late,) = inbound(db, CUSTOMER, 1, minutes_ago=90)
            assert ids(claim(w2, "w2", batch=10)) == b, "skips the contact w1 is claiming, takes the next one"
            inbound(db, OTHER, 1, minutes_ago=1)
        assert claim(w2, "w2") == [], "both contacts are held now"
        # a claim whose backend dies before the commit hands out nothing
        dying = bot(db_url)
        pid = dying.info.backend_pid
        dying.execute("begin")
        assert ids(claim(dying, "dying", batch=10)) == []  # everything is held
        for m in b:
            ack(w2, m, "w2")
        assert len(claim(dying, "dying", batch=10)) == 1  # b's new message, in the open transaction
        assert db.execute("select pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
        with pytest.raises(psycopg.OperationalError):
            dying.execute("commit")
        dying.close()
    eventually(lambda: db.execute("select count(*) from pg_stat_activity where pid = %s", (pid,)).fetchone() == (0,),
               "the killed backend is gone")
    assert db.execute("select count(*) from public.message_log where claimed_by = 'dying'").fetchone() == (0,)
    with bot(db_url) as w3:
        assert [r["content"] for r in claim(w3, "w3")] == ["Merhaba 1"], "OTHER's new message is waiting again"


def test_ingested_messages_are_claimed_once_in_whatsapp_order(cast: psycopg.Connection, db_url: str) -> None:
    """Messages stored by ingest_message (created_at = WhatsApp's timestamp) are what the queue hands out; a
    redelivered webhook adds nothing to it, and a message that arrives late goes out in its WhatsApp order."""
    with bot(db_url) as w:
        def ingest(wamid: str, minutes_ago: int) -> None:
            w.execute("select * from public.ingest_message(%s, 'inbound', '+905320000001', null, 'text', %s, null,"
                      " now() - make_interval(mins => %s))", (wamid, wamid, minutes_ago))
        ingest("wamid.ing.2", 5)
        ingest("wamid.ing.2", 5)  # redelivered
        ingest("wamid.ing.1", 9)  # delivered late, sent first
        assert [r["content"] for r in claim(w, "w")] == ["wamid.ing.1", "wamid.ing.2"]
        assert claim(w, "w2") == []


# ------------------------------------------------------------------------------------- lease, ack, release
def test_an_expired_lease_hands_the_message_out_again_and_only_the_holder_acks(cast: psycopg.Connection,
                                                                              db_url: str) -> None:
    db = cast
    (m,) = inbound(db, CUSTOMER)
    with bot(db_url) as w1, bot(db_url) as w2:
        (first,) = claim(w1, "w1", lease="1 second")
        assert (first["claimed_by"], first["claim_attempts"]) == ("w1", 1)
        assert first["lease_until"] > first["created_at"] and first["processed_at"] is None
        assert claim(w2, "w2") == [], "held under a live lease"
        # a wrong worker: VC004, nothing changes
        before = row(db, m)
        for call in (lambda: ack(w2, m, "w2"), lambda: release(w2, m, "w2", "boom")):
            with pytest.raises(psycopg.Error) as refused:
                call()
            assert refused.value.sqlstate == "VC004" and "not held by worker w2" in str(refused.value)
            assert "another worker holds it" in (refused.value.diag.message_detail or "")
        assert row(db, m) == before
        eventually(lambda: claim(w2, "w2", lease="5 minutes") != [], "the message is handed out after the lease")
        (again,) = db.execute("select claimed_by, claim_attempts, last_error, processed_at from public.message_log"
                              " where id = %s", (m,)).fetchall()
        assert again[:2] == ("w2", 2) and again[2].startswith("the lease of worker w1 expired") and again[3] is None
        before = row(db, m)
        with pytest.raises(psycopg.Error) as late:
            ack(w1, m, "w1")
        assert late.value.sqlstate == "VC004" and row(db, m) == before, "the old holder's ack is refused"
        done = ack(w2, m, "w2")
        assert done["processed_at"] is not None and done["lease_until"] is None
        with pytest.raises(psycopg.Error) as twice:
            ack(w2, m, "w2")
        assert twice.value.sqlstate == "VC004" and "acknowledged already" in twice.value.diag.message_detail
        assert claim(w1, "w1") == [], "an acknowledged message is never handed out again"
        with pytest.raises(psycopg.Error) as missing:
            ack(w2, str(uuid.uuid4()), "w2")
        assert missing.value.sqlstate == "VC003"


def test_a_batch_is_acknowledged_all_or_nothing(cast: psycopg.Connection, db_url: str) -> None:
    db = cast
    a = inbound(db, CUSTOMER, 3, minutes_ago=30)
    (b,) = inbound(db, OTHER, 1, minutes_ago=20)
    with bot(db_url) as w1, bot(db_url) as w2:
        assert ids(claim(w1, "w1", batch=3)) == a
        assert ids(claim(w2, "w2")) == [b]
        before = table(db)
        with pytest.raises(psycopg.Error) as refused:
            w1.execute("select * from public.ack_messages(%s, 'w1')", ([*a, b],))
        assert refused.value.sqlstate == "VC004" and f"message {b} is not held by worker w1" in str(refused.value)
        assert table(db) == before, "one message not held: none is acknowledged"
        done = w1.execute("select id, processed_at from public.ack_messages(%s, 'w1')", ([*a, a[0]],)).fetchall()
        assert sorted(str(i) for i, _ in done) == sorted(a) and len({p for _, p in done}) == 1
        with pytest.raises(psycopg.Error) as twice:
            w1.execute("select * from public.ack_messages(%s, 'w1')", (a[:1],))
        assert twice.value.sqlstate == "VC004"


def test_release_hands_back_at_once_with_the_holders_later_messages_of_that_contact(cast: psycopg.Connection,
                                                                                    db_url: str) -> None:
    db = cast
    a1, a2, a3 = inbound(db, CUSTOMER, 3, minutes_ago=30)
    (b1,) = inbound(db, OTHER, 1, minutes_ago=20)
    with bot(db_url) as w1, bot(db_url) as w2:
        assert ids(claim(w1, "w1")) == [a1, a2, a3, b1]
        ack(w1, a1, "w1")
        back = release(w1, a2, "w1", "LLM zaman aşımı")
        assert [(str(r["id"]), r["claim_attempts"], r["last_error"]) for r in back] == \
            [(a2, 1, "LLM zaman aşımı"), (a3, 0, None)], "a2 failed once; a3 went back untried"
        assert db.execute("select claimed_by, lease_until > now() from public.message_log where id = %s",
                          (b1,)).fetchone() == ("w1", True), "another contact's message stays with w1"
        with pytest.raises(psycopg.Error) as refused:
            ack(w1, a3, "w1")
        assert refused.value.sqlstate == "VC004", "a3 may not be handled before a2"
        assert ids(claim(w2, "w2")) == [a2, a3], "handed out again at once, in order"
        back = release(w2, a2, "w2")  # no error: untried
        assert [r["claim_attempts"] for r in back] == [1, 0]
        assert db.execute("select last_error from public.message_log where id = %s", (a2,)).fetchone() == \
            ("LLM zaman aşımı",), "an untried release keeps the last error"


def test_after_n_failed_attempts_a_message_is_a_dead_letter(cast: psycopg.Connection, db_url: str) -> None:
    db = cast
    poison, later = inbound(db, CUSTOMER, 2, minutes_ago=30)
    (other,) = inbound(db, OTHER, 1, minutes_ago=20)
    with bot(db_url) as w:
        for attempt in (1, 2, 3):
            rows = claim(w, "w", batch=1, max_attempts=3)
            assert (ids(rows), rows[0]["claim_attempts"]) == ([poison], attempt)
            release(w, poison, "w", f"hata {attempt}")
        # the fourth claim puts it to the dead letters and fills the batch with the next messages
        assert ids(claim(w, "w", batch=1, max_attempts=3)) == [later], "a dead letter does not hold its contact up"
        assert db.execute("select dead_at is not null, processed_at, lease_until, claim_attempts, last_error"
                          " from public.message_log where id = %s", (poison,)).fetchone() == (True, None, None, 3, "hata 3")
        assert ids(claim(w, "w", batch=10, max_attempts=3)) == [other]
        ack(w, later, "w")
        ack(w, other, "w")
        assert claim(w, "w", batch=10, max_attempts=3) == [], "a dead letter is not handed out"
        with w.cursor(row_factory=dict_row) as cur:
            dead = cur.execute("select * from public.dead_messages()").fetchall()
        assert [(str(r["id"]), r["last_error"]) for r in dead] == [(poison, "hata 3")]
        # staff requeue it: handed out again with fresh attempts
        with pytest.raises(psycopg.Error) as alive:
            w.execute("select * from public.requeue_message(%s)", (later,))
        assert alive.value.sqlstate == "VC002" and "processed" in str(alive.value)
    with db.transaction():
        db.execute("set local role authenticated")
        db.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps({"sub": ADMIN, "role": "authenticated"}),))
        assert db.execute("select claim_attempts, dead_at from public.requeue_message(%s)", (poison,)).fetchone() == (0, None)
    with bot(db_url) as w:
        rows = claim(w, "w", max_attempts=3)
        assert (ids(rows), rows[0]["claim_attempts"], rows[0]["last_error"]) == ([poison], 1, "hata 3")


def test_expired_leases_count_as_failed_attempts(cast: psycopg.Connection, db_url: str) -> None:
    db = cast
    (m,) = inbound(db, CUSTOMER)
    with bot(db_url) as w:
        for _ in range(2):
            assert ids(claim(w, "crashing", lease="1 second", max_attempts=2)) == [m]
            # the worker dies with it each time: its lease passes
            db.execute("update public.message_log set lease_until = now() - interval '1 second' where id = %s", (m,))
        assert claim(w, "w", max_attempts=2) == []
        assert db.execute("select dead_at is not null, last_error like 'the lease of worker crashing expired%%'"
                          " from public.message_log where id = %s", (m,)).fetchone() == (True, True)


def test_an_untried_release_does_not_count(cast: psycopg.Connection, db_url: str) -> None:
    (m,) = inbound(cast, CUSTOMER)
    with bot(db_url) as w:
        for _ in range(5):
            assert ids(claim(w, "w", max_attempts=1)) == [m]
            assert release(w, m, "w")[0]["claim_attempts"] == 0
        assert ack(w, ids(claim(w, "w", max_attempts=1))[0], "w")["processed_at"] is not None


def test_outbound_messages_are_never_claimed(cast: psycopg.Connection, db_url: str) -> None:
    db = cast
    (out,) = db.execute("insert into public.message_log (to_contact, direction, content, wa_message_id)"
                        " values (%s, 'outbound', 'Size uygun 3 ilan bulduk', 'wamid.out.1') returning id",
                        (CUSTOMER,)).fetchone()
    with bot(db_url) as w:
        assert claim(w, "w", batch=1000) == []
        for call in (lambda: ack(w, str(out), "w"), lambda: release(w, str(out), "w")):
            with pytest.raises(psycopg.Error) as refused:
                call()
            assert refused.value.sqlstate == "VC003"
    with pytest.raises(psycopg.errors.CheckViolation):
        db.execute("update public.message_log set lease_until = now() where id = %s", (out,))


# ------------------------------------------------------------------------------------- who may
ACTING = {"customer": ("authenticated", CUSTOMER), "agent": ("authenticated", AGENT), "anon": ("anon", None),
          "stranger": ("authenticated", "00000000-0000-4000-8000-0000000c0099"), "admin": ("authenticated", ADMIN)}


@contextlib.contextmanager
def acting(conn: psycopg.Connection, actor: str) -> Iterator[psycopg.Connection]:
    """A transaction acting as `actor`, as PostgREST does (role and JWT claims); rolled back on error."""
    role, sub = ACTING[actor]
    with conn.transaction():
        conn.execute(f"set local role {role}")
        conn.execute("select set_config('request.jwt.claims', %s, true)",
                     (json.dumps({"role": role} | ({"sub": sub} if sub else {})),))
        yield conn


@pytest.mark.parametrize("actor", ["customer", "agent", "stranger", "anon"])
def test_customers_agents_and_anon_cannot_claim_ack_release_or_read_dead_letters(cast: psycopg.Connection,
                                                                               db_url: str, actor: str) -> None:
    db = cast
    (own,) = inbound(db, CUSTOMER, minutes_ago=30)  # the customer's own waiting message
    (held,) = inbound(db, OTHER, minutes_ago=20)
    (dead,) = inbound(db, OTHER, minutes_ago=10)
    db.execute("update public.message_log set dead_at = now(), claim_attempts = 5, last_error = 'hata' where id = %s", (dead,))
    with bot(db_url) as w:
        db.execute("update public.message_log set claimed_by = 'w', lease_until = now() + interval '5 minutes',"
                   " claim_attempts = 1 where id = %s", (held,))
        before = table(db)
        calls = {
            "claim": "select * from public.claim_messages('intruder', 1000)",
            "ack own": f"select * from public.ack_message('{own}', 'intruder')",
            "ack held": f"select * from public.ack_message('{held}', 'w')",
            "ack batch": f"select * from public.ack_messages(array['{held}'::uuid], 'w')",
            "release held": f"select * from public.release_message('{held}', 'w', 'x')",
            "dead letters": "select * from public.dead_messages()",
            "requeue": f"select * from public.requeue_message('{dead}')",
        }
        for what, sql in calls.items():
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                with acting(db, actor):
                    db.execute(sql)
            assert db.info.transaction_status == psycopg.pq.TransactionStatus.IDLE, what
        assert table(db) == before, "a refused call changes nothing"
        assert ids(claim(w, "w2")) == [own], "the bot still finds the message waiting"


def test_staff_work_the_inbox(cast: psycopg.Connection, db_url: str) -> None:
    db = cast
    (m,) = inbound(db, CUSTOMER)
    with acting(db, "admin"):
        (got,) = db.execute("select id, claimed_by from public.claim_messages('ayse@office')").fetchall()
        assert got == (uuid.UUID(m), "ayse@office")
        assert db.execute("select processed_at is not null from public.ack_message(%s, 'ayse@office')", (m,)).fetchone() == (True,)
        assert db.execute("select count(*) from public.dead_messages()").fetchone() == (0,)


# ------------------------------------------------------------------------------------- bounds
@pytest.mark.parametrize(("sql", "words"), [
    ("select public.claim_messages('w', 0)", ("batch", "1000")),
    ("select public.claim_messages('w', 1001)", ("batch", "1000")),
    ("select public.claim_messages('', 10)", ("worker", "200")),
    ("select public.claim_messages(repeat('x', 201), 10)", ("worker", "200")),
    ("select public.claim_messages('w', 10, interval '0.5 seconds')", ("lease", "1 second")),
    ("select public.claim_messages('w', 10, interval '61 minutes')", ("lease", "1 hour")),
    ("select public.claim_messages('w', 10, interval '1 minute', 0)", ("max_attempts", "100")),
    ("select public.ack_message(gen_random_uuid(), repeat('x', 201))", ("worker", "200")),
    ("select public.ack_messages('{}', 'w')", ("message_ids", "1000")),
    ("select public.ack_messages(array(select gen_random_uuid() from generate_series(1, 1001)), 'w')", ("message_ids", "1000")),
    ("select public.release_message(gen_random_uuid(), 'w', repeat('x', 2001))", ("error", "2000")),
    ("select public.release_message(gen_random_uuid(), 'w', ' ')", ("error", "2000")),
    ("select public.dead_messages(501)", ("limit", "500")),
])
def test_bad_input_is_vc001_naming_the_parameter(cast: psycopg.Connection, sql: str, words: tuple[str, ...]) -> None:
    inbound(cast, CUSTOMER)
    before = table(cast)
    with pytest.raises(psycopg.Error) as bad:
        cast.execute(sql)
    assert bad.value.sqlstate == "VC001" and all(w in str(bad.value) for w in words), str(bad.value)
    assert table(cast) == before


def test_a_claim_needs_read_committed(cast: psycopg.Connection) -> None:
    inbound(cast, CUSTOMER)
    with pytest.raises(psycopg.Error) as refused, cast.transaction():
        cast.execute("set transaction isolation level repeatable read")
        cast.execute("select public.claim_messages('w')")
    assert refused.value.sqlstate == "VC001" and "read committed" in str(refused.value)
