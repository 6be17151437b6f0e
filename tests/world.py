"""The world: a small fixed scenario for access tests, and a way to act in it as PostgREST does.

API (kept small on purpose; tests/test_access_matrix.py and the adversarial tests import it):

- `load(conn) -> World`: inserts the world as the connection's user (a superuser: triggers run,
  row-level security does not apply) and commits. Every id is a fixed constant, also available as
  attributes of the returned `World` (and of the module-level `WORLD`).
- `act(conn, actor, *, rollback=False)`: context manager; opens a transaction on an idle
  connection and acts as `actor` exactly as PostgREST does: `set local role <role>` and
  `select set_config('request.jwt.claims', <json>, true)`. It yields the connection. `actor` is
  one of `ACTORS` or a contact id (acts as that contact). `rollback=True` undoes everything at the
  end; otherwise the transaction commits (as a PostgREST request does) or rolls back on error.
- `ACTORS`: the 12 actor names of the access matrix; `TARGETS`: per table, the target row and the
  statements the matrix runs for select, insert, update and delete (see below).
- `run(conn, table, action)` runs one of those statements on a connection already acting and
  returns the row count; `outcome(conn, actor, table, action)` acts, runs, rolls back and answers
  `rows`, `none`, `denied` or `error <SQLSTATE>: <message>` (the access matrix's vocabulary).

The actors (ids below):

| actor | who | role / claims |
|---|---|---|
| anon | no token | role anon, `{"role": "anon"}` (no sub) |
| stranger | valid token whose sub is no contact | authenticated |
| customer | a customer who owns nothing in the world's target rows | authenticated |
| owner_customer | the customer who owns the rows (request, deal, session, messages, ...) | authenticated |
| listing_agent | active agent of office "Moda Emlak", lists 2026-001 and 2026-002 | authenticated |
| agent_anonymous | active agent of "Boğaziçi Gayrimenkul", no agent_visibility row on 2026-001 | authenticated |
| agent_partial | same office, a `partial` grant on 2026-001 | authenticated |
| agent_full | same office, a `full` grant on 2026-001 | authenticated |
| broker | active broker of "Moda Emlak" (the listing agent's office) | authenticated |
| admin | agent_profiles role admin | authenticated |
| owner | agent_profiles role owner (platform owner) | authenticated |
| service_role | the bot backend | role service_role, `{"role": "service_role"}` |

Other world rows: `lead` (a contact with no profile and no rows, used by the insert statements),
listing 2026-002 of the listing agent (a shop for rent, no confidential row), and deal B
(2026-002 x owner_customer, negotiating, no offer and no confirmation yet).

Target rows (what `select`, `update` and `delete` aim at, by primary key):

| table | target row |
|---|---|
| contacts | owner_customer's contact |
| agent_profiles | listing_agent's profile |
| agent_visibility | agent_partial's `partial` grant on 2026-001 (granted by listing_agent) |
| portfolios | 2026-001 (listing_agent; Kadıköy 3+1 for sale, 12.500.000 TRY, active) |
| portfolio_confidential | 2026-001's (owner, floor 11.800.000, 2 %) |
| portfolio_media | 2026-001's photo |
| portfolio_history | a non-confidential `update` row of 2026-001 |
| requests | owner_customer's buy request, assigned to listing_agent |
| market_signals | the signal owner_customer's request left |
| portfolio_request_matches | 2026-001 x the request, notified_agent_id = listing_agent |
| deals | deal A: 2026-001 x owner_customer, listing_agent, no buying agent, closing |
| showings | 2026-001 shown to owner_customer by listing_agent (deal A) |
| deal_confirmations | deal A's listing side (listing_agent, unconfirmed) |
| deal_negotiations | owner_customer's accepted offer to listing_agent on deal A |
| platform_commissions | deal A's listing row (listing_agent) |
| sessions | owner_customer's bot session |
| message_log | owner_customer's inbound message in that session |
| interaction_tracker | owner_customer's row |
| pending_notifications | a match notification for owner_customer |
| tasks | listing_agent's follow-up task about owner_customer and 2026-001 |
| documents | the certificate of the showing (agent listing_agent, contact owner_customer) |

The statements (one per table and action; `TARGETS[table]`):

- select: `select 1 from <table> where <pk = target>`: `rows` when the row is seen.
- update: `update <table> set <column> = <column> where <pk = target>`: a column the policy, not a
  trigger, decides about (never `contact_type`, `onboarding_status`, `role`, `office`, `active`, a
  status, or a lower visibility level); set to its own value, so nothing but `updated_at` changes.
- delete: `delete from <table> where <pk = target>`; a foreign key that blocks it (23503) after
  access control let it through counts as `rows`.
- insert: one fixed row per table, "in the world's context", without `returning` (PostgREST's
  default `return=minimal`; `returning` would also need the select policy to pass):
  contacts a new lead; agent_profiles an agent profile for `lead` in Moda Emlak; agent_visibility
  a `partial` grant on 2026-001 for agent_anonymous with `granted_by = auth.uid()` (whoever grants
  records themselves, as the policy requires); portfolios a new listing 2026-003 of listing_agent;
  portfolio_confidential the confidential row of 2026-002; portfolio_media a second photo of
  2026-001; portfolio_history a row for 2026-001; requests a new request of owner_customer assigned
  to listing_agent; market_signals a search signal from owner_customer; portfolio_request_matches
  2026-002 x the request; deals 2026-002 x lead with listing_agent; showings 2026-002 for
  owner_customer in deal B three days ahead; deal_confirmations: nobody (closing creates them);
  deal_negotiations a pending offer from owner_customer to listing_agent on deal B;
  platform_commissions deal A's platform row; sessions a new session of owner_customer;
  message_log a new inbound message from owner_customer; interaction_tracker a row for `lead` (refused: the database
  keeps the tracker, service_role included);
  pending_notifications a new notification for owner_customer; tasks a new call task of
  listing_agent; documents a contract of deal A (listing_agent, owner_customer).
"""
from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg


def _id(n: int) -> str:
    # Fixed ids in their own range (the demo seed uses ...-8000-..., the world ...-9000-...).
    return f"00000000-0000-4000-9000-{n:012d}"


# ------------------------------------------------------------------------------------ actors
ACTORS: tuple[str, ...] = (
    "anon", "stranger", "customer", "owner_customer", "listing_agent", "agent_anonymous",
    "agent_partial", "agent_full", "broker", "admin", "owner", "service_role",
)

MODA = "Moda Emlak"
BOGAZICI = "Boğaziçi Gayrimenkul"


@dataclass(frozen=True)
class World:
    """Fixed ids of the world (contacts are also the actors' JWT subjects)."""

    # contacts (stranger is a valid token's sub that is no contact)
    stranger: str = _id(99)
    customer: str = _id(1)
    owner_customer: str = _id(2)
    lead: str = _id(3)
    listing_agent: str = _id(11)
    broker: str = _id(12)
    agent_anonymous: str = _id(21)
    agent_partial: str = _id(22)
    agent_full: str = _id(23)
    admin: str = _id(31)
    owner: str = _id(32)
    # listings
    listing: str = "2026-001"         # the target listing (listing_agent)
    listing_b: str = "2026-002"       # second listing of listing_agent, no confidential row
    # rows
    grant_partial: str = _id(41)      # agent_visibility: agent_partial, partial (target)
    grant_full: str = _id(42)         # agent_visibility: agent_full, full
    history: str = _id(51)
    media: str = _id(52)
    request: str = _id(61)
    signal: str = _id(62)
    match: str = _id(63)
    deal: str = _id(71)               # deal A (target)
    deal_b: str = _id(72)
    showing: str = _id(73)
    confirmation: str = _id(74)
    negotiation: str = _id(75)
    commission: str = _id(76)
    session: str = _id(81)
    message: str = _id(82)
    notification: str = _id(83)
    task: str = _id(91)
    document: str = _id(92)
    new_contact: str = _id(100)       # what the contacts insert creates

    def subject(self, actor: str) -> str | None:
        """The JWT sub of an actor (None for anon and service_role)."""
        if actor in ("anon", "service_role"):
            return None
        if actor not in ACTORS:
            raise ValueError(f"unknown actor {actor!r}; one of {', '.join(ACTORS)}")
        return getattr(self, actor)


WORLD = World()


# ------------------------------------------------------------------------------------ acting
@contextlib.contextmanager
def act(conn: psycopg.Connection, actor: str, *, rollback: bool = False) -> Iterator[psycopg.Connection]:
    """Open a transaction and act as `actor` (an ACTORS name or a contact id) as PostgREST does.

    The connection must be idle (not inside a transaction): `set local` lasts until the end of the
    outermost transaction, so acting inside someone else's transaction would leak the role.
    """
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        raise RuntimeError("act() needs an idle connection (it opens the transaction itself)")
    if actor == "anon":
        role, claims = "anon", {"role": "anon"}
    elif actor == "service_role":
        role, claims = "service_role", {"role": "service_role"}
    else:
        sub = WORLD.subject(actor) if actor in ACTORS else str(actor)
        role, claims = "authenticated", {"sub": sub, "role": "authenticated"}
    with conn.transaction(force_rollback=rollback):
        conn.execute(f"set local role {role}")
        conn.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(claims),))
        yield conn


# ------------------------------------------------------------------------------------ loading
_W = WORLD
_LOAD_SQL = f"""
insert into public.contacts (id, phone, contact_type, display_name, onboarding_status,
                             consent_transfer, consent_training, consent_marketing) values
  ('{_W.customer}',        '+905559000001', 'customer', 'Ahmet Yıldız',  'active', true, false, false),
  ('{_W.owner_customer}',  '+905559000002', 'customer', 'Zehra Polat',   'active', true, false, true),
  ('{_W.lead}',            '+905559000003', 'lead',     'Okan Er',       'new',    false, false, false),
  ('{_W.listing_agent}',   '+905559000011', 'agent',    'Ayşe Yılmaz',   'active', true, false, true),
  ('{_W.broker}',          '+905559000012', 'agent',    'Kemal Aydın',   'active', true, false, true),
  ('{_W.agent_anonymous}', '+905559000021', 'agent',    'Can Demir',     'active', true, false, true),
  ('{_W.agent_partial}',   '+905559000022', 'agent',    'Zeynep Arslan', 'active', true, false, true),
  ('{_W.agent_full}',      '+905559000023', 'agent',    'Burak Çelik',   'active', true, false, true),
  ('{_W.admin}',           '+905559000031', 'staff',    'Deniz Aksoy',   'active', true, false, false),
  ('{_W.owner}',           '+905559000032', 'staff',    'Orhan Kurt',    'active', true, false, false);

insert into public.agent_profiles (contact_id, role, office, specialty, territory, target_monthly, active) values
  ('{_W.listing_agent}',   'agent',  '{MODA}',     'Konut', 'Kadıköy, Üsküdar', 3, true),
  ('{_W.broker}',          'broker', '{MODA}',     'Konut', 'Kadıköy',          4, true),
  ('{_W.agent_anonymous}', 'agent',  '{BOGAZICI}', 'Konut', 'Beşiktaş',         2, true),
  ('{_W.agent_partial}',   'agent',  '{BOGAZICI}', 'Konut', 'Şişli',            2, true),
  ('{_W.agent_full}',      'agent',  '{BOGAZICI}', 'Konut', 'Sarıyer',          2, true),
  ('{_W.admin}',           'admin',  null,         null,    null,               null, true),
  ('{_W.owner}',           'owner',  null,         null,    null,               null, true);

insert into public.portfolios (id, agent_id, type, listing_type, title, description, district, rooms,
                               listed_price, currency, status) values
  ('{_W.listing}', '{_W.listing_agent}', 'daire', 'sale', 'Moda''da deniz manzaralı 3+1',
   'Moda sahiline 5 dakika, 140 m², asansörlü.', 'Kadıköy', '3+1', 12500000, 'TRY', 'active'),
  ('{_W.listing_b}', '{_W.listing_agent}', 'dukkan', 'rent', 'Bahariye''de köşe dükkan',
   'Yüksek yaya trafiği, 60 m².', 'Kadıköy', null, 40000, 'TRY', 'active');

insert into public.portfolio_confidential (portfolio_id, owner_name, owner_phone, min_price, commission_rate, private_notes)
  values ('{_W.listing}', 'Hasan Kaya', '+905301110001', 11800000, 2.00, 'Mal sahibi acele satmak istiyor.');

insert into public.portfolio_media (id, portfolio_id, media_type, storage_path, sort_order, uploaded_by)
  values ('{_W.media}', '{_W.listing}', 'photo', 'portfolios/2026-001/salon.jpg', 0, '{_W.listing_agent}');

insert into public.portfolio_history (id, portfolio_id, event_type, old_value, new_value, changed_by, is_confidential)
  values ('{_W.history}', '{_W.listing}', 'update', '{{"title": "Moda''da 3+1"}}',
          '{{"title": "Moda''da deniz manzaralı 3+1"}}', '{_W.listing_agent}', false);

insert into public.agent_visibility (id, portfolio_id, agent_id, visibility_level, granted_by) values
  ('{_W.grant_partial}', '{_W.listing}', '{_W.agent_partial}', 'partial', '{_W.listing_agent}'),
  ('{_W.grant_full}',    '{_W.listing}', '{_W.agent_full}',    'full',    '{_W.listing_agent}');

insert into public.sessions (id, contact_id, status, last_message_at, intent, district, property_type, rooms,
                             max_price, language, qualifying_completeness)
  values ('{_W.session}', '{_W.owner_customer}', 'extracted', now() - interval '3 days', 'buy', 'Kadıköy',
          'daire', '3+1', 13000000, 'tr', 1.00);

-- (interaction_tracker is the database's: each contact has its row, and this message sets its last_inbound)
insert into public.message_log (id, from_contact, direction, message_type, content, wa_message_id, session_id,
                                processed_at, created_at)
  values ('{_W.message}', '{_W.owner_customer}', 'inbound', 'text', 'Kadıköy''de 3+1 satılık daire arıyorum.',
          'wamid.world.0001', '{_W.session}', now() - interval '3 days', now() - interval '3 days');

insert into public.requests (id, customer_id, assigned_agent, request_type, criteria, status, source_session_id)
  values ('{_W.request}', '{_W.owner_customer}', '{_W.listing_agent}', 'buy',
          '{{"districts": ["Kadıköy"], "types": ["daire"], "rooms": ["3+1"], "max_price": 13000000, "currency": "TRY"}}',
          'assigned', '{_W.session}');

-- The lead is the listing agent's customer too (its own request), so the listing side may open a deal with it.
insert into public.requests (customer_id, assigned_agent, request_type, criteria, status)
  values ('{_W.lead}', '{_W.listing_agent}', 'rent', '{{"districts": ["Kadıköy"], "currency": "TRY"}}', 'assigned');

-- The matcher, as a worker runs it after commit: the listings and requests above are matched now.
select public.process_match_events(100000);

insert into public.market_signals (id, source_type, source_id, query_raw, parsed_criteria, match_count)
  values ('{_W.signal}', 'request', '{_W.owner_customer}', 'Kadıköy''de 3+1 satılık daire',
          '{{"districts": ["Kadıköy"], "types": ["daire"], "rooms": ["3+1"], "max_price": 13000000, "currency": "TRY"}}', 1);

insert into public.portfolio_request_matches (id, portfolio_id, request_id, match_score, trigger_type, notified, notified_agent_id)
  values ('{_W.match}', '{_W.listing}', '{_W.request}', 5, 'request', true, '{_W.listing_agent}')
  on conflict (portfolio_id, request_id) do update
    set id = excluded.id, notified = true, notified_agent_id = excluded.notified_agent_id;

-- Deals start matched and move only through the status machine (the triggers set prices and confirmations).
insert into public.deals (id, portfolio_id, customer_id, listing_agent_id, buying_agent_id, match_id, request_id,
                          created_by) values
  ('{_W.deal}', '{_W.listing}', '{_W.owner_customer}', '{_W.listing_agent}', null, '{_W.match}', '{_W.request}',
   '{_W.listing_agent}'),
  ('{_W.deal_b}', '{_W.listing_b}', '{_W.owner_customer}', '{_W.listing_agent}', null, null, null,
   '{_W.listing_agent}');

insert into public.showings (id, request_id, portfolio_id, agent_id, customer_id, deal_id, scheduled_at, ends_at,
                             status)
  values ('{_W.showing}', '{_W.request}', '{_W.listing}', '{_W.listing_agent}', '{_W.owner_customer}', '{_W.deal}',
          now() + interval '1 day', now() + interval '1 day 1 hour', 'scheduled');
update public.deals set status = 'showing' where status = 'matched';
update public.deals set status = 'negotiating' where id = '{_W.deal_b}';

insert into public.deal_negotiations (id, deal_id, from_contact_id, to_contact_id, amount)
  values ('{_W.negotiation}', '{_W.deal}', '{_W.owner_customer}', '{_W.listing_agent}', 12200000);
update public.deal_negotiations set status = 'accepted' where id = '{_W.negotiation}';
update public.deals set status = 'closing' where id = '{_W.deal}';

insert into public.deal_confirmations (id, deal_id, agent_id, role, confirmed)
  values ('{_W.confirmation}', '{_W.deal}', '{_W.listing_agent}', 'listing', false)
  on conflict (deal_id, role) do update set id = excluded.id;

insert into public.platform_commissions (id, deal_id, contact_id, role, rate, amount, status)
  values ('{_W.commission}', '{_W.deal}', '{_W.listing_agent}', 'listing', 50.00, 122000, 'pending');

insert into public.pending_notifications (id, contact_id, kind, body)
  values ('{_W.notification}', '{_W.owner_customer}', 'match', 'Aradığınız kriterlere uyan yeni bir ilan var: 2026-001.');

insert into public.tasks (id, agent_id, task_type, title, related_contact, related_portfolio, due_at)
  values ('{_W.task}', '{_W.listing_agent}', 'followup', 'Zehra Hanım''ı ara: teklif', '{_W.owner_customer}',
          '{_W.listing}', now() + interval '2 days');

insert into public.documents (id, type, contact_id, portfolio_id, agent_id, showing_id, template_data)
  values ('{_W.document}', 'certificate', '{_W.owner_customer}', '{_W.listing}', '{_W.listing_agent}', '{_W.showing}',
          '{{"listing": "2026-001", "customer": "Zehra Polat", "agent": "Ayşe Yılmaz"}}');
"""


def load(conn: psycopg.Connection) -> World:
    """Insert the world (as the connection's user, a superuser) and commit; return its ids."""
    with conn.transaction():
        conn.execute(_LOAD_SQL.encode())  # bytes: one simple-protocol call with many statements
    return WORLD


# ------------------------------------------------------------------------------------ targets
@dataclass(frozen=True)
class Target:
    """One table's target row and the statements the access matrix runs on it."""

    table: str
    where: str    # the target row's primary key condition
    column: str   # updated to its own value
    insert: str   # the one insert statement (no returning)

    @property
    def select(self) -> str:
        return f"select 1 from public.{self.table} where {self.where}"

    @property
    def update(self) -> str:
        return f"update public.{self.table} set {self.column} = {self.column} where {self.where}"

    @property
    def delete(self) -> str:
        return f"delete from public.{self.table} where {self.where}"

    def statement(self, action: str) -> str:
        if action not in ("select", "insert", "update", "delete"):
            raise ValueError(f"unknown action {action!r}")
        return getattr(self, action)


def _t(table: str, where: str, column: str, insert: str) -> Target:
    return Target(table, where, column, " ".join(insert.split()))


TARGETS: dict[str, Target] = {t.table: t for t in (
    _t("contacts", f"id = '{_W.owner_customer}'", "display_name", f"""
       insert into public.contacts (id, phone, contact_type, display_name)
       values ('{_W.new_contact}', '+905559000100', 'lead', 'Yeni Kişi')"""),
    _t("agent_profiles", f"contact_id = '{_W.listing_agent}'", "specialty", f"""
       insert into public.agent_profiles (contact_id, role, office, specialty)
       values ('{_W.lead}', 'agent', '{MODA}', 'Konut')"""),
    _t("agent_visibility", f"id = '{_W.grant_partial}'", "visibility_level", f"""
       insert into public.agent_visibility (portfolio_id, agent_id, visibility_level, granted_by)
       values ('{_W.listing}', '{_W.agent_anonymous}', 'partial', (select auth.uid()))"""),
    _t("portfolios", f"id = '{_W.listing}'", "title", f"""
       insert into public.portfolios (agent_id, type, listing_type, title, district, rooms, listed_price, currency)
       values ('{_W.listing_agent}', 'daire', 'rent', 'Yeldeğirmeni''nde 2+1', 'Kadıköy',
               '2+1', 35000, 'TRY')"""),
    _t("portfolio_confidential", f"portfolio_id = '{_W.listing}'", "private_notes", f"""
       insert into public.portfolio_confidential (portfolio_id, owner_name, owner_phone, min_price, commission_rate)
       values ('{_W.listing_b}', 'Nur Ateş', '+905301110006', 38000, 100.00)"""),
    _t("portfolio_media", f"id = '{_W.media}'", "storage_path", f"""
       insert into public.portfolio_media (portfolio_id, media_type, storage_path, sort_order, uploaded_by)
       values ('{_W.listing}', 'photo', 'portfolios/2026-001/manzara.jpg', 1, '{_W.listing_agent}')"""),
    _t("portfolio_history", f"id = '{_W.history}'", "new_value", f"""
       insert into public.portfolio_history (portfolio_id, event_type, new_value, changed_by)
       values ('{_W.listing}', 'update', '{{"listed_price": 1}}', '{_W.listing_agent}')"""),
    _t("requests", f"id = '{_W.request}'", "source_session_id", f"""
       insert into public.requests (customer_id, assigned_agent, request_type, criteria, status)
       values ('{_W.owner_customer}', '{_W.listing_agent}', 'rent',
               '{{"districts": ["Kadıköy"], "types": ["daire"], "max_price": 40000, "currency": "TRY"}}', 'assigned')"""),
    _t("market_signals", f"id = '{_W.signal}'", "match_count", f"""
       insert into public.market_signals (source_type, source_id, query_raw, match_count)
       values ('search', '{_W.owner_customer}', 'moda kiralık 2+1', 0)"""),
    _t("portfolio_request_matches", f"id = '{_W.match}'", "match_score", f"""
       insert into public.portfolio_request_matches (portfolio_id, request_id, match_score, trigger_type)
       values ('{_W.listing_b}', '{_W.request}', 1, 'portfolio')"""),
    _t("deals", f"id = '{_W.deal}'", "cancel_reason", f"""
       insert into public.deals (portfolio_id, customer_id, listing_agent_id, created_by)
       values ('{_W.listing_b}', '{_W.lead}', '{_W.listing_agent}', '{_W.listing_agent}')"""),
    _t("showings", f"id = '{_W.showing}'", "request_id", f"""
       insert into public.showings (request_id, portfolio_id, agent_id, customer_id, deal_id, scheduled_at, ends_at)
       values ('{_W.request}', '{_W.listing_b}', '{_W.listing_agent}', '{_W.owner_customer}', '{_W.deal_b}',
               now() + interval '3 days', now() + interval '3 days 1 hour')"""),
    _t("deal_confirmations", f"id = '{_W.confirmation}'", "reminder_sent", f"""
       insert into public.deal_confirmations (deal_id, agent_id, role)
       values ('{_W.deal_b}', '{_W.listing_agent}', 'listing')"""),
    _t("deal_negotiations", f"id = '{_W.negotiation}'", "amount", f"""
       insert into public.deal_negotiations (deal_id, from_contact_id, to_contact_id, amount)
       values ('{_W.deal_b}', '{_W.owner_customer}', '{_W.listing_agent}', 38000)"""),
    _t("platform_commissions", f"id = '{_W.commission}'", "rate", f"""
       insert into public.platform_commissions (deal_id, contact_id, role, rate, amount)
       values ('{_W.deal}', null, 'platform', 10.00, 24400)"""),
    _t("sessions", f"id = '{_W.session}'", "language", f"""
       insert into public.sessions (contact_id, intent, district)
       values ('{_W.owner_customer}', 'rent', 'Kadıköy')"""),
    _t("message_log", f"id = '{_W.message}'", "claimed_by", f"""
       insert into public.message_log (from_contact, direction, content, wa_message_id, session_id)
       values ('{_W.owner_customer}', 'inbound', 'Kiralık da bakarım.', 'wamid.world.0002', '{_W.session}')"""),
    _t("interaction_tracker", f"contact_id = '{_W.owner_customer}'", "phone_expires_at", f"""
       insert into public.interaction_tracker (contact_id, last_inbound)
       values ('{_W.lead}', now())"""),
    _t("pending_notifications", f"id = '{_W.notification}'", "body", f"""
       insert into public.pending_notifications (contact_id, kind, body)
       values ('{_W.owner_customer}', 'match', 'Yeni bir eşleşme var.')"""),
    _t("tasks", f"id = '{_W.task}'", "title", f"""
       insert into public.tasks (agent_id, task_type, title, related_contact)
       values ('{_W.listing_agent}', 'call', 'Zehra Hanım''ı ara', '{_W.owner_customer}')"""),
    _t("documents", f"id = '{_W.document}'", "file_url", f"""
       insert into public.documents (type, contact_id, portfolio_id, agent_id, deal_id, template_data)
       values ('contract', '{_W.owner_customer}', '{_W.listing}', '{_W.listing_agent}', '{_W.deal}',
               '{{"price": 12200000}}')"""),
)}


def run(conn: psycopg.Connection, table: str, action: str) -> int:
    """Run the matrix statement of table/action on `conn` (already acting); return the row count."""
    cur = conn.execute(TARGETS[table].statement(action).encode())
    if action == "select":
        return len(cur.fetchall())
    return cur.rowcount


def outcome(conn: psycopg.Connection, actor: str, table: str, action: str) -> str:
    """What actor observes for table/action: 'rows', 'none', 'denied', or 'error SQLSTATE: message'.

    Runs in its own transaction, always rolled back; the connection must be idle.
    """
    try:
        with act(conn, actor, rollback=True):
            n = run(conn, table, action)
    except psycopg.Error as e:
        state = e.sqlstate or "?"
        if state == "42501":
            return "denied"
        if state == "23503" and action == "delete":  # access control let it through; a foreign key did not
            return "rows"
        return f"error {state}: {e.diag.message_primary or e}"
    return "rows" if n >= 1 else "none"

