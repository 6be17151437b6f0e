"""Adversarial tests: another agent tries to learn what it must not, by every path
the API exposes, and fails.

The secrets (docs/access.md, DOMAIN.md "agent_visibility" and "portfolio_confidential"):

- always, at every level: the confidential row (owner name and phone, floor price `min_price`,
  `commission_rate`, private notes), and the listing's history (confidential rows included, whose
  old/new values hold the floor);
- at anonymous visibility also the exact listed price, title, description, media, and the listing
  agent's identity (name, phone, contact id); at partial also the agent's phone.

The attackers: agents of the other office (Boğaziçi) at anonymous, partial and full visibility of
2026-001, one holding an explicit `anonymous` grant row (which must tell it nothing, not even who
granted it), the broker of the other office, an agent of the listing's own office who is not a broker,
an inactive agent holding a full grant (no agent rights), a customer, a valid token naming no contact,
and anon. Each path is tried by each attacker; every returned value and every error's text, detail,
hint and context is searched for every secret value (distinctive values: floor 11.800.000, owner
phone +905301110001, notes "GIZLI-NOT …"). The paths:

direct select of every relation of `public` (portfolios, portfolio_confidential, portfolio_media,
portfolio_history and the rest); counts and `exists` with predicates on hidden columns; errors raised
by predicates on hidden columns (division by zero, casts: a side channel if row-level security let
the attacker's predicate run first); ordering by hidden columns (raw tables; cards always in id order,
never by price); `portfolio_cards` (every field at the attacker's level; a field above the level is
NULL); writes (insert/update/delete of confidential, media, history and grant rows, and
`grant_visibility`): each must fail or touch nothing, and its error must be the same whether the
listing and its confidential row exist or not; every RPC of `public` (and, not exposed but reachable
from SQL, of `private`) called with the listing's ids; planner statistics (`pg_stats`); and
relationships the attacker can forge (a deal or showing naming a contact it knows) to widen what
row-level security lets it read.

Positive controls run the same probes as the listing agent, the broker of its office and an admin,
and must find the secrets, so that no test can pass because a probe or the search is broken.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import psycopg
import pytest

from tests.world import BOGAZICI, MODA, WORLD as W, act, load

# ----------------------------------------------------------------------------------- the scenario
def _id(n: int) -> str:
    return f"00000000-0000-4000-9e00-{n:012d}"  # this module's own range (the world uses ...-9000-...)


OTHER_BROKER = _id(1)          # broker of Boğaziçi, the other office
SAME_OFFICE_AGENT = _id(2)     # agent (not broker) of Moda Emlak, the listing's office
INACTIVE_AGENT = _id(3)        # Boğaziçi agent, inactive, holding a full grant on 2026-001
OWNER_CONTACT = _id(4)         # the property owner of 2026-001 is also a contact (WhatsApp)
ANON_GRANTEE = _id(5)          # Boğaziçi agent holding an explicit `anonymous` grant on 2026-001 from its agent
LISTING = W.listing            # 2026-001, the world's listing: confidential row, media, history
NO_CONF = W.listing_b          # 2026-002: active, no confidential row
LISTING_4 = "2026-004"         # active, confidential row, media
LISTING_5 = "2026-005"         # active, no confidential row
INACTIVE = "2026-006"          # inactive, confidential row
MISSING = "2026-999"           # no such listing
LA_PHONE = "+905559000011"     # the listing agent's phone (world)

# What this module adds to the world (as the superuser: triggers run, row-level security does not).
# Prices chosen so that the id order (001, 002, 004, 005) is not the price order.
EXTRA_SQL = f"""
update public.portfolio_confidential
  set commission_rate = 3.47,
      private_notes = 'GIZLI-NOT: mal sahibi acele satmak istiyor, pazarlik payi var'
  where portfolio_id = '{LISTING}';

-- active only with the KVKK transfer consent (functions/consent.sql)
insert into public.contacts (id, phone, contact_type, display_name, onboarding_status, consent_transfer) values
  ('{OTHER_BROKER}',      '+905559000024', 'agent',          'Selin Koç',   'active', true),
  ('{SAME_OFFICE_AGENT}', '+905559000013', 'agent',          'Mert Şahin',  'active', true),
  ('{INACTIVE_AGENT}',    '+905559000025', 'agent',          'Eski Ajan',   'active', true),
  ('{OWNER_CONTACT}',     '+905301110001', 'property_owner', 'Hasan Kaya',  'active', true),
  ('{ANON_GRANTEE}',      '+905559000026', 'agent',          'Tuna Er',     'active', true);
insert into public.agent_profiles (contact_id, role, office, active) values
  ('{OTHER_BROKER}',      'broker', '{BOGAZICI}', true),
  ('{ANON_GRANTEE}',      'agent',  '{BOGAZICI}', true),
  ('{SAME_OFFICE_AGENT}', 'agent',  '{MODA}',     true),
  ('{INACTIVE_AGENT}',    'agent',  '{BOGAZICI}', false);
-- grant_visibility accepts the level anonymous: a row that says what no row says, with granted_by
insert into public.agent_visibility (portfolio_id, agent_id, visibility_level, granted_by) values
  ('{LISTING}', '{INACTIVE_AGENT}', 'full', '{W.listing_agent}'),
  ('{LISTING}', '{ANON_GRANTEE}', 'anonymous', '{W.listing_agent}');

insert into public.portfolios (id, agent_id, type, listing_type, title, description, district, rooms,
                               listed_price, currency, status) values
  ('{LISTING_4}', '{W.listing_agent}', 'villa', 'sale', 'Bebek qqtitle4qq yali', 'qqdesc4qq bogaz', 'Beşiktaş',
   '5+1', 27450000, 'TRY', 'active'),
  ('{LISTING_5}', '{W.listing_agent}', 'daire', 'sale', 'Uskudar qqtitle5qq', 'qqdesc5qq', 'Üsküdar',
   '2+1', 3410000, 'TRY', 'active'),
  ('{INACTIVE}', '{W.listing_agent}', 'daire', 'sale', 'Kadikoy qqtitle6qq', 'qqdesc6qq', 'Kadıköy',
   '1+1', 5230000, 'TRY', 'inactive');
insert into public.portfolio_confidential (portfolio_id, owner_name, owner_phone, min_price, commission_rate,
                                           private_notes) values
  ('{LISTING_4}', 'Leyla qqowner4qq', '+905301110004', 26100000, 3.83, 'GIZLI-NOT-4 qqnote4qq'),
  ('{INACTIVE}', 'Veli qqowner6qq', '+905301110006', 5010000, 2.91, 'GIZLI-NOT-6 qqnote6qq');
insert into public.portfolio_media (portfolio_id, media_type, storage_path, sort_order, uploaded_by)
  values ('{LISTING_4}', 'photo', 'portfolios/{LISTING_4}/qqmedia4qq.jpg', 0, '{W.listing_agent}');

-- History of 2026-001 as the triggers write it: a public change, and confidential ones (is_confidential)
-- whose old/new values hold the floor, the notes and the owner.
insert into public.portfolio_history (portfolio_id, event_type, old_value, new_value, changed_by, is_confidential) values
  ('{LISTING}', 'update', '{{"title": "Eski qqoldtitleqq", "listed_price": 13250000}}',
   '{{"title": "Moda''da deniz manzaralı 3+1", "listed_price": 12500000}}', '{W.listing_agent}', false),
  ('{LISTING}', 'create', null,
   '{{"owner_name": "Hasan Kaya", "owner_phone": "+905301110001", "min_price": 11950000, "commission_rate": 3.47}}',
   '{W.listing_agent}', true),
  ('{LISTING}', 'update', '{{"min_price": 11950000}}', '{{"min_price": 11800000}}', '{W.listing_agent}', true),
  ('{LISTING}', 'update', '{{"private_notes": "GIZLI-NOT eski"}}',
   '{{"private_notes": "GIZLI-NOT: mal sahibi acele satmak istiyor, pazarlik payi var"}}', '{W.listing_agent}', true),
  ('{INACTIVE}', 'update', '{{"min_price": 5100000}}', '{{"min_price": 5010000}}', '{W.listing_agent}', true);

analyze;
"""

# Secrets: label -> needles (matched case-insensitively in every value and error text).
CONFIDENTIAL = {
    "owner name": ["Hasan Kaya", "qqowner4qq", "qqowner6qq"],
    "owner phone": ["+905301110001", "5301110001", "5301110004", "5301110006"],
    "floor price": ["11800000", "11.800.000", "11,800,000", "11950000", "26100000", "5010000", "5100000"],
    "commission rate": ["3.47", "3,47", "3.83", "2.91"],
    "private notes": ["GIZLI-NOT", "pazarlik payi", "qqnote4qq", "qqnote6qq"],
}
HISTORY = {"history": ["qqoldtitleqq", "13250000"]}
# Listings the attackers hold no grant on (2026-002, 004, 005 active; 006 inactive): anonymous for all.
UNGRANTED = {
    "listed price (ungranted)": ["27450000", "3410000", "5230000"],
    "title (ungranted)": ["qqtitle4qq", "qqtitle5qq", "qqtitle6qq", "Bahariye"],
    "description (ungranted)": ["qqdesc4qq", "qqdesc5qq", "qqdesc6qq", "yaya trafi"],
    "media (ungranted)": ["qqmedia4qq"],
}
# 2026-001's fields above the anonymous level.
ABOVE_ANONYMOUS = {
    "listed price": ["12500000", "12.500.000", "12,500,000"],
    "title": ["deniz manzaral"],
    "description": ["sahiline"],
    "media": ["salon.jpg"],
    "agent name": ["Ayşe Yılmaz"],
    "agent id": [W.listing_agent],
}
ABOVE_PARTIAL = {"agent phone": [LA_PHONE, LA_PHONE[3:]]}


@dataclass(frozen=True)
class Attacker:
    name: str
    actor: str                 # a tests.world actor name or a contact id
    level: str | None          # visibility of 2026-001: anonymous, partial, full; None = no agent rights
    uid: str | None = None     # the contact id (None for anon)
    knows: tuple[str, ...] = ()  # secret labels it legitimately learned before (see INACTIVE_AGENT)

    @property
    def gets_cards(self) -> bool:
        return self.level is not None

    def secrets(self) -> dict[str, list[str]]:
        s = {**CONFIDENTIAL, **HISTORY, **UNGRANTED}
        if self.level in (None, "anonymous"):
            s.update(ABOVE_ANONYMOUS)
        if self.level in (None, "anonymous", "partial"):
            s.update(ABOVE_PARTIAL)
        return {k: v for k, v in s.items() if k not in self.knows}


ATTACKERS = [
    Attacker("other_agent_anonymous", "agent_anonymous", "anonymous", W.agent_anonymous),
    Attacker("other_agent_partial", "agent_partial", "partial", W.agent_partial),
    Attacker("other_agent_full", "agent_full", "full", W.agent_full),
    Attacker("other_office_broker", OTHER_BROKER, "anonymous", OTHER_BROKER),
    Attacker("same_office_agent", SAME_OFFICE_AGENT, "anonymous", SAME_OFFICE_AGENT),
    Attacker("other_agent_explicit_anonymous_grant", ANON_GRANTEE, "anonymous", ANON_GRANTEE),
    # Its own (full) grant row names the listing agent who granted it: that id it knew while active.
    Attacker("inactive_agent_with_full_grant", INACTIVE_AGENT, None, INACTIVE_AGENT, knows=("agent id",)),
    Attacker("customer", "customer", None, W.customer),
    Attacker("stranger", "stranger", None, W.stranger),
    Attacker("anon", "anon", None, None),
]
AGENT_ATTACKERS = [a for a in ATTACKERS if a.gets_cards]
# Who may see everything of 2026-001 (positive controls).
CONTROLS = ["listing_agent", "broker", "admin"]


def _attackers(attackers: list[Attacker] = ATTACKERS):
    return pytest.mark.parametrize("attacker", attackers, ids=[a.name for a in attackers])


# ------------------------------------------------------------------------------------ the database
@pytest.fixture(scope="module")
def adv_db(module_db_url: str) -> Iterator[psycopg.Connection]:
    """The module's copy of the migrated template: the world plus EXTRA_SQL; autocommit. Every probe runs
    in a transaction that is rolled back, so tests do not disturb each other."""
    with psycopg.connect(module_db_url, autocommit=True) as conn:
        load(conn)
        conn.execute(EXTRA_SQL.encode())
        yield conn


@pytest.fixture
def conn(adv_db: psycopg.Connection) -> psycopg.Connection:
    # a test that failed inside act() leaves nothing behind (act rolls back), but be sure
    if adv_db.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        adv_db.rollback()
    return adv_db


# ----------------------------------------------------------------------------- probing and search
@dataclass
class Outcome:
    """What one statement showed its caller: rows, affected row count, or an error."""

    label: str
    rows: list[tuple] = field(default_factory=list)
    rowcount: int = -1
    error: psycopg.Error | None = None
    typed: str = ""  # what the caller itself sent (statement and parameters): echoing it back is no leak

    @property
    def sqlstate(self) -> str | None:
        return self.error.sqlstate if self.error else None

    def error_parts(self) -> tuple[str | None, ...]:
        if not self.error:
            return ()
        d = self.error.diag
        return (self.error.sqlstate, d.message_primary, d.message_detail, d.message_hint, d.context,
                d.schema_name, d.table_name, d.column_name, d.constraint_name, str(self.error))

    def texts(self) -> list[str]:
        out = [_text(v) for row in self.rows for v in row]
        out += [p for p in self.error_parts() if p]
        return [t for t in out if t]


def _text(v) -> str:
    if v is None or isinstance(v, (dt.datetime, dt.date, dt.time, dt.timedelta)):
        return ""  # timestamps hold no secret and their digits would match numbers by accident
    if isinstance(v, (dict, list, tuple)):
        return json.dumps(v, ensure_ascii=False, default=str)
    if isinstance(v, Decimal):
        return format(v, "f")
    return str(v)


def attempt(c: psycopg.Connection, label: str, sql: str, params=None, *, keep: bool = False) -> Outcome:
    """Run one statement in a savepoint (rolled back unless keep) and record what it showed."""
    typed = sql + " " + json.dumps(params, ensure_ascii=False, default=str)
    try:
        with c.transaction(force_rollback=not keep):
            cur = c.execute(sql.encode() if params is None else sql, params)
            rows = cur.fetchall() if cur.description else []
            return Outcome(label, rows, cur.rowcount, typed=typed)
    except psycopg.Error as e:
        return Outcome(label, error=e, typed=typed)


def find_secrets(outcomes: list[Outcome], secrets: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(secret label, report line) for every secret found in what the outcomes showed, with the text
    around it. A needle the caller typed itself (in the statement or its parameters) does not count."""
    found = []
    for o in outcomes:
        typed = o.typed.casefold()
        for text in o.texts():
            low = text.casefold()
            for what, needles in secrets.items():
                for needle in needles:
                    n = needle.casefold()
                    i = low.find(n)
                    if i >= 0 and n not in typed:
                        snippet = text[max(0, i - 60):i + len(needle) + 60].replace("\n", " ")
                        found.append((what, f"{what} ({needle!r}) via {o.label}: …{snippet}…"))
                        break
    return found


def leaks(outcomes: list[Outcome], secrets: dict[str, list[str]]) -> list[str]:
    return [line for _, line in find_secrets(outcomes, secrets)]


def assert_no_leak(attacker: Attacker, outcomes: list[Outcome]) -> None:
    found = leaks(outcomes, attacker.secrets())
    if found:
        pytest.fail(f"{attacker.name} (visibility {attacker.level or 'no agent rights'}) learned "
                    f"{len(found)} secret(s):\n  " + "\n  ".join(found), pytrace=False)


def assert_found(actor: str, outcomes: list[Outcome], labels: list[str], secrets=None) -> None:
    """Positive control: the same probe, by someone entitled, does reveal these secrets."""
    secrets = secrets or {**CONFIDENTIAL, **HISTORY, **ABOVE_ANONYMOUS, **ABOVE_PARTIAL, **UNGRANTED}
    seen = {what for what, _ in find_secrets(outcomes, {k: secrets[k] for k in labels})}
    missing = [label for label in labels if label not in seen]
    errors = [f"{o.label}: {o.sqlstate} {o.error.diag.message_primary}" for o in outcomes if o.error]
    assert not missing, (f"positive control: {actor} should see {missing} through this probe but does not "
                         f"(the probe or the search is broken); errors: {errors}")


def public_relations(c: psycopg.Connection) -> list[str]:
    return [r[0] for r in c.execute("""
        select format('%I.%I', n.nspname, c.relname)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'f')
        order by 1""")]


# ========================================================================================== paths
# ------------------------------------------------------------------------------- direct select
def probe_direct_select(c: psycopg.Connection, relations: list[str]) -> list[Outcome]:
    out = [attempt(c, f"select * from {r}", f"select * from {r}") for r in relations]
    for table in ("portfolios", "portfolio_confidential", "portfolio_media", "portfolio_history"):
        key = "id" if table == "portfolios" else "portfolio_id"
        out.append(attempt(c, f"select * from {table} where {key} = 2026-001",
                           f"select * from public.{table} where {key} = %s", (LISTING,)))
    out.append(attempt(c, "select confidential history", "select * from public.portfolio_history where is_confidential"))
    return out


@_attackers()
def test_direct_select_reveals_nothing(conn, attacker: Attacker) -> None:
    relations = public_relations(conn)
    assert "public.portfolio_confidential" in relations and len(relations) >= 21
    with act(conn, attacker.actor, rollback=True):
        outcomes = probe_direct_select(conn, relations)
        # Other agents never read listing rows at all, nor rows hanging off them.
        listing_rows = {}
        for table in ("portfolios", "portfolio_confidential", "portfolio_media", "portfolio_history"):
            key = "id" if table == "portfolios" else "portfolio_id"
            o = attempt(conn, table, f"select {key} from public.{table} where {key} like '2026-%'")
            listing_rows[table] = sorted({r[0] for r in o.rows})
    assert_no_leak(attacker, outcomes)
    visible = {t: ids for t, ids in listing_rows.items() if ids}
    assert not visible, f"{attacker.name} reads rows of the listing agent's listings: {visible}"


@pytest.mark.parametrize("control", CONTROLS)
def test_direct_select_positive_control(conn, control: str) -> None:
    with act(conn, control, rollback=True):
        outcomes = probe_direct_select(conn, public_relations(conn))
    assert_found(control, outcomes, ["owner name", "owner phone", "floor price", "commission rate",
                                     "private notes", "history", "listed price", "title", "agent phone"])
    confidential_history = [o for o in outcomes if o.label == "select confidential history"][0]
    assert len([r for r in confidential_history.rows if LISTING in r]) >= 3, \
        f"{control} should read 2026-001's confidential history rows"


# ---------------------------------------------------------------------------------------- counts
# (label, statement, true for 2026-001's data): a count that differs between a true and a false
# predicate on a hidden value is an oracle for it.
COUNTS = [
    ("confidential rows", "select count(*) from public.portfolio_confidential", True),
    ("floor = 11800000", "select count(*) from public.portfolio_confidential where min_price = 11800000", True),
    ("floor = 11800001", "select count(*) from public.portfolio_confidential where min_price = 11800001", False),
    ("floor < 12000000", "select count(*) from public.portfolio_confidential where min_price < 12000000", True),
    ("owner phone", "select count(*) from public.portfolio_confidential where owner_phone = '+905301110001'", True),
    ("commission", "select count(*) from public.portfolio_confidential where commission_rate = 3.47", True),
    ("notes like", "select count(*) from public.portfolio_confidential where private_notes like 'GIZLI%'", True),
    ("exists confidential row", "select count(*) from public.portfolio_confidential where portfolio_id = '2026-001'", True),
    ("price = 12500000", "select count(*) from public.portfolios where listed_price = 12500000", True),
    ("price between", "select count(*) from public.portfolios where listed_price between 12000000 and 13000000", True),
    ("listing rows", "select count(*) from public.portfolios where agent_id = '" + W.listing_agent + "'", True),
    ("media rows", "select count(*) from public.portfolio_media where portfolio_id = '2026-001'", True),
    ("history rows", "select count(*) from public.portfolio_history where portfolio_id = '2026-001'", True),
    ("confidential history", "select count(*) from public.portfolio_history where is_confidential", True),
    ("history floor", "select count(*) from public.portfolio_history where new_value ->> 'min_price' = '11800000'", True),
    ("history floor range", "select count(*) from public.portfolio_history "
                            "where (new_value ->> 'min_price')::bigint < 12000000", True),
]


@_attackers()
def test_counts_reveal_nothing(conn, attacker: Attacker) -> None:
    with act(conn, attacker.actor, rollback=True):
        outcomes = [attempt(conn, label, sql) for label, sql, _ in COUNTS]
    nonzero = [f"{o.label}: {o.rows[0][0]}" for o in outcomes if o.rows and o.rows[0][0]]
    assert not nonzero, f"{attacker.name} counts hidden rows (an oracle on hidden values): {nonzero}"
    assert_no_leak(attacker, outcomes)


def test_counts_positive_control(conn) -> None:
    with act(conn, "listing_agent", rollback=True):
        got = {label: attempt(conn, label, sql) for label, sql, _ in COUNTS}
    wrong = [f"{label}: {got[label].rows or got[label].sqlstate}" for label, _, truth in COUNTS
             if not got[label].rows or bool(got[label].rows[0][0]) != truth]
    assert not wrong, f"the listing agent's counts do not follow its data, so the probe proves nothing: {wrong}"


# ------------------------------------------------------------------ errors from hidden-column predicates
# Row-level security must filter before the attacker's own (non-leakproof) predicate runs; otherwise the
# predicate's error on a hidden row is an oracle (division by zero) or prints the value (a failed cast).
SIDE_CHANNELS = [
    ("floor division", "select 1 from public.portfolio_confidential where 1 / (min_price - 11800000) = 1"),
    ("owner name cast", "select 1 from public.portfolio_confidential where owner_name::integer = 1"),
    ("notes cast", "select 1 from public.portfolio_confidential where private_notes::integer = 1"),
    ("owner phone cast", "select 1 from public.portfolio_confidential where owner_phone::date is null"),
    ("commission division", "select 1 from public.portfolio_confidential where 1 / (commission_rate - 3.47) = 1"),
    ("price division", "select 1 from public.portfolios where 1 / (listed_price - 12500000) = 1"),
    ("title cast", "select 1 from public.portfolios where title::integer = 1"),
    ("agent cast", "select 1 from public.portfolios where agent_id::text::integer = 1"),
    ("media cast", "select 1 from public.portfolio_media where storage_path::integer = 1"),
    ("history cast", "select 1 from public.portfolio_history where new_value::text::integer = 1"),
    ("history old cast", "select 1 from public.portfolio_history where old_value::text::integer = 1"),
    ("history floor division", "select 1 from public.portfolio_history "
                               "where 1 / ((new_value ->> 'min_price')::bigint - 11800000) = 1"),
]
# Tables where attackers legitimately see some rows (their own contact, their own grants): an error there
# may come from a visible row, so only what the error says is checked, not that it happened.
SIDE_CHANNELS_ON_VISIBLE = [
    ("visibility cast", "select 1 from public.agent_visibility where granted_by::text::integer = 1"),
    ("contact cast", "select 1 from public.contacts where phone::integer = 1 or display_name::integer = 1"),
]


@_attackers()
def test_hidden_column_predicates_raise_nothing(conn, attacker: Attacker) -> None:
    with act(conn, attacker.actor, rollback=True):
        outcomes = [attempt(conn, label, sql) for label, sql in SIDE_CHANNELS]
        visible = [attempt(conn, label, sql) for label, sql in SIDE_CHANNELS_ON_VISIBLE]
    assert_no_leak(attacker, outcomes + visible)
    oracles = [f"{o.label}: {o.sqlstate} {o.error.diag.message_primary}" for o in outcomes
               if o.error and o.sqlstate != "42501"]  # 42501: no privilege at all, the same for every row
    assert not oracles, (f"{attacker.name}'s predicate on a hidden column ran on hidden rows (its error is an "
                         f"oracle): {oracles}")


def test_hidden_column_predicates_positive_control(conn) -> None:
    with act(conn, "listing_agent", rollback=True):
        outcomes = {label: attempt(conn, label, sql) for label, sql in SIDE_CHANNELS}
    assert outcomes["floor division"].sqlstate == "22012"
    assert outcomes["price division"].sqlstate == "22012"
    assert_found("listing_agent", list(outcomes.values()), ["owner name", "private notes", "title"])


# ------------------------------------------------------------------------------------ ordering
RAW_ORDERINGS = [
    ("portfolios by price", "select id from public.portfolios order by listed_price, id"),
    ("portfolios by price desc", "select id from public.portfolios order by listed_price desc limit 1"),
    ("confidential by floor", "select portfolio_id from public.portfolio_confidential order by min_price"),
    ("confidential by commission", "select portfolio_id from public.portfolio_confidential order by commission_rate desc"),
    ("media by path", "select portfolio_id from public.portfolio_media order by storage_path"),
    ("history by floor", "select portfolio_id from public.portfolio_history order by new_value ->> 'min_price'"),
]


def _natural(ids: list[str]) -> list[str]:
    """Newest first by the id alone (YYYY-NNN: year, length, text), the cards' order (functions/search.sql)."""
    return sorted(ids, key=lambda i: (i[:4], len(i), i), reverse=True)


@_attackers()
def test_ordering_by_hidden_column_reveals_nothing(conn, attacker: Attacker) -> None:
    with act(conn, attacker.actor, rollback=True):
        raw = [attempt(conn, label, sql) for label, sql in RAW_ORDERINGS]
        cards = attempt(conn, "portfolio_cards()", "select id from public.portfolio_cards(null, 500, 0)")
        pages = [attempt(conn, f"portfolio_cards page {k}", "select id from public.portfolio_cards(null, 1, %s)", (k,))
                 for k in range(6)]
        asked = attempt(conn, "portfolio_cards(ids by price)", "select id from public.portfolio_cards(%s, 500, 0)",
                        ([LISTING_4, LISTING, INACTIVE, LISTING_5, NO_CONF],))
    shown = [f"{o.label}: {[r[0] for r in o.rows]}" for o in raw if o.rows]
    assert not shown, f"{attacker.name} orders listing rows by a hidden column: {shown}"
    assert_no_leak(attacker, raw + [cards, asked] + pages)
    if not attacker.gets_cards:
        assert not cards.rows and not asked.rows, f"{attacker.name} has no agent rights but gets cards"
        return
    ids = [r[0] for r in cards.rows]
    assert ids, f"{attacker.name} gets no cards at all: {cards.sqlstate}"
    assert ids == _natural(ids), f"cards are not in id order (a hidden column decides it): {ids}"
    assert [r[0] for p in pages for r in p.rows] == ids[:6], "paging does not follow the id order"
    assert [r[0] for r in asked.rows] == _natural([r[0] for r in asked.rows]), \
        "cards follow the order of the ids asked for, or of a hidden column, not the id order"


def test_ordering_positive_control(conn) -> None:
    # The data makes the two orders differ, so an ordering by price would be caught.
    ids = [LISTING, NO_CONF, LISTING_4, LISTING_5]
    by_price = [r[0] for r in conn.execute(
        "select id from public.portfolios where id = any(%s) order by listed_price", (ids,))]
    assert by_price != _natural(ids)
    with act(conn, "listing_agent", rollback=True):
        raw = [attempt(conn, label, sql) for label, sql in RAW_ORDERINGS]
    assert all(o.rows for o in raw), [f"{o.label}: {o.sqlstate}" for o in raw if not o.rows]


# --------------------------------------------------------------------------------- portfolio_cards
CARD_FIELDS = ("id", "type", "listing_type", "city", "district", "rooms", "currency", "status", "price_band_min",
               "price_band_max", "listed_price", "title", "description", "media", "agent_name", "agent_phone")
HIDDEN_AT = {
    "anonymous": ("listed_price", "title", "description", "media", "agent_name", "agent_phone"),
    "partial": ("agent_phone",),
    "full": (),
}


def _cards(c: psycopg.Connection, label: str, *args) -> Outcome:
    sql = "select * from public.portfolio_cards(" + ", ".join(["%s"] * len(args)) + ")"
    return attempt(c, label, sql, args or None)


@_attackers()
def test_cards_reveal_nothing_above_the_level(conn, attacker: Attacker) -> None:
    with act(conn, attacker.actor, rollback=True):
        outcomes = [
            _cards(conn, "portfolio_cards()"),
            _cards(conn, "portfolio_cards(all ids)", [LISTING, NO_CONF, LISTING_4, LISTING_5, INACTIVE, MISSING], 500, 0),
            _cards(conn, "portfolio_cards(2026-001)", [LISTING]),
            _cards(conn, "portfolio_cards(inactive)", [INACTIVE]),
            _cards(conn, "portfolio_cards(null ids, offset)", None, 500, 1),
        ]
        try:
            with conn.transaction(force_rollback=True):
                cur = conn.execute("select * from public.portfolio_cards(%s)", ([LISTING],))
                cards = [dict(zip([d.name for d in cur.description], r)) for r in cur.fetchall()]
        except psycopg.Error:
            cards = []
    assert_no_leak(attacker, outcomes)
    if not attacker.gets_cards:
        got = [o.label for o in outcomes if o.rows]
        assert not got, f"{attacker.name} has no agent rights but gets cards from {got}"
        return
    assert len(cards) == 1, f"{attacker.name} gets no card of active listing 2026-001: {outcomes[2].sqlstate}"
    card = cards[0]
    assert set(CARD_FIELDS) <= set(card), f"card fields: {sorted(card)}"
    shown = [f for f in HIDDEN_AT[attacker.level] if card[f] not in (None, [], "")]
    assert not shown, f"{attacker.name} at {attacker.level} sees {shown} on the card: { {f: card[f] for f in shown} }"
    assert (card["price_band_min"], card["price_band_max"]) == (10_000_000, 15_000_000)
    if attacker.level in ("partial", "full"):
        assert card["listed_price"] == 12_500_000 and card["agent_name"] == "Ayşe Yılmaz", card
    if attacker.level == "full":
        assert card["agent_phone"] == LA_PHONE, card
    inactive = [o for o in outcomes if o.label == "portfolio_cards(inactive)"][0]
    assert not inactive.rows, f"{attacker.name} gets a card of an inactive listing it holds no grant for"


def test_cards_positive_control(conn) -> None:
    with act(conn, "listing_agent", rollback=True):
        outcomes = [_cards(conn, "portfolio_cards()")]
    assert_found("listing_agent", outcomes, ["listed price", "title", "media", "agent name", "agent phone",
                                             "listed price (ungranted)"])


# ----------------------------------------------------------------------------- writes and errors
WRITE_IDS = [LISTING, NO_CONF, INACTIVE, MISSING]  # confidential row / none / inactive with one / no listing


def _write_probes(uid: str | None) -> list[tuple[str, str, tuple]]:
    """(label, statement with %(id)s, expectation) for one listing id; expectation 'error' or 'zero'."""
    me = f"'{uid}'" if uid else "null"
    return [
        ("insert confidential (floor 1)", "insert into public.portfolio_confidential (portfolio_id, min_price) "
                                          "values (%(id)s, 1)", "error"),
        ("insert confidential (floor above price)", "insert into public.portfolio_confidential (portfolio_id, "
         "owner_name, min_price, commission_rate) values (%(id)s, 'X', 99999999999, 99)", "error"),
        ("upsert confidential", "insert into public.portfolio_confidential (portfolio_id, min_price) values (%(id)s, 1) "
                                "on conflict (portfolio_id) do update set min_price = excluded.min_price returning *",
         "error"),
        ("update confidential", "update public.portfolio_confidential set min_price = min_price where portfolio_id = %(id)s",
         "zero"),
        ("update confidential returning", "update public.portfolio_confidential set private_notes = private_notes "
                                          "where portfolio_id = %(id)s returning *", "zero"),
        ("update confidential by floor", "update public.portfolio_confidential set owner_name = owner_name "
                                         "where portfolio_id = %(id)s and min_price = 11800000", "zero"),
        ("delete confidential", "delete from public.portfolio_confidential where portfolio_id = %(id)s returning *",
         "zero"),
        ("update listing price", "update public.portfolios set listed_price = 1 where id = %(id)s returning *", "zero"),
        ("update listing price below floor", "update public.portfolios set listed_price = listed_price - 1 "
                                             "where id = %(id)s", "zero"),
        ("delete listing", "delete from public.portfolios where id = %(id)s", "zero"),
        ("insert media", "insert into public.portfolio_media (portfolio_id, media_type, storage_path, sort_order) "
                         "values (%(id)s, 'photo', 'x.jpg', 0)", "error"),
        ("update media", "update public.portfolio_media set storage_path = storage_path where portfolio_id = %(id)s "
                         "returning *", "zero"),
        ("insert history", "insert into public.portfolio_history (portfolio_id, event_type, is_confidential) "
                           "values (%(id)s, 'update', true)", "error"),
        ("update history", "update public.portfolio_history set is_confidential = false where portfolio_id = %(id)s "
                           "returning *", "zero_or_error"),
        ("delete history", "delete from public.portfolio_history where portfolio_id = %(id)s returning *",
         "zero_or_error"),
        ("insert grant for myself", "insert into public.agent_visibility (portfolio_id, agent_id, visibility_level, "
                                    f"granted_by) values (%(id)s, {me}, 'full', {me})", "error"),
        ("raise my grant", "update public.agent_visibility set visibility_level = 'full' "
                           f"where portfolio_id = %(id)s and agent_id = {me} returning *", "zero"),
        ("grant_visibility to myself", f"select * from public.grant_visibility(%(id)s, {me}, 'full', null)", "error"),
        ("grant_visibility to the listing agent", "select * from public.grant_visibility(%(id)s, "
                                                  f"'{W.listing_agent}', 'partial', null)", "error"),
        ("grant_visibility to another agent", "select * from public.grant_visibility(%(id)s, "
                                              f"'{W.agent_anonymous}', 'full', null)", "error"),
    ]


def _shape(o: Outcome, listing_id: str) -> tuple:
    """What an outcome says, with the listing id asked about blanked out."""
    def blank(s):
        return s.replace(listing_id, "<id>") if isinstance(s, str) else s
    if o.error:
        d = o.error.diag
        return ("error", o.sqlstate, blank(d.message_primary), blank(d.message_detail), blank(d.message_hint))
    return ("ok", len(o.rows), o.rowcount)


@_attackers()
def test_writes_touch_nothing_and_their_errors_reveal_nothing(conn, attacker: Attacker) -> None:
    outcomes: dict[tuple[str, str], Outcome] = {}
    with act(conn, attacker.actor, rollback=True):
        for label, sql, _ in _write_probes(attacker.uid):
            for listing_id in WRITE_IDS:
                outcomes[label, listing_id] = attempt(conn, f"{label} [{listing_id}]", sql, {"id": listing_id})
    assert_no_leak(attacker, list(outcomes.values()))
    problems = []
    for label, _, expect in _write_probes(attacker.uid):
        shapes = {listing_id: _shape(outcomes[label, listing_id], listing_id) for listing_id in WRITE_IDS}
        if len(set(shapes.values())) > 1:
            problems.append(f"{label}: the answer depends on whether the listing / its confidential row exists: "
                            f"{shapes}")
        for listing_id in WRITE_IDS:
            o = outcomes[label, listing_id]
            if expect == "error" and not o.error:
                problems.append(f"{label} [{listing_id}] succeeded ({o.rowcount} row(s)): {o.rows}")
            if expect in ("zero", "zero_or_error") and not o.error and (o.rowcount > 0 or o.rows):
                problems.append(f"{label} [{listing_id}] changed {o.rowcount} row(s): {o.rows}")
    assert not problems, f"{attacker.name}:\n  " + "\n  ".join(problems)


def test_writes_positive_control(conn) -> None:
    """The listing agent's own writes do reach the rows, so a 0-row answer above means 'not yours'."""
    with act(conn, "listing_agent", rollback=True):
        upd = attempt(conn, "update confidential", "update public.portfolio_confidential set min_price = min_price "
                      "where portfolio_id = %s returning *", (LISTING,))
        floor = attempt(conn, "floor above price", "update public.portfolio_confidential set min_price = 99999999999 "
                        "where portfolio_id = %s", (LISTING,))
    assert upd.rowcount == 1
    assert_found("listing_agent", [upd], ["owner phone", "floor price", "private notes"])
    assert floor.error is not None, "the floor check (min_price <= listed_price) did not fire for the listing agent"


# ----------------------------------------------------------------------------------------- RPCs
TYPE_SAMPLES = {
    "integer": 1, "bigint": 1, "smallint": 1, "numeric": 1, "boolean": True, "jsonb": "{}", "json": "{}",
    "text[]": [LISTING, LISTING_4, INACTIVE], "uuid[]": [W.listing_agent, OWNER_CONTACT],
    "timestamp with time zone": "2026-06-01T10:00:00+03:00", "date": "2026-06-01",
}


def _sample(name: str, typ: str, uuid_value: str | None):
    n = name.lower()
    if typ == "uuid":
        return uuid_value
    if typ in ("integer", "bigint", "smallint"):
        return 500 if "limit" in n else 0 if "offset" in n else 1
    if typ == "text":
        for key, value in (("level", "full"), ("phone", "+905301110001"), ("bsuid", "bsuid-probe"),
                           ("kind", "transfer"), ("status", "active"), ("role", "admin"), ("office", MODA),
                           ("contact_type", "property_owner"), ("name", "Probe"), ("type", "daire")):
            if key in n:
                return value
        return LISTING
    return TYPE_SAMPLES.get(typ)


def rpc_calls(c: psycopg.Connection, schema: str, uid: str | None) -> list[tuple[str, str, list]]:
    """(label, statement, params): every function of `schema` that authenticated may execute (not trigger
    functions), called with the listing's ids, with each contact id the attacker might aim at."""
    funcs = c.execute("""
        select p.oid::regprocedure::text, p.proname, p.pronargs,
               coalesce(p.proargnames, '{}'), coalesce(p.proargmodes::text[], '{}'),
               array(select format_type(t, null) from unnest(p.proargtypes::oid[]) t)
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = %s and p.prokind = 'f' and p.prorettype <> 'trigger'::regtype
          and has_function_privilege('authenticated', p.oid, 'EXECUTE')
          and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid
                          and d.deptype = 'e')
        order by 1""", (schema,)).fetchall()
    calls = []
    for sig, name, nargs, argnames, argmodes, argtypes in funcs:
        in_names = [nm for nm, md in zip(argnames, argmodes or ["i"] * len(argnames)) if md in ("i", "b", "v")]
        in_names = (in_names + [f"arg{i}" for i in range(nargs)])[:nargs]
        for target in dict.fromkeys([W.listing_agent, OWNER_CONTACT, uid]):
            params = [_sample(nm, typ, target) for nm, typ in zip(in_names, argtypes)]
            casts = ", ".join(f"%s::{typ}" for typ in argtypes)
            calls.append((f"{sig} with {target}", f"select * from {schema}.{name}({casts})", params))
    return calls


@_attackers()
def test_rpcs_reveal_nothing(conn, attacker: Attacker) -> None:
    calls = rpc_calls(conn, "public", attacker.uid)
    assert any("portfolio_cards" in label for label, *_ in calls) and any("grant_visibility" in label for label, *_ in calls)
    with act(conn, attacker.actor, rollback=True):
        outcomes = [attempt(conn, label, sql, params) for label, sql, params in calls]
    assert_no_leak(attacker, outcomes)


def test_rpcs_positive_control(conn) -> None:
    with act(conn, "listing_agent", rollback=True):
        outcomes = [attempt(conn, label, sql, params) for label, sql, params in rpc_calls(conn, "public", W.listing_agent)]
    assert_found("listing_agent", outcomes, ["listed price", "agent phone"])


@_attackers([a for a in ATTACKERS if a.uid])
def test_private_helpers_reveal_nothing(conn, attacker: Attacker) -> None:
    """Not exposed by the API, but authenticated may call them from SQL (policies need them): they must not
    hand out what the policies protect either."""
    calls = rpc_calls(conn, "private", attacker.uid)
    with act(conn, attacker.actor, rollback=True):
        outcomes = [attempt(conn, label, sql, params) for label, sql, params in calls]
    assert_no_leak(attacker, outcomes)


# ---------------------------------------------------------------------------------- statistics
STATS = """select tablename, attname, most_common_vals::text, histogram_bounds::text, most_common_elems::text
           from pg_stats where schemaname = 'public'"""


@_attackers()
def test_statistics_reveal_nothing(conn, attacker: Attacker) -> None:
    with act(conn, attacker.actor, rollback=True):
        outcomes = [attempt(conn, "pg_stats", STATS),
                    attempt(conn, "pg_stats_ext", "select * from pg_stats_ext where schemaname = 'public'")]
    assert_no_leak(attacker, outcomes)


def test_statistics_positive_control(conn) -> None:
    outcomes = [attempt(conn, "pg_stats as the superuser", STATS)]
    assert_found("postgres", outcomes, ["floor price", "owner phone"])


# ------------------------------------------------------------------------------ forged relationships
def _known_contact_ids(c: psycopg.Connection, uid: str) -> list[str]:
    """Every contact id the attacker can read anywhere (a grant's granted_by, a deal's agents, …)."""
    ids: set[str] = set()
    for sql in ("select granted_by, agent_id from public.agent_visibility",
                "select customer_id, listing_agent_id, buying_agent_id from public.deals",
                "select customer_id, agent_id, buying_agent_id from public.showings",
                "select customer_id, assigned_agent from public.requests",
                "select notified_agent_id from public.portfolio_request_matches",
                "select id from public.contacts"):
        o = attempt(c, sql, sql)
        ids.update(str(v) for r in o.rows for v in r if v)
    ids.discard(uid)
    return sorted(ids)


@_attackers(AGENT_ATTACKERS)
def test_forged_relationships_reveal_nothing(conn, attacker: Attacker) -> None:
    """An agent may open deals and schedule showings for itself. Naming a contact it knows of in one must
    not widen what it reads: not the listing agent's phone (below full), not the owner's data."""
    outcomes: list[Outcome] = []
    with act(conn, attacker.actor, rollback=True):
        known = _known_contact_ids(conn, attacker.uid)
        for n, other in enumerate(known):
            outcomes.append(attempt(conn, f"forge a deal naming {other} as listing agent", """
                insert into public.deals (portfolio_id, customer_id, listing_agent_id, buying_agent_id, created_by)
                values (%s, %s, %s, %s, %s) returning *""",
                (LISTING, attacker.uid, other, attacker.uid, attacker.uid), keep=True))
            outcomes.append(attempt(conn, f"forge a deal naming {other} as customer", """
                insert into public.deals (portfolio_id, customer_id, listing_agent_id, buying_agent_id, created_by)
                values (%s, %s, %s, %s, %s) returning *""",
                ([NO_CONF, LISTING_4, LISTING_5][n % 3], other, attacker.uid, attacker.uid, attacker.uid), keep=True))
            outcomes.append(attempt(conn, f"forge a showing naming {other} as customer", """
                insert into public.showings (portfolio_id, agent_id, customer_id, buying_agent_id, scheduled_at)
                values (%s, %s, %s, %s, now() + interval '1 day') returning *""",
                (LISTING, attacker.uid, other, attacker.uid), keep=True))
            outcomes.append(attempt(conn, f"forge a showing naming {other} as the listing's agent", """
                insert into public.showings (portfolio_id, agent_id, customer_id, buying_agent_id, scheduled_at)
                values (%s, %s, %s, %s, now() + interval '3 days') returning *""",
                (LISTING, other, attacker.uid, attacker.uid), keep=True))
        # Without knowing anyone: deals and showings of its own on each listing, as the buying agent and as
        # if it were the listing's agent (the database fills in the listing side: what it adds, e.g. the
        # listing's agent, must not come back to an agent below partial).
        for listing_id in (LISTING, NO_CONF, LISTING_4, INACTIVE):
            for side, listing_agent in (("buying side", None), ("claiming the listing side", attacker.uid)):
                outcomes.append(attempt(conn, f"open a deal of my own on {listing_id} ({side})", """
                    insert into public.deals (portfolio_id, customer_id, listing_agent_id, buying_agent_id, created_by)
                    values (%s, %s, %s, %s, %s) returning *""",
                    (listing_id, attacker.uid, listing_agent, attacker.uid, attacker.uid)))
                outcomes.append(attempt(conn, f"schedule a showing of my own on {listing_id} ({side})", """
                    insert into public.showings (portfolio_id, agent_id, customer_id, buying_agent_id, scheduled_at)
                    values (%s, %s, %s, %s, now() + interval '2 days') returning *""",
                    (listing_id, listing_agent, attacker.uid, attacker.uid)))
        after = probe_direct_select(conn, public_relations(conn))
        after += [attempt(conn, "portfolio_cards() after forging", "select * from public.portfolio_cards()")]
    found = leaks(outcomes + after, attacker.secrets())
    forged = [o.label for o in outcomes if not o.error]
    assert not found, (f"{attacker.name} (visibility {attacker.level}) knew contact ids {known}, forged "
                       f"{forged}, and then learned:\n  " + "\n  ".join(found))
