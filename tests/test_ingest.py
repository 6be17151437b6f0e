"""Ingestion and identity changes: `ingest_message` stores each WhatsApp message once
per wa_message_id, also when eight connections redeliver the same webhooks at once; it registers the contact and
attaches the message to the contact's active session; inbound content without the sender's consent_transfer is
not stored; every input is bounded; only the bot and staff ingest. `change_contact_phone` / `_bsuid` move a
contact to a new identifier, keep its history and never merge two contacts."""
from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections import defaultdict
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.cli_run import ok, one_error_line, vic
from tests.world import WORLD as W, act, load

UTC = dt.timezone.utc
ISTANBUL = dt.timezone(dt.timedelta(hours=3))
INGEST = ("select message_id, is_new from public.ingest_message(p_wa_message_id => %(wa)s, p_direction => %(direction)s,"
          " p_from => %(from)s, p_to => %(to)s, p_message_type => %(type)s, p_content => %(content)s,"
          " p_interactive_payload => %(payload)s, p_sent_at => %(at)s)")
OUR_NUMBER = "+902129990000"  # the business side: never a contact


def message(wa: str, *, direction: str = "inbound", party: str | None = "+905321110001", ours: str | None = OUR_NUMBER,
            type: str = "text", content: str | None = "Merhaba, Kadıköy'de 3+1 arıyorum", payload: dict | None = None,
            at: dt.datetime | None = None) -> dict[str, Any]:
    """The parameters of one webhook: the contact is `party`, sender of an inbound message, recipient of an outbound."""
    inbound = direction == "inbound"
    return {"wa": wa, "direction": direction, "from": party if inbound else ours, "to": ours if inbound else party,
            "type": type, "content": content, "payload": Jsonb(payload) if payload is not None else None, "at": at}


def ingest(conn: psycopg.Connection, actor: str, **kw: Any) -> tuple[str, bool]:
    """ingest_message as `actor` (committed); (message id, is_new)."""
    wa = kw.pop("wa")
    with act(conn, actor) as c:
        row = c.execute(INGEST, message(wa, **kw)).fetchone()
    return str(row[0]), row[1]


def refused(conn: psycopg.Connection, actor: str, sql: str, params: Any = ()) -> tuple[str | None, str]:
    """Run `sql` as `actor` (rolled back); the SQLSTATE and message it raised, (None, '') if none."""
    try:
        with act(conn, actor, rollback=True) as c:
            c.execute(sql, params).fetchall()
    except psycopg.Error as e:
        return e.sqlstate, e.diag.message_primary or ""
    return None, ""


WRITTEN = ("public.message_log", "public.sessions", "public.contacts", "public.interaction_tracker",
           "private.contact_identity_history")


def snapshot(conn: psycopg.Connection) -> dict[str, str]:
    """Every row of the tables ingestion may write, with its xmin: a row rewritten to the same values shows too."""
    return {t: conn.execute(f"select count(*) || ':' || coalesce(md5(string_agg(x.xmin::text || x::text, '|' order by x::text)), '')"
                            f" from {t} x").fetchone()[0] for t in WRITTEN}


def one(conn: psycopg.Connection, sql: str, params: Any = ()) -> Any:
    return conn.execute(sql, params or None).fetchone()[0]


@pytest.fixture
def world(db: psycopg.Connection) -> psycopg.Connection:
    load(db)
    return db


# ------------------------------------------------------------------------------------ ingestion
def test_a_new_sender_is_registered_gets_a_session_and_a_redelivery_changes_nothing(world: psycopg.Connection) -> None:
    db = world
    sent = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(minutes=3)
    # WhatsApp's wa_id form (digits, no +) is the E.164 number
    mid, new = ingest(db, "service_role", wa="wamid.new.1", party="905321110001", at=sent)
    assert new is True
    contact, ctype, status = db.execute("select id, contact_type, onboarding_status from public.contacts"
                                        " where phone = '+905321110001'").fetchone()
    assert (ctype, status) == ("lead", "new")
    row = db.execute("select from_contact, to_contact, direction, created_at, session_id, content, content_withheld"
                     " from public.message_log where id = %s", (mid,)).fetchone()
    assert row[:4] == (contact, None, "inbound", sent), "inbound: from_contact is the customer, created_at WhatsApp's time"
    assert row[5:] == (None, True), "a new lead has not consented to transfer: metadata only"
    assert db.execute("select id, status, last_message_at from public.sessions where contact_id = %s",
                      (contact,)).fetchall() == [(row[4], "active", sent)]

    before = snapshot(db)
    for _ in range(3):
        assert ingest(db, "service_role", wa="wamid.new.1", party="905321110001",
                      at=sent + dt.timedelta(minutes=1)) == (mid, False)
    # staff redeliver too; a redelivery naming another sender or a later time changes nothing either
    assert ingest(db, "admin", wa="wamid.new.1", party="+905321110999", content="başka") == (mid, False)
    assert snapshot(db) == before, "a redelivery wrote something"


def test_messages_join_the_active_session_which_follows_the_latest(world: psycopg.Connection) -> None:
    db = world
    t0 = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(hours=2)
    first, _ = ingest(db, "service_role", wa="wamid.s.1", party="+905559000001", at=t0)
    session = one(db, "select session_id from public.message_log where id = %s", (first,))
    later, _ = ingest(db, "service_role", wa="wamid.s.2", party="+905559000001", at=t0 + dt.timedelta(minutes=30))
    # an outbound reply to the customer: to_contact, same session
    reply, new = ingest(db, "admin", wa="wamid.s.3", direction="outbound", party="+905559000001", content="Tabii, bakıyorum",
                        at=t0 + dt.timedelta(minutes=31))
    assert new
    # WhatsApp delivers out of order: an older message does not move the session back
    ingest(db, "service_role", wa="wamid.s.0", party="+905559000001", at=t0 - dt.timedelta(minutes=5))
    assert db.execute("select count(distinct session_id), count(*) from public.message_log where wa_message_id like 'wamid.s.%'"
                      ).fetchone() == (1, 4)
    assert db.execute("select from_contact, to_contact::text, content from public.message_log where id = %s", (reply,)).fetchone() \
        == (None, W.customer, "Tabii, bakıyorum")
    assert one(db, "select last_message_at from public.sessions where id = %s", (session,)) == t0 + dt.timedelta(minutes=31)
    # the customer consented to transfer: its text is kept
    assert one(db, "select content from public.message_log where id = %s", (later,)) == "Merhaba, Kadıköy'de 3+1 arıyorum"
    # a closed session is history: the next message opens another
    db.execute("update public.sessions set status = 'closed' where id = %s", (session,))
    nxt, _ = ingest(db, "service_role", wa="wamid.s.4", party="+905559000001")
    assert one(db, "select session_id from public.message_log where id = %s", (nxt,)) != session
    assert one(db, "select count(*) from public.sessions where contact_id = %s and status = 'active'", (W.customer,)) == 1


def test_a_bsuid_sender_and_the_business_side_ignored(world: psycopg.Connection) -> None:
    db = world
    mid, _ = ingest(db, "service_role", wa="wamid.b.1", party="TR.1234567890ABCDEF", ours=None)
    contact = one(db, "select from_contact from public.message_log where id = %s", (mid,))
    assert db.execute("select phone, bsuid from public.contacts where id = %s", (contact,)).fetchone() == \
        (None, "TR.1234567890ABCDEF")
    # our own number is no contact, whichever side it is on
    assert one(db, "select count(*) from public.contacts where phone = %s", (OUR_NUMBER,)) == 0
    ingest(db, "service_role", wa="wamid.b.2", direction="outbound", party="TR.1234567890ABCDEF")
    assert one(db, "select count(*) from public.contacts where phone = %s", (OUR_NUMBER,)) == 0
    assert one(db, "select count(*) from public.contacts where bsuid = 'TR.1234567890ABCDEF'") == 1


def test_inbound_content_waits_for_transfer_consent_on_every_path(world: psycopg.Connection) -> None:
    db = world
    lead_phone = "+905559000003"  # the world's lead: no consent_transfer
    payload = {"button_reply": {"id": "evet", "title": "Evet, kabul ediyorum"}}
    withheld, _ = ingest(db, "service_role", wa="wamid.c.1", party=lead_phone, content="Ben Okan, bütçem 5 milyon")
    button, _ = ingest(db, "service_role", wa="wamid.c.2", party=lead_phone, type="interactive", content=None, payload=payload)
    # the bot's own outbound text to the lead is the bot's, kept
    prompt, _ = ingest(db, "service_role", wa="wamid.c.3", direction="outbound", party=lead_phone, content="Onay verir misiniz?")
    rows = dict((str(r[0]), r[1:]) for r in db.execute(
        "select id, message_type, content, interactive_payload, content_withheld from public.message_log"
        " where wa_message_id like 'wamid.c.%'"))
    assert rows[withheld] == ("text", None, None, True)
    assert rows[button] == ("interactive", None, None, True), "the interactive payload is content too"
    assert rows[prompt] == ("text", "Onay verir misiniz?", None, False)
    # the bot writing the table itself, and the dashboard, meet the same rule
    for actor in ("service_role", "dashboard"):
        sql = ("insert into public.message_log (from_contact, direction, content, interactive_payload, wa_message_id,"
               " content_withheld) values (%s, 'inbound', 'gizli', '{\"a\": 1}', %s, false) returning content,"
               " interactive_payload, content_withheld")
        params = (W.lead, f"wamid.c.direct.{actor}")
        if actor == "dashboard":
            got = db.execute(sql, params).fetchone()
        else:
            with act(db, actor) as c:
                got = c.execute(sql, params).fetchone()
        assert got == (None, None, True), actor
    # ... also when writing content into a withheld row afterwards, or clearing the flag
    with act(db, "service_role") as c:
        c.execute("update public.message_log set content = 'sonradan', content_withheld = false where id = %s", (withheld,))
    assert db.execute("select content, content_withheld from public.message_log where id = %s", (withheld,)).fetchone() \
        == (None, True)
    # consent given: new content is kept; what came before stays metadata only
    with act(db, "service_role") as c:
        c.execute("select public.record_consent('transfer', true, %s)", (W.lead,))
    after, _ = ingest(db, "service_role", wa="wamid.c.4", party=lead_phone, content="Şimdi kaydedin")
    assert db.execute("select content, content_withheld from public.message_log where id = %s", (after,)).fetchone() \
        == ("Şimdi kaydedin", False)
    assert one(db, "select content_withheld from public.message_log where id = %s", (withheld,)) is True


NOW = dt.datetime.now(UTC)
BAD = [  # (override, the field the message names, the limit it states)
    (dict(wa=""), "wa_message_id", "256"),
    (dict(wa="w" * 257), "wa_message_id", "256"),
    (dict(wa=None), "wa_message_id", "required"),
    (dict(direction="sideways"), "direction", "inbound, outbound"),
    (dict(direction=None), "direction", "inbound, outbound"),
    (dict(type="fax"), "message_type", "template"),
    (dict(type=None), "message_type", "template"),
    (dict(content="x" * 10_001), "content", "10000"),
    (dict(payload=Jsonb({"x": "y" * 20_001})), "interactive_payload", "20000"),
    (dict(payload=Jsonb(["evet"])), "interactive_payload", "JSON object"),
    (dict(at=NOW + dt.timedelta(minutes=10)), "sent_at", "5 minutes"),
    (dict(at=NOW - dt.timedelta(days=31)), "sent_at", "30 days"),
    (dict(**{"from": "+90 532 111 00 01"}), "from", "E.164"),
    (dict(**{"from": "+12"}), "from", "E.164"),
    (dict(**{"from": "T" * 129}), "from", "128"),
    (dict(**{"from": None}), "from", "required"),
    (dict(to="x" * 129), "to", "128"),
    (dict(direction="outbound", to=None), "to", "required"),
]


@pytest.mark.parametrize(("override", "field", "limit"), BAD, ids=[f"{f}:{i}" for i, (_, f, _) in enumerate(BAD)])
def test_every_input_is_bounded_and_a_refusal_writes_nothing(world: psycopg.Connection, override, field, limit) -> None:
    db = world
    params = message("wamid.bound.1", party="+905559000001")
    if override.get("direction") == "outbound":
        params.update({"from": OUR_NUMBER, "to": "+905559000001"})
    params.update(override)
    before = snapshot(db)
    state, text = refused(db, "service_role", INGEST, params)
    assert state == "VC001", (state, text)
    assert field in text and limit in text, text
    assert len(text) < 300, "the message echoes the value"
    assert snapshot(db) == before
    # the same call within its bounds is stored (the refusal was the bound's)
    good = message("wamid.bound.1", party="+905559000001")
    assert refused(db, "service_role", INGEST, good) == (None, "")


@pytest.mark.parametrize("actor", ["customer", "owner_customer", "listing_agent", "broker", "stranger", "anon"])
def test_customers_and_agents_ingest_nothing(world: psycopg.Connection, actor: str) -> None:
    db = world
    before = snapshot(db)
    for params in (message("wamid.deny.1", party="+905321119999"),  # a new contact would be registered
                   message("wamid.world.0001", party="+905559000002")):  # an existing message: no oracle either
        state, text = refused(db, actor, INGEST, params)
        assert state == "42501", (actor, state, text)
        assert "wamid" not in text and "+90" not in text
    assert snapshot(db) == before
    # staff and the dashboard may
    assert ingest(db, "admin", wa="wamid.deny.2", party="+905321119999")[1] is True
    assert db.execute(INGEST, message("wamid.deny.3", party="+905321119999")).fetchone()[1] is True


# ------------------------------------------------------------------------------------ concurrency
CONNECTIONS = 8
WEBHOOKS = 1000


def _webhooks() -> tuple[list[dict[str, Any]], dict[str, str]]:
    """1,000 webhooks of 80 contacts (60 by phone, half in WhatsApp's wa_id form; 20 by bsuid), 15% outbound, sent over
    the last day in a shuffled order; and, per wa id, the contact's identity."""
    rng = random.Random(13)
    phones = [f"+90532{n:07d}" for n in range(60)]
    parties = phones + [f"TR.bench{n:04d}" for n in range(20)]
    start = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(days=1)
    hooks, identity = [], {}
    for i in range(WEBHOOKS):
        party = rng.choice(parties)
        shown = party.lstrip("+") if party in phones[:30] else party
        wa = f"wamid.HBgM{i:06d}"
        hooks.append(message(wa, direction="outbound" if rng.random() < 0.15 else "inbound", party=shown,
                             content=f"mesaj {i}", at=start + dt.timedelta(seconds=rng.randrange(86_000))))
        identity[wa] = party
    return hooks, identity


def test_eight_connections_redelivering_the_same_thousand_webhooks_store_each_once(db: psycopg.Connection, db_url: str) -> None:
    # half the phone contacts exist already, with consent: their text is kept
    db.execute("insert into public.contacts (phone, consent_transfer) select '+90532' || lpad(n::text, 7, '0'), true"
               " from generate_series(0, 59, 2) n")
    hooks, identity = _webhooks()
    barrier = threading.Barrier(CONNECTIONS)
    results: list[dict[str, tuple[str, bool]]] = [{} for _ in range(CONNECTIONS)]
    errors: list[str] = []

    def deliver(k: int) -> None:
        try:
            with psycopg.connect(db_url, autocommit=True) as conn:
                conn.execute("set role service_role")
                conn.execute("""select set_config('request.jwt.claims', '{"role": "service_role"}', false)""")
                # even connections in the same order (they collide on every message), odd ones each in its own
                # (different messages of one new contact then open its session at the same moment)
                order = hooks if k % 2 == 0 else random.Random(k).sample(hooks, len(hooks))
                barrier.wait()
                for params in order:
                    mid, new = conn.execute(INGEST, params).fetchone()
                    results[k][params["wa"]] = (str(mid), new)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(f"connection {k}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=deliver, args=(k,)) for k in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not errors, errors
    assert all(len(r) == WEBHOOKS for r in results)

    stored = {wa: str(mid) for wa, mid in db.execute("select wa_message_id, id from public.message_log")}
    assert len(stored) == WEBHOOKS, "exactly one row per webhook"
    for wa in stored:
        answers = [r[wa] for r in results]
        assert {mid for mid, _ in answers} == {stored[wa]}, f"{wa}: not the same id on every connection"
        assert sum(new for _, new in answers) == 1, f"{wa}: is_new true {sum(new for _, new in answers)} times"

    # one contact per identity (none for our own number), one active session each, holding its messages
    contacts = set(identity.values())
    assert one(db, "select count(*) from public.contacts") == len(contacts | {f"+90532{n:07d}" for n in range(0, 60, 2)})
    assert one(db, "select count(*) from public.sessions") == len(contacts)
    assert one(db, "select count(*) from public.sessions where status = 'active'") == len(contacts)
    latest: dict[str, dt.datetime] = defaultdict(lambda: dt.datetime.min.replace(tzinfo=UTC))
    for params in hooks:
        party = identity[params["wa"]]
        latest[party] = max(latest[party], params["at"])
    got = {(p or b): at for p, b, at in db.execute(
        "select c.phone, c.bsuid, s.last_message_at from public.sessions s join public.contacts c on c.id = s.contact_id")}
    assert got == dict(latest), "last_message_at is each contact's latest message"
    assert one(db, """select count(*) from public.message_log m
                      join public.sessions s on s.id = m.session_id
                      where s.contact_id = coalesce(m.from_contact, m.to_contact)""") == WEBHOOKS
    sent = {p["wa"]: p["at"] for p in hooks}
    assert {wa: at for wa, at in db.execute("select wa_message_id, created_at from public.message_log")} == sent
    # content only from contacts with consent (the pre-registered half), inbound; outbound always kept
    assert one(db, """select count(*) from public.message_log m join public.contacts c on c.id = m.from_contact
                      where m.content is not null and not c.consent_transfer""") == 0
    assert one(db, "select count(*) from public.message_log where direction = 'outbound' and content is null") == 0


def _waiting(db: psycopg.Connection, pid: int, deadline: float = 10.0) -> str | None:
    """The wait event of backend `pid` once it waits on a lock (None if it never does within the deadline)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        event = db.execute("select wait_event_type || ':' || wait_event from pg_stat_activity where pid = %s",
                           (pid,)).fetchone()
        if event and event[0] and event[0].startswith("Lock:"):
            return event[0]
        time.sleep(0.02)
    return None


@pytest.mark.parametrize("first_outcome", ["commit", "rollback"])
def test_a_redelivery_racing_the_uncommitted_first_delivery_waits_for_it(world: psycopg.Connection, db_url: str,
                                                                         first_outcome: str) -> None:
    """The race where the conflicting row is not yet visible: the second call misses it in its lookup, then its
    insert waits on the unique index for the first transaction; after a commit it answers the first id (and has
    written nothing), after a rollback it stores the message itself."""
    db = world
    params = message("wamid.race.1", party="+905559000001", at=dt.datetime.now(UTC) - dt.timedelta(minutes=1))
    first = psycopg.connect(db_url)  # its transaction stays open until the commit or rollback below
    second = psycopg.connect(db_url, autocommit=True)
    try:
        first.execute("set local role service_role")
        first_id, first_new = first.execute(INGEST, params).fetchone()
        assert first_new is True
        answer: list[Any] = []
        later = dict(params, at=params["at"] + dt.timedelta(seconds=30))

        def redeliver() -> None:
            second.execute("set role service_role")
            answer.append(second.execute(INGEST, later).fetchone())

        thread = threading.Thread(target=redeliver)
        thread.start()
        assert _waiting(db, second.info.backend_pid) == "Lock:transactionid", "the redelivery does not wait"
        assert not answer
        first.commit() if first_outcome == "commit" else first.rollback()
        thread.join(timeout=30)
        assert len(answer) == 1
        stored = db.execute("select id, created_at from public.message_log where wa_message_id = 'wamid.race.1'").fetchall()
        assert len(stored) == 1
        if first_outcome == "commit":
            assert tuple(answer[0]) == (first_id, False)
            assert stored[0] == (first_id, params["at"]), "the redelivery changed the stored message"
            assert one(db, "select last_message_at from public.sessions where contact_id = %s and status = 'active'",
                       (W.customer,)) == params["at"], "the redelivery moved last_message_at"
        else:
            assert answer[0][1] is True and answer[0][0] != first_id
            assert stored[0] == (answer[0][0], later["at"])
        assert one(db, "select count(*) from public.sessions where contact_id = %s and status = 'active'", (W.customer,)) == 1
    finally:
        first.close()
        second.close()


def test_under_repeatable_read_the_unseen_row_is_a_serialization_failure_not_a_wrong_answer(
        world: psycopg.Connection, db_url: str) -> None:
    db = world
    params = message("wamid.rr.1", party="+905559000001")
    with psycopg.connect(db_url) as rr:
        rr.execute("begin isolation level repeatable read")
        rr.execute("set local role service_role")
        rr.execute("select 1 from public.message_log limit 1").fetchall()  # the snapshot is taken
        with act(db, "service_role") as c:  # another connection stores it and commits
            mid = c.execute(INGEST, params).fetchone()[0]
        with pytest.raises(psycopg.errors.SerializationFailure):
            rr.execute(INGEST, params)
        rr.rollback()
        rr.execute("begin isolation level repeatable read")
        rr.execute("set local role service_role")
        assert rr.execute(INGEST, params).fetchone() == (mid, False), "a retry answers the stored id"
        rr.rollback()
    assert one(db, "select count(*) from public.message_log where wa_message_id = 'wamid.rr.1'") == 1


# ------------------------------------------------------------------------------------ identity changes
NEW_PHONE = "+905559000077"


def test_a_contact_moves_to_its_new_number_keeping_its_history(world: psycopg.Connection) -> None:
    db = world
    old_messages = one(db, "select count(*) from public.message_log where from_contact = %s or to_contact = %s",
                       (W.owner_customer, W.owner_customer))
    with act(db, "admin") as c:
        row = c.execute("select id::text, phone from public.change_contact_phone(%s, %s)", (W.owner_customer, NEW_PHONE)).fetchone()
    assert row == (W.owner_customer, NEW_PHONE)
    # same id: messages, sessions and requests stay
    assert one(db, "select count(*) from public.message_log where from_contact = %s", (W.owner_customer,)) == old_messages
    assert one(db, "select count(*) from public.requests where customer_id = %s", (W.owner_customer,)) >= 1
    # the next message from the new number is the same contact's; the old number is free (a recycled number
    # reaching us later is a new contact)
    mid, _ = ingest(db, "service_role", wa="wamid.id.1", party=NEW_PHONE)
    assert one(db, "select from_contact::text from public.message_log where id = %s", (mid,)) == W.owner_customer
    ingest(db, "service_role", wa="wamid.id.2", party="+905559000002")
    assert one(db, "select count(*) from public.contacts where phone = '+905559000002'") == 1
    # the bot moves the contact to a bsuid too; the history says who (staff by contact, the bot as NULL) and when
    with act(db, "service_role") as c:
        c.execute("select public.change_contact_bsuid(%s, 'TR.zehra.1')", (W.owner_customer,))
    # the same identifier again changes nothing
    with act(db, "admin") as c:
        assert c.execute("select phone from public.change_contact_phone(%s, %s)", (W.owner_customer, NEW_PHONE)).fetchone() \
            == (NEW_PHONE,)
        history = c.execute("select field, old_value, new_value, changed_by::text from public.contact_identity_history(%s)",
                            (W.owner_customer,)).fetchall()
    assert history == [("phone", "+905559000002", NEW_PHONE, W.admin), ("bsuid", None, "TR.zehra.1", None)]


def test_an_identifier_of_another_contact_is_refused_never_merged(world: psycopg.Connection) -> None:
    db = world
    before = snapshot(db)
    for actor, sql, params in (
        ("admin", "select * from public.change_contact_phone(%s, %s)", (W.owner_customer, "+905559000001")),
        ("service_role", "select * from public.change_contact_phone(%s, %s)", (W.owner_customer, "+905559000001")),
    ):
        state, text = refused(db, actor, sql, params)
        assert state == "VC004" and "never merged" in text, (state, text)
    db.execute("update public.contacts set bsuid = 'TR.ahmet.1' where id = %s", (W.customer,))
    before = snapshot(db)
    state, text = refused(db, "admin", "select * from public.change_contact_bsuid(%s, 'TR.ahmet.1')", (W.owner_customer,))
    assert state == "VC004" and "bsuid" in text
    assert snapshot(db) == before
    # a direct update by staff meets the unique index: a conflict, never a merge
    state, _ = refused(db, "admin", "update public.contacts set phone = '+905559000001' where id = %s", (W.owner_customer,))
    assert state == "23505"
    # bad input and a missing contact
    assert refused(db, "admin", "select * from public.change_contact_phone(%s, '05321234567')", (W.owner_customer,))[0] == "VC001"
    assert refused(db, "admin", "select * from public.change_contact_bsuid(%s, 'TR x')", (W.owner_customer,))[0] == "VC001"
    assert refused(db, "admin", "select * from public.change_contact_phone(%s, %s)", (W.new_contact, NEW_PHONE))[0] == "VC003"
    assert snapshot(db) == before


def test_two_contacts_taking_one_number_at_once_one_is_refused(world: psycopg.Connection, db_url: str) -> None:
    db = world
    first = psycopg.connect(db_url)
    second = psycopg.connect(db_url, autocommit=True)
    try:
        first.execute("set local role service_role")
        first.execute("select public.change_contact_phone(%s, %s)", (W.customer, NEW_PHONE))
        outcome: list[Any] = []

        def take() -> None:
            second.execute("set role service_role")
            try:
                second.execute("select public.change_contact_phone(%s, %s)", (W.owner_customer, NEW_PHONE))
                outcome.append("changed")
            except psycopg.Error as e:
                outcome.append((e.sqlstate, e.diag.message_primary))

        thread = threading.Thread(target=take)
        thread.start()
        assert _waiting(db, second.info.backend_pid) is not None, "the second change does not wait on the index"
        first.commit()
        thread.join(timeout=30)
    finally:
        first.close()
        second.close()
    assert outcome and outcome[0][0] == "VC004" and "never merged" in outcome[0][1], outcome
    assert db.execute("select id::text from public.contacts where phone = %s", (NEW_PHONE,)).fetchall() == [(W.customer,)]
    assert one(db, "select phone from public.contacts where id = %s", (W.owner_customer,)) == "+905559000002"


@pytest.mark.parametrize("actor", ["owner_customer", "customer", "listing_agent", "broker", "stranger"])
def test_contacts_and_agents_change_no_identifier(world: psycopg.Connection, actor: str) -> None:
    """Attack: a contact moves its own row (or another's) to a new number or a registered one, through the RPCs or a
    direct table update as PostgREST sends it: 42501 every time, the same whether the number is taken, nothing written."""
    db = world
    before = snapshot(db)
    me = W.subject(actor)
    seen = set()
    for target in (me, W.owner_customer):
        for phone in (NEW_PHONE, "+905559000003"):  # nobody's, and the lead's
            seen.add(refused(db, actor, "select * from public.change_contact_phone(%s, %s)", (target, phone)))
        seen.add(refused(db, actor, "select * from public.change_contact_bsuid(%s, 'TR.new.9')", (target,)))
    for phone in (NEW_PHONE, "+905559000003"):
        state, _ = refused(db, actor, "update public.contacts set phone = %s where id = %s returning id", (phone, me))
        seen.add((state or "none", ""))
    state, _ = refused(db, actor, "update public.contacts set bsuid = 'TR.new.9' where id = %s returning id", (me,))
    seen.add((state or "none", ""))
    assert {s for s, _ in seen} <= {"42501"} | ({"none"} if actor == "stranger" else set()), seen
    assert refused(db, actor, "select * from public.contact_identity_history(%s)", (me,))[0] == "42501"
    assert snapshot(db) == before


# ------------------------------------------------------------------------------------ CLI
def test_cli_ingest_in_istanbul_time_redelivery_and_errors(world: psycopg.Connection, db_url: str) -> None:
    db = world
    url = ("--database-url", db_url)
    at = (dt.datetime.now(ISTANBUL) - dt.timedelta(hours=1)).replace(second=0, microsecond=0, tzinfo=None)
    args = ("--service-role", "inbox", "ingest", "--wa-id", "wamid.cli.1", "--direction", "inbound", "--from", "905321110042",
            "--to", OUR_NUMBER, "--text", "Beşiktaş'ta kiralık var mı?", "--at", at.isoformat(timespec="minutes"), *url)
    first = ok(*args)
    assert "new" in first and "yes" in first
    mid, created = db.execute("select id, created_at from public.message_log where wa_message_id = 'wamid.cli.1'").fetchone()
    assert created == at.replace(tzinfo=ISTANBUL), "--at is Istanbul time"
    assert str(mid) in first
    again = ok(*args)
    assert "already stored" in again and str(mid) in again
    # an interactive reply, outbound with no --from at all
    ok("--service-role", "inbox", "ingest", "--wa-id", "wamid.cli.2", "--direction", "inbound", "--from", "905321110042",
       "--type", "interactive", "--payload", '{"button_reply": {"id": "evet"}}', *url)
    ok("--service-role", "inbox", "ingest", "--wa-id", "wamid.cli.3", "--direction", "outbound", "--to", "905321110042",
       "--text", "Merhaba!", *url)
    assert one(db, "select count(*) from public.message_log where wa_message_id like 'wamid.cli.%'") == 3
    # errors: one line naming the flag or the field, nothing written
    before = snapshot(db)
    assert "--at" in one_error_line(vic("--service-role", "inbox", "ingest", "--wa-id", "w", "--direction", "inbound",
                                        "--from", "905321110042", "--at", "dün", *url))
    assert "--payload" in one_error_line(vic("--service-role", "inbox", "ingest", "--wa-id", "w", "--direction", "inbound",
                                             "--from", "905321110042", "--payload", "[1]", *url))
    assert "from" in one_error_line(vic("--service-role", "inbox", "ingest", "--wa-id", "w", "--direction", "inbound", *url))
    assert "--at must be between" in one_error_line(vic("--service-role", "inbox", "ingest", "--wa-id", "w", "--direction", "inbound",
                                           "--from", "905321110042", "--at", "2020-01-01T10:00", *url))
    assert "only the bot" in one_error_line(vic("--as", W.customer, "inbox", "ingest", "--wa-id", "w", "--direction",
                                                "inbound", "--from", "905321110042", *url))
    assert snapshot(db) == before


def test_cli_change_phone_bsuid_and_history(world: psycopg.Connection, db_url: str) -> None:
    db = world
    url = ("--database-url", db_url)
    out = ok("--as", W.admin, "contact", "change-phone", W.owner_customer, NEW_PHONE, *url)
    assert NEW_PHONE in out and W.owner_customer in out
    ok("--service-role", "contact", "change-bsuid", W.owner_customer, "TR.zehra.2", *url)
    history = ok("--as", W.admin, "contact", "identity-history", W.owner_customer, *url)
    assert "+905559000002" in history and NEW_PHONE in history and "TR.zehra.2" in history and "bot / dashboard" in history
    assert all(len(line) <= 100 for line in history.splitlines())
    assert "never merged" in one_error_line(vic("--as", W.admin, "contact", "change-phone", W.customer, NEW_PHONE, *url))
    assert "E.164" in one_error_line(vic("--as", W.admin, "contact", "change-phone", W.customer, "0532", *url))
    assert "only admins" in one_error_line(vic("--as", W.customer, "contact", "change-phone", W.customer, "+905550000000",
                                               *url))
    assert "no identity change" in ok("--as", W.admin, "contact", "identity-history", W.customer, *url)
    assert one(db, "select phone from public.contacts where id = %s", (W.customer,)) == "+905559000001"
