"""Every public RPC parameter is bounded (attack class c9; docs/errors.md, Bounds).

`BOUNDS` has one row per parameter of a public RPC whose type is text, an array, jsonb, a number, an interval or
a timestamp: the bound, or (`over` None) the reason it needs none. `test_every_parameter_has_a_row` fails when a
public RPC has such a parameter without a row (a new RPC cannot forget) or a row names none.

For each bounded row the RPC is called as `actor` with a valid base call (`base`, after `setup` when the call
needs a row to act on) whose one parameter is just over the bound: `VC001`, the message names the field (no
`p_` prefix) and the limit and stays short (an over-long value is never echoed), and no table of public or private changed.
The base call itself is run too (rolled back) and must succeed, so the refusal is the bound's and not a missing
row's or permission's. Every row is of that strength (`base_ok=False` would mark a weaker row that only shows
VC001 naming the field and the limit; none is left).

`test_every_number_column_has_an_upper_bound` lints the tables: every bigint/numeric column of a public table
(not generated) has a check constraint with an upper bound.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.world import WORLD, act, load

W = WORLD
NOW = dt.datetime.now(dt.timezone.utc)
AMOUNT = "1000000000000"
OVER_AMOUNT = 10**12 + 1

IN_SCOPE = """
select p.proname, a.name, a.type
from pg_proc p
cross join lateral unnest(p.proargnames, p.proargtypes::regtype[]::text[]) as a (name, type)
where p.pronamespace = 'public'::regnamespace and p.prokind = 'f'
  and (a.type in ('text', 'jsonb', 'bigint', 'integer', 'smallint', 'numeric', 'interval',
                  'timestamp with time zone', 'timestamp without time zone', 'date', 'character varying')
       or a.type like '%[]')
order by 1, 2
"""


@dataclass(frozen=True)
class Row:
    bound: str                       # the bound as docs/errors.md states it, or the reason there is none
    over: Any = None                 # the value just over the bound (None: no bound, `bound` says why)
    words: tuple[str, ...] = ()      # the message names these (the field and the limit)


@dataclass(frozen=True)
class Rpc:
    actor: str
    base: dict[str, Any]
    params: dict[str, Row]
    setup: tuple[tuple[str, str], ...] = ()  # (actor, sql) run and committed first; the last one's value replaces "$setup"
    base_ok: bool = True


def _text(name: str, n: int) -> Row:
    return Row(f"at most {n} characters", "x" * (n + 1), (name, str(n)))


def _enum(name: str, values: str) -> Row:
    return Row(f"one of {values}", "x" * 100_000, (name, values))


def _amount(name: str) -> Row:
    return Row("whole amount 1 .. 10^12", OVER_AMOUNT, (name, AMOUNT))


LISTING_ID = Row("a listing id: at most 20 characters", "2026-" + "1" * 100_000, ("portfolio_id", "20"))
ROOMS = Row("the form 3+1 (regular expression, at most 4 characters)", "1" * 100_000 + "+1", ("rooms", "3+1"))
PHONE = Row("E.164 (regular expression, at most 16 characters)", "+9" + "0" * 100_000, ("phone", "E.164"))
DISTRICT = Row("a district of Turkey, at most 100 characters", "x" * 101, ("district", "100"))
SINCE = "a report window's bound: a filter, the report's cost does not depend on it"
LISTING = dict(p_type="daire", p_listing_type="sale", p_title="Deniz manzaralı", p_district="Kadıköy",
               p_listed_price=9_000_000, p_currency="TRY", p_rooms="2+1", p_description="Güneyli, asansörlü",
               p_city="İstanbul", p_owner_name="Ali Veli", p_owner_phone="+905321234567", p_min_price=8_500_000,
               p_commission_rate=2, p_private_notes="acil")
LISTING_ROWS = dict(
    p_title=_text("title", 200), p_description=_text("description", 5000), p_district=DISTRICT, p_rooms=ROOMS,
    p_listed_price=_amount("listed_price"), p_currency=_enum("currency", "TRY, USD, EUR, GBP"),
    p_owner_name=_text("owner_name", 200), p_owner_phone=Row(PHONE.bound, PHONE.over, ("owner_phone", "E.164")),
    p_min_price=_amount("min_price"), p_private_notes=_text("private_notes", 5000),
    p_commission_rate=Row("a percentage above 0, at most 100", 100.01, ("commission_rate", "100")),
)
SHOWING_ROWS = dict(
    p_scheduled_at=Row("from now to 1 year ahead", NOW + dt.timedelta(days=3650), ("scheduled_at", "1 year")),
    p_duration=Row("15 minutes .. 8 hours", dt.timedelta(hours=8, minutes=1), ("duration", "8 hours")),
)
PAGE = dict(p_limit=Row("1 .. 500", 501, ("limit", "500")), p_offset=Row("0 .. 100000", 100_001, ("offset", "100000")))
IDLE = Row("above 0, at most 365 days", dt.timedelta(days=366), ("idle", "365 days"))
CRITERIA = Row("guard.check_criteria: known keys; 20 districts, 4 types, 10 rooms; prices 1 .. 10^12",
               Jsonb({"districts": [f"İlçe {i}" for i in range(21)]}), ("criteria.districts", "20"))

WORKER = Row("1-200 characters, not blank", "x" * 201, ("worker", "200"))
# a waiting inbound message, claimed by bot-1: its id
HELD = (("service_role", "insert into public.message_log (from_contact, direction, wa_message_id, content)"
                         f" values ('{W.customer}', 'inbound', 'wamid.bounds.1', 'Merhaba') returning id"),
        ("service_role", "select id from public.claim_messages('bot-1', 1)"))

BOUNDS: dict[str, Rpc] = {
    "ack_message": Rpc("service_role", dict(p_message_id="$setup", p_worker="bot-1"), dict(p_worker=WORKER), setup=HELD),
    "ack_messages": Rpc("service_role", dict(p_message_ids="$setup", p_worker="bot-1"), dict(
        p_worker=WORKER, p_message_ids=Row("1-1000 ids", [uuid.uuid4() for _ in range(1001)], ("message_ids", "1000"))),
        setup=(HELD[0], ("service_role", "select array(select id from public.claim_messages('bot-1', 1))"))),
    "add_media": Rpc("listing_agent", dict(p_portfolio_id=W.listing, p_media_type="photo", p_storage_path="p/2.jpg"), dict(
        p_portfolio_id=LISTING_ID, p_media_type=_enum("media_type", "photo, video"),
        p_storage_path=Row("1-1024 characters", "x" * 1025, ("storage_path", "1024")))),
    "budget_churn": Rpc("broker", dict(p_since=NOW - dt.timedelta(days=7), p_min_changes=3), dict(
        p_since=Row(SINCE), p_min_changes=Row("1 .. 1000", 1001, ("min_changes", "1000")))),
    "cancel_deal": Rpc("listing_agent", dict(p_deal_id=W.deal_b, p_reason="Alıcı vazgeçti"), dict(
        p_reason=Row("1-1000 characters", "x" * 1001, ("reason", "1000")))),
    "claim_messages": Rpc("service_role", dict(p_worker="bot-1", p_batch=10, p_lease=dt.timedelta(minutes=5),
                                               p_max_attempts=5), dict(
        p_worker=WORKER, p_batch=Row("1 .. 1000 messages", 1001, ("batch", "1000")),
        p_lease=Row("1 second .. 1 hour", dt.timedelta(hours=1, seconds=1), ("lease", "1 hour")),
        p_max_attempts=Row("1 .. 100 attempts", 101, ("max_attempts", "100")))),
    "claim_notifications": Rpc("service_role", dict(p_batch=50, p_lease=dt.timedelta(minutes=5)), dict(
        p_batch=Row("1 .. 500 notifications per call", 501, ("batch", "500")),
        p_lease=Row("1 second .. 1 hour", dt.timedelta(hours=1, seconds=1), ("lease", "1 hour")))),
    "change_contact_bsuid": Rpc("service_role", dict(p_contact_id=W.lead, p_bsuid="TR.lead.1"), dict(
        p_bsuid=Row("1-128 characters without spaces", "x" * 129, ("bsuid", "128")))),
    "change_contact_phone": Rpc("service_role", dict(p_contact_id=W.lead, p_phone="+905559000088"), dict(p_phone=PHONE)),
    "claim_nudges": Rpc("service_role", dict(p_batch=100, p_max_age=dt.timedelta(days=7)), dict(
        p_batch=Row("1 .. 1000 nudges per call", 1001, ("batch", "1000")),
        p_max_age=Row("above 0, at most 30 days", dt.timedelta(days=31), ("max_age", "30 days")))),
    "counter_offer": Rpc("listing_agent", dict(p_offer_id="$setup", p_amount=12_000_000), dict(p_amount=_amount("amount")),
        setup=(("owner_customer", f"select id from public.make_offer('{W.deal_b}', 11000000)"),)),
    "create_listing": Rpc("listing_agent", LISTING, dict(
        LISTING_ROWS, p_type=_enum("type", "daire, villa, dukkan, arsa"), p_listing_type=_enum("listing_type", "sale, rent"),
        p_city=_text("city", 100))),
    "create_request": Rpc("customer", dict(p_request_type="buy", p_criteria=Jsonb({"districts": ["Kadıköy"]}),
                                           p_customer_id=W.customer), dict(
        p_request_type=_enum("request_type", "buy, rent"), p_criteria=CRITERIA)),
    "contact_names": Rpc("service_role", dict(p_contact_ids=[W.customer]), dict(
        p_contact_ids=Row("at most 1000 ids", [uuid.uuid4() for _ in range(1001)], ("contact_ids", "1000")))),
    "dead_messages": Rpc("admin", dict(p_limit=50, p_offset=0), PAGE),
    "deactivate_listing": Rpc("listing_agent", dict(p_portfolio_id=W.listing), dict(p_portfolio_id=LISTING_ID)),
    "export_training_conversations": Rpc("admin", dict(p_since=NOW - dt.timedelta(days=30), p_limit=100), dict(
        p_since=Row(SINCE), p_limit=Row("1 .. 1000 conversations (each at most 200 messages)", 1001, ("limit", "1000")))),
    "explain_match": Rpc("service_role", dict(p_portfolio_id=W.listing, p_request_id=W.request), dict(p_portfolio_id=LISTING_ID)),
    "grant_visibility": Rpc("listing_agent", dict(p_portfolio_id=W.listing, p_agent_id=W.agent_anonymous, p_level="partial"), dict(
        p_portfolio_id=LISTING_ID, p_level=_enum("level", "anonymous, partial, full"))),
    "ingest_message": Rpc("service_role", dict(
        p_wa_message_id="wamid.bounds.1", p_direction="inbound", p_from="+905559000001", p_to="+902129990000",
        p_message_type="interactive", p_content="Merhaba", p_interactive_payload=Jsonb({"button_reply": {"id": "evet"}}),
        p_sent_at=NOW), dict(
        p_wa_message_id=Row("1-256 characters", "w" * 257, ("wa_message_id", "256")),
        p_direction=_enum("direction", "inbound, outbound"),
        p_from=Row("128 characters: the contact's E.164 phone or bsuid, or our side", "T" * 129, ("from", "128")),
        p_to=Row("128 characters: the contact's E.164 phone or bsuid, or our side", "T" * 129, ("to", "128")),
        p_message_type=_enum("message_type", "text, image, video, audio, document, location, contacts, sticker, reaction, "
                                             "button, interactive, template"),
        p_content=_text("content", 10000),
        p_interactive_payload=Row("20000 bytes, a JSON object", Jsonb({"x": "y" * 20_001}), ("interactive_payload", "20000")),
        p_sent_at=Row("30 days ago .. 5 minutes ahead", NOW + dt.timedelta(hours=1), ("sent_at", "5 minutes")))),
    # the read RPCs (functions/reads.sql)
    "list_commissions": Rpc("listing_agent", dict(p_status="pending", p_limit=50, p_offset=0), dict(
        PAGE, p_status=_enum("status", "pending, invoiced, paid"))),
    "list_deals": Rpc("listing_agent", dict(p_status="open", p_limit=50, p_offset=0), dict(
        PAGE, p_status=_enum("status", "open, matched, showing, negotiating, agreed, closing, closed, cancelled"))),
    "list_matches": Rpc("listing_agent", dict(p_portfolio_id=W.listing, p_limit=50, p_offset=0), dict(
        PAGE, p_portfolio_id=LISTING_ID)),
    "list_requests": Rpc("listing_agent", dict(p_status="new", p_limit=50, p_offset=0), dict(
        PAGE, p_status=_enum("status", "new, assigned, closed"))),
    "list_tasks": Rpc("listing_agent", dict(p_status="pending", p_limit=50, p_offset=0), dict(
        PAGE, p_status=_enum("status", "pending, done, cancelled, all"))),
    "listing_summary": Rpc("listing_agent", dict(p_portfolio_id=W.listing), dict(p_portfolio_id=LISTING_ID)),
    "make_offer": Rpc("owner_customer", dict(p_deal_id=W.deal_b, p_amount=11_000_000), dict(p_amount=_amount("amount"))),
    "notification_sent": Rpc("service_role", dict(p_notification_id="$setup", p_wa_message_id="wamid.HBgM0001"), dict(
        p_wa_message_id=Row("1-256 characters", "x" * 257, ("wa_message_id", "256"))),
        setup=(("service_role", "select message_id from public.ingest_message('wamid.bounds.window', 'inbound',"
                                " '+905559000002', '+902129990000')"),  # owner_customer writes: its window opens
               ("service_role", "select id from public.claim_notifications(10)"))),
    "open_deal": Rpc("service_role", dict(p_portfolio_id=W.listing_b, p_customer_id=W.customer), dict(p_portfolio_id=LISTING_ID)),
    "open_followups": Rpc("service_role", dict(p_idle=dt.timedelta(days=7), p_remind_after=dt.timedelta(days=1)), dict(
        p_idle=IDLE, p_remind_after=Row("0 .. 365 days", dt.timedelta(days=366), ("remind_after", "365 days")))),
    "portfolio_cards": Rpc("listing_agent", dict(p_portfolio_ids=[W.listing], p_limit=50, p_offset=0), dict(
        PAGE, p_portfolio_ids=Row("at most 500 ids of at most 20 characters", [f"2026-{i:03d}" for i in range(501)],
                                  ("portfolio_ids", "500")))),
    "process_match_events": Rpc("service_role", dict(p_max=500), dict(
        p_max=Row("1 .. 100000 events per call", 100_001, ("max", "100000")))),
    "reactivate_listing": Rpc("listing_agent", dict(p_portfolio_id=W.listing), dict(p_portfolio_id=LISTING_ID),
        setup=(("listing_agent", f"select 1 from public.deactivate_listing('{W.listing}')"),)),
    "record_consent": Rpc("customer", dict(p_kind="marketing", p_granted=True), dict(
        p_kind=_enum("kind", "transfer, training, marketing"))),
    "release_message": Rpc("service_role", dict(p_message_id="$setup", p_worker="bot-1", p_error="LLM zaman aşımı"), dict(
        p_worker=WORKER, p_error=Row("1-2000 characters, not blank", "x" * 2001, ("error", "2000"))), setup=HELD),
    "reorder_media": Rpc("listing_agent", dict(p_portfolio_id=W.listing, p_media_ids=[W.media]), dict(
        p_portfolio_id=LISTING_ID, p_media_ids=Row("at most 100 ids (a listing holds at most 100 media)",
                                                    [uuid.uuid4() for _ in range(100_000)], ("media_ids", "100")))),
    "reschedule_showing": Rpc("listing_agent", dict(p_showing_id="$setup", p_scheduled_at=NOW + dt.timedelta(days=2),
                                                    p_duration=dt.timedelta(hours=1)), SHOWING_ROWS,
        setup=(("listing_agent", f"select id from public.schedule_showing('{W.deal_b}', now() + interval '5 days')"),)),
    "schedule_showing": Rpc("listing_agent", dict(p_deal_id=W.deal_b, p_scheduled_at=NOW + dt.timedelta(days=3),
                                                  p_duration=dt.timedelta(hours=1)), SHOWING_ROWS),
    "search_portfolios": Rpc("listing_agent", dict(p_query="daire", p_district="Kadıköy", p_type="daire", p_rooms="3+1",
                                                   p_min_price=1_000_000, p_max_price=20_000_000, p_currency="TRY",
                                                   p_listing_type="sale", p_limit=20, p_offset=0), dict(
        PAGE, p_query=Row("at most 200 characters and 20 words", "a" * 201, ("query", "200")), p_district=DISTRICT,
        p_type=_enum("type", "daire, villa, dukkan, arsa"), p_rooms=ROOMS, p_min_price=_amount("min_price"),
        p_max_price=_amount("max_price"), p_currency=_enum("currency", "TRY, USD, EUR, GBP"),
        p_listing_type=_enum("listing_type", "sale, rent"))),
    "set_agent_role": Rpc("admin", dict(p_contact_id=W.lead, p_role="agent", p_office="Moda Emlak"), dict(
        p_role=_enum("role", "agent, broker, admin, owner"), p_office=_text("office", 200))),
    "set_commission_split": Rpc("admin", dict(p_deal_kind="single", p_listing_rate=90, p_buying_rate=0, p_platform_rate=10), dict(
        p_deal_kind=_enum("deal_kind", "single, cross"),
        **{f"p_{k}_rate": Row("a percentage 0 .. 100, two decimals", 101, (f"{k}_rate", "100"))
           for k in ("listing", "buying", "platform")})),
    "set_commission_status": Rpc("admin", dict(p_commission_id=W.commission, p_status="invoiced"), dict(
        p_status=_enum("status", "pending, invoiced, paid"))),
    "set_onboarding_status": Rpc("service_role", dict(p_contact_id=W.lead, p_status="consent_pending"), dict(
        p_status=_enum("onboarding_status", "new, consent_pending, profiling, active, opted_out, blocked"))),
    "stale_deals": Rpc("listing_agent", dict(p_idle=dt.timedelta(days=7)), dict(p_idle=IDLE)),
    "start_closing": Rpc("listing_agent", dict(p_deal_id=W.deal_b, p_closing_price=12_000_000), dict(
        p_closing_price=_amount("closing_price")),
        setup=(("listing_agent", f"select id from public.update_listing('{W.listing_b}', p_commission_rate => 50)"),
               ("owner_customer", f"select id from public.make_offer('{W.deal_b}', 11000000)"),
               ("listing_agent", "select id from public.accept_offer((select id from public.deal_negotiations"
                                 f" where deal_id = '{W.deal_b}' and status = 'pending'))"))),
    "unmet_demand": Rpc("broker", dict(p_since=NOW - dt.timedelta(days=30), p_until=NOW), dict(
        p_since=Row(SINCE), p_until=Row(SINCE))),
    "update_agent_profile": Rpc("listing_agent", dict(p_specialty="Villalar", p_territory="Kadıköy, Üsküdar", p_target_monthly=5), dict(
        p_specialty=_text("specialty", 200), p_territory=_text("territory", 500),
        p_target_monthly=Row("0 .. 1000 closings", 1001, ("target_monthly", "1000")))),
    "update_listing": Rpc("listing_agent", dict({k: v for k, v in LISTING.items() if k not in ("p_type", "p_listing_type", "p_city")},
                                                p_portfolio_id=W.listing, p_listed_price=12_500_000, p_min_price=11_800_000),
                          dict(LISTING_ROWS, p_portfolio_id=LISTING_ID)),
    "update_request_criteria": Rpc("listing_agent", dict(p_request_id=W.request, p_criteria=Jsonb({"districts": ["Kadıköy"]})),
                                   dict(p_criteria=CRITERIA)),
    "update_session_slots": Rpc("service_role", dict(p_session_id="$setup", p_slots=Jsonb({"district": "kadikoy"})), dict(
        p_slots=Row("guard.session_slots: the 7 known slots; the rules of request criteria; a district of at most 100 "
                    "characters", Jsonb({"district": "x" * 101}), ("slots.district", "100"))),
        setup=(("service_role", f"insert into public.sessions (contact_id) values ('{W.customer}') returning id"),)),
    "upsert_contact": Rpc("service_role", dict(p_phone="+905551112233", p_bsuid="wa.5551112233", p_display_name="Deniz Kaya",
                                               p_contact_type="lead"), dict(
        p_phone=PHONE, p_bsuid=Row("1-128 characters without spaces", "x" * 129, ("bsuid", "128")),
        p_display_name=_text("display_name", 200),
        p_contact_type=_enum("contact_type", "lead, customer, property_owner, agent, staff"))),
}

CASES = [(fn, p) for fn, rpc in BOUNDS.items() for p, row in rpc.params.items() if row.over is not None]


@pytest.fixture(scope="module")
def types(module_db_url: str) -> dict[tuple[str, str], str]:
    with psycopg.connect(module_db_url) as c:
        return {(f, p): t for f, p, t in c.execute(IN_SCOPE)}


def test_every_parameter_has_a_row(types):
    table = {(fn, p) for fn, rpc in BOUNDS.items() for p in rpc.params}
    missing = sorted(set(types) - table)
    assert not missing, "public RPC parameters with no bound in tests/test_rpc_bounds.py (and docs/errors.md):\n" + \
        "\n".join(f"{f}.{p} ({types[(f, p)]})" for f, p in missing)
    assert sorted(table - set(types)) == [], "rows naming no public RPC parameter"


def _call(fn: str, args: dict[str, Any], types: dict[tuple[str, str], str]) -> str:
    named = ", ".join(f"{p} => %({p})s" + (f"::{types[(fn, p)]}" if (fn, p) in types else "") for p in args)
    return f"select count(*) from public.{fn}({named})"


def _snapshot(conn: psycopg.Connection) -> dict[str, str]:
    tables = [r[0] for r in conn.execute(
        "select format('%I.%I', schemaname, tablename) from pg_tables where schemaname in ('public', 'private')")]
    return {t: conn.execute(f"select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) from {t} x").fetchone()[0]
            for t in tables}


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(db_url, autocommit=True) as c:
        load(c)
        yield c


@pytest.mark.parametrize(("fn", "param"), CASES, ids=[f"{f}.{p}" for f, p in CASES])
def test_over_the_bound_is_vc001_naming_field_and_limit(conn, types, fn, param):
    rpc, row = BOUNDS[fn], BOUNDS[fn].params[param]
    base = dict(rpc.base)
    for actor, sql in rpc.setup:
        with act(conn, actor):
            value = conn.execute(sql).fetchone()[0]
    if rpc.setup:
        base = {k: (value if v == "$setup" else v) for k, v in base.items()}
    if rpc.base_ok:  # the base call is valid: what the over-bound call meets is the bound
        with act(conn, rpc.actor, rollback=True):
            conn.execute(_call(fn, base, types), base)
    before = _snapshot(conn)
    args = dict(base, **{param: row.over})
    with pytest.raises(psycopg.Error) as e:
        with act(conn, rpc.actor):
            conn.execute(_call(fn, args, types), args)
    message = e.value.diag.message_primary or ""
    assert e.value.diag.sqlstate == "VC001", f"{fn}.{param}: {e.value.diag.sqlstate} {message[:300]}"
    assert all(w in message for w in row.words), f"{fn}.{param}: {message[:300]!r} should name {row.words}"
    assert len(message) < 300, f"{fn}.{param}: the message echoes the value ({len(message)} characters)"
    assert _snapshot(conn) == before


NUMBER_COLUMNS_WITHOUT_UPPER_BOUND = """
select format('%s.%s', c.oid::regclass, a.attname)
from pg_class c
join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
  and a.atttypid in ('bigint'::regtype, 'numeric'::regtype) and a.attgenerated = ''
  and not exists (
    select 1 from pg_constraint k
    where k.conrelid = c.oid and k.contype = 'c' and a.attnum = any (k.conkey)
      and pg_get_constraintdef(k.oid) ~ ('\\m' || quote_ident(a.attname) || '\\M <= ')
  )
order by 1
"""


def test_every_number_column_has_an_upper_bound(db):
    offenders = [r[0] for r in db.execute(NUMBER_COLUMNS_WITHOUT_UPPER_BOUND)]
    assert offenders == [], "bigint/numeric columns without an upper bound:\n" + "\n".join(offenders)


def test_the_number_lint_names_an_unbounded_column(db):
    db.execute("create table public.probe_amount (id int primary key, amount bigint check (amount > 0),"
               " ok numeric check (ok > 0 and ok <= 5))")
    assert [r[0] for r in db.execute(NUMBER_COLUMNS_WITHOUT_UPPER_BOUND)] == ["probe_amount.amount"]
