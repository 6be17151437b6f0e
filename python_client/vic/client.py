"""`VicClient`: one typed method per RPC function of schema `public`, over any `Transport`.

Each method has the function's name and takes keyword arguments named like the SQL parameters
without their `p_` prefix. An argument left as None is not sent, so the SQL default applies (the
functions document what a missing argument means). Rules, authority and validation live in SQL;
a refused call raises the `vic.errors` class of its SQLSTATE (AccessDenied, InvalidInput, …).

    with VicClient.connect(url, acting_as=contact_id) as vic:
        me = vic.whoami()
        cards = vic.portfolio_cards(limit=10)

    with VicClient.from_config() as vic:  # VIC_SUPABASE_URL + VIC_SUPABASE_KEY, or VIC_DATABASE_URL
        me = vic.whoami()

`tests/test_rpc_surface.py` checks that the methods and the functions of the migrated database
match one to one, names, parameters and defaults included.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from vic.errors import InvalidInput, NotFound
from vic.transport import PsycopgTransport, SupabaseTransport, Transport, jwt_claims, key_role

Row = dict[str, Any]
Id = str | uuid.UUID


class VicClient:
    """The VIC RPC surface as Python methods; the transport decides who is acting."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    @classmethod
    def connect(
        cls, url: str, *, acting_as: Id | None = None, service_role: bool = False, anon: bool = False
    ) -> VicClient:
        """A client over PostgreSQL at `url` (psycopg), acting as the contact `acting_as`, as
        `service_role`, as `anon` (nobody), or (none of them) as the URL's own user, e.g. the dashboard
        admin `postgres`."""
        return cls(PsycopgTransport(url, acting_as=acting_as, service_role=service_role, anon=anon))

    @classmethod
    def from_config(
        cls,
        *,
        database_url: str | None = None,
        supabase_url: str | None = None,
        supabase_key: str | None = None,
        access_token: str | None = None,
        acting_as: Id | None = None,
        service_role: bool = False,
        anon: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> VicClient:
        """A client over the transport the configuration names; each argument left None is read from
        the environment (`env`, default os.environ):

        - `supabase_url` + `supabase_key` (VIC_SUPABASE_URL, VIC_SUPABASE_KEY), with `access_token`
          (VIC_SUPABASE_ACCESS_TOKEN) for a signed-in user: the Supabase API (`SupabaseTransport`);
        - else `database_url` (VIC_DATABASE_URL): PostgreSQL directly (`PsycopgTransport`).

        A `database_url` given as an argument wins over Supabase settings from the environment.
        Who acts: through PostgreSQL, exactly as `connect` (`acting_as`, `service_role`, `anon`, or the
        URL's own user). Through Supabase the credentials decide, and the flags must agree with them:
        `acting_as` needs the contact's access token (its `sub`), `service_role` the service_role key,
        `anon` the anon key; no flag acts as the token's user, or as the key's role without a token.
        An access token from the environment is left out for `service_role` and `anon`."""
        env = os.environ if env is None else env
        if sum((acting_as is not None, service_role, anon)) > 1:
            raise InvalidInput("act as one of: a contact (acting_as), service_role or anon, not several")
        explicit_token = access_token
        supabase_given = supabase_url is not None or supabase_key is not None
        if database_url is not None and supabase_given:
            raise InvalidInput("give a database URL or a Supabase URL and key, not both")
        if database_url is None:
            supabase_url = supabase_url if supabase_url is not None else env.get("VIC_SUPABASE_URL") or None
            supabase_key = supabase_key if supabase_key is not None else env.get("VIC_SUPABASE_KEY") or None
            if supabase_url or supabase_key:
                if not supabase_url:
                    raise InvalidInput("VIC_SUPABASE_KEY is set but VIC_SUPABASE_URL is not: give the project URL")
                if not supabase_key:
                    raise InvalidInput("VIC_SUPABASE_URL is set but VIC_SUPABASE_KEY is not: give the anon or "
                                       "service_role key")
                if access_token is None:
                    access_token = env.get("VIC_SUPABASE_ACCESS_TOKEN") or None
                return cls(SupabaseTransport(supabase_url, supabase_key, _supabase_token(
                    supabase_key, access_token, explicit_token is not None, acting_as, service_role, anon)))
            database_url = env.get("VIC_DATABASE_URL") or None
        if database_url is None:
            raise InvalidInput("no database to talk to: set VIC_DATABASE_URL (PostgreSQL), or VIC_SUPABASE_URL and "
                               "VIC_SUPABASE_KEY (the Supabase API)")
        if explicit_token is not None:
            raise InvalidInput("an access token is for the Supabase API; with a database URL act as a contact "
                               "with acting_as")
        return cls.connect(database_url, acting_as=acting_as, service_role=service_role, anon=anon)

    def close(self) -> None:
        """Close the transport's connection."""
        self.transport.close()

    def __enter__(self) -> VicClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------- plumbing
    def _rows(self, function: str, **args: Any) -> list[Row]:
        """Call `function`, sending each non-None argument as `p_<name>`."""
        return self.transport.call(function, {f"p_{k}": v for k, v in args.items() if v is not None})

    def _row_with(self, function: str, always: Mapping[str, Any], **args: Any) -> Row:
        """`_row`, sending the `always` arguments (already named `p_…`) even when None."""
        rows = self.transport.call(function, {**{f"p_{k}": v for k, v in args.items() if v is not None}, **always})
        if not rows:
            raise NotFound(f"{function} returned no row")
        return rows[0]

    def _row(self, function: str, **args: Any) -> Row:
        """Call a function that returns one row; no row at all is NotFound."""
        rows = self._rows(function, **args)
        if not rows:
            raise NotFound(f"{function} returned no row")
        return rows[0]

    # ------------------------------------------------------------------------------- identity
    def whoami(self) -> Row:
        """Who is acting: `contact_id` (auth.uid()), `authority` (owner, admin, broker, agent or
        customer for a contact; None for a token naming no contact; "service_role" for the bot;
        "database" for the connection's own user) and the agent's `office`."""
        return self._row("whoami")

    def upsert_contact(
        self,
        *,
        phone: str | None = None,
        bsuid: str | None = None,
        display_name: str | None = None,
        contact_type: str | None = None,
    ) -> Row:
        """Find the contact with this E.164 `phone` or WhatsApp `bsuid` (at least one), or create it
        (`contact_type` lead unless given). A found contact gains a phone or bsuid it lacked, and takes
        the `display_name` and `contact_type` given. Admins, owners and the bot only; a phone and a
        bsuid of two different contacts is a Conflict. Returns the contacts row."""
        return self._row(
            "upsert_contact", phone=phone, bsuid=bsuid, display_name=display_name, contact_type=contact_type
        )

    def record_consent(
        self, *, kind: str, granted: bool, contact_id: Id | None = None, message_id: Id | None = None
    ) -> Row:
        """Grant or withdraw a consent (`kind`: transfer, training or marketing) of the acting contact,
        or of `contact_id` for staff and the bot, optionally from the contact's inbound WhatsApp message
        `message_id` (InvalidInput when it is not one); its `consent_<kind>_at` is stamped and the change
        kept in the consent history. Withdrawing transfer opts an active contact out (onboarding_status
        opted_out, marketing withdrawn); an opted-out contact granting marketing is an InvalidTransition.
        Returns the contacts row."""
        return self._row("record_consent", kind=kind, granted=granted, contact_id=contact_id, message_id=message_id)

    def consent_history(self, *, contact_id: Id | None = None) -> list[Row]:
        """Every consent the acting contact (or `contact_id`, for staff and the bot) granted or withdrew,
        oldest first: `consent`, `granted`, `changed_at`, `changed_by` (the acting contact, None for the
        bot or the dashboard), `actor_role`, `message_id`, `onboarding_status` after the change. Anyone
        else gets AccessDenied, whether the contact exists or not."""
        return self._rows("consent_history", contact_id=contact_id)

    def set_onboarding_status(self, *, contact_id: Id, status: str) -> Row:
        """Move a contact through onboarding (new → consent_pending → profiling → active; any →
        opted_out or blocked; opted_out → consent_pending); other moves raise InvalidTransition, and so
        does active without the transfer consent. opted_out withdraws marketing consent. The bot, admins
        and owners. Returns the contacts row."""
        return self._row("set_onboarding_status", contact_id=contact_id, status=status)

    def change_contact_phone(self, *, contact_id: Id, phone: str) -> Row:
        """Move a contact to a new E.164 `phone` (the user changed numbers), keeping its id and so its
        messages, sessions and requests; the old phone stays in its identity history. A phone another
        contact holds is a Conflict: two contacts are never merged. Admins, owners and the bot.
        Returns the contacts row."""
        return self._row("change_contact_phone", contact_id=contact_id, phone=phone)

    def change_contact_bsuid(self, *, contact_id: Id, bsuid: str) -> Row:
        """Move a contact to a new WhatsApp `bsuid`, keeping its id and history; the old bsuid stays in
        its identity history. A bsuid another contact holds is a Conflict (never a merge). Admins, owners
        and the bot. Returns the contacts row."""
        return self._row("change_contact_bsuid", contact_id=contact_id, bsuid=bsuid)

    def contact_identity_history(self, *, contact_id: Id) -> list[Row]:
        """Every change of the contact's phone or bsuid, oldest first: `field`, `old_value`, `new_value`,
        `changed_by` (None: the bot or the dashboard), `changed_at`. Admins, owners and the bot."""
        return self._rows("contact_identity_history", contact_id=contact_id)

    def contact_names(self, *, contact_ids: Sequence[Id]) -> list[Row]:
        """`contact_id`, `display_name` of the given contacts (at most 1000) that the caller may read; the others
        are left out."""
        return self._rows("contact_names", contact_ids=list(contact_ids))

    # ------------------------------------------------------------------------------- agents
    def set_agent_role(
        self, *, contact_id: Id, role: str, office: str | None = None, active: bool | None = None
    ) -> Row:
        """Give a contact an agent profile or change it: `role` (agent, broker, admin, owner),
        `office` (kept when not given), `active` (SQL default true, so leaving it out re-activates an
        inactive profile). Admins and owners only, the owner role by owners only; the contact's
        contact_type becomes agent (or staff). Returns the agent_profiles row."""
        return self._row("set_agent_role", contact_id=contact_id, role=role, office=office, active=active)

    def update_agent_profile(
        self, *, specialty: str | None = None, territory: str | None = None, target_monthly: int | None = None
    ) -> Row:
        """The acting agent edits its own `specialty`, `territory` and `target_monthly`; what is not
        given is left as it is. NotFound when the acting contact has no agent profile. Returns the
        agent_profiles row."""
        return self._row(
            "update_agent_profile", specialty=specialty, territory=territory, target_monthly=target_monthly
        )

    # ------------------------------------------------------------------------------- visibility
    def grant_visibility(self, *, portfolio_id: str, agent_id: Id, level: str, deal_id: Id | None = None) -> Row:
        """Let the active agent `agent_id` see the listing `portfolio_id` at `level` (anonymous,
        partial, full), recording the caller as who granted it. `deal_id` must be None (an
        InvalidInput otherwise): only a co-broking deal itself names the deal that unlocked a grant. By the
        listing agent, a broker of its office, admins, owners or the bot. A level is never lowered:
        asking for a lower one returns the grant unchanged. Returns the agent_visibility row."""
        return self._row("grant_visibility", portfolio_id=portfolio_id, agent_id=agent_id, level=level,
                         deal_id=deal_id)

    def portfolio_cards(
        self, *, portfolio_ids: Sequence[str] | None = None, limit: int | None = None, offset: int | None = None
    ) -> list[Row]:
        """Listing cards with the fields the acting agent's visibility level allows (hidden fields
        are None; own listings in full): every active listing plus those granted to it, or only
        `portfolio_ids`; ordered by id, `limit` (1–500, SQL default 50) from `offset` (default 0).
        Only active agents (and the bot, and the database's own user) get cards."""
        return self._rows(
            "portfolio_cards",
            portfolio_ids=list(portfolio_ids) if portfolio_ids is not None else None,
            limit=limit,
            offset=offset,
        )

    # ------------------------------------------------------------------------------- conversation
    def ingest_message(
        self,
        *,
        wa_message_id: str,
        direction: str,
        from_: str | None,
        to: str | None,
        message_type: str | None = None,
        content: str | None = None,
        interactive_payload: Mapping[str, Any] | None = None,
        sent_at: Any = None,
    ) -> Row:
        """Store one WhatsApp message, `direction` inbound (the contact is `from_`, SQL `p_from`) or
        outbound (the contact is `to`), each an E.164 phone or a bsuid; our own side may be None. The
        contact is registered when new and the message joins its active session (opened when none).
        `sent_at` is WhatsApp's timestamp (default now). A redelivered `wa_message_id` changes nothing
        and returns the stored id. Inbound content is not stored without the sender's transfer consent.
        The bot, admins and owners. Returns `message_id` and `is_new`."""
        args: dict[str, Any] = {
            "wa_message_id": wa_message_id, "direction": direction, "message_type": message_type,
            "content": content, "sent_at": sent_at,
            "interactive_payload": interactive_payload,
        }
        # p_from and p_to have no SQL default: both are always sent, our own side as NULL
        return self._row_with("ingest_message", {"p_from": from_, "p_to": to}, **args)

    # ------------------------------------------------------------------------------- listings
    def create_listing(
        self,
        *,
        type: str,
        listing_type: str,
        title: str,
        district: str,
        listed_price: int,
        currency: str | None = None,
        rooms: str | None = None,
        description: str | None = None,
        city: str | None = None,
        agent_id: Id | None = None,
        owner_name: str | None = None,
        owner_phone: str | None = None,
        min_price: int | None = None,
        commission_rate: float | None = None,
        private_notes: str | None = None,
    ) -> Row:
        """Create a listing (`type` daire, villa, dukkan or arsa; `listing_type` sale or rent; `rooms`
        like 3+1; `listed_price` in whole units of `currency`, SQL default TRY); the database allocates
        its id YYYY-NNN. An active agent lists for itself (`agent_id` None = the caller), a broker for its
        office's agents, staff and the bot for anyone. The confidential row (`owner_name`, `owner_phone`,
        `min_price` = the floor, `commission_rate`, `private_notes`) is written in the same call when any
        of them is given. Matching runs at once. Returns the portfolios row (no confidential field)."""
        return self._row(
            "create_listing", type=type, listing_type=listing_type, title=title, district=district,
            listed_price=listed_price, currency=currency, rooms=rooms, description=description, city=city,
            agent_id=agent_id, owner_name=owner_name, owner_phone=owner_phone, min_price=min_price,
            commission_rate=commission_rate, private_notes=private_notes,
        )

    def update_listing(
        self,
        *,
        portfolio_id: str,
        title: str | None = None,
        description: str | None = None,
        district: str | None = None,
        rooms: str | None = None,
        listed_price: int | None = None,
        currency: str | None = None,
        owner_name: str | None = None,
        owner_phone: str | None = None,
        min_price: int | None = None,
        commission_rate: float | None = None,
        private_notes: str | None = None,
    ) -> Row:
        """Change a listing's fields and its confidential ones; what is not given is kept. By the
        listing's managers (its agent, a broker of its office, staff, the bot). History records only
        the changed fields; matches are recomputed. Returns the portfolios row."""
        return self._row(
            "update_listing", portfolio_id=portfolio_id, title=title, description=description, district=district,
            rooms=rooms, listed_price=listed_price, currency=currency, owner_name=owner_name,
            owner_phone=owner_phone, min_price=min_price, commission_rate=commission_rate,
            private_notes=private_notes,
        )

    def deactivate_listing(self, *, portfolio_id: str) -> Row:
        """Take an active listing off the market (status inactive); its matches are removed. By the
        listing's managers; a sold listing raises InvalidTransition. Returns the portfolios row."""
        return self._row("deactivate_listing", portfolio_id=portfolio_id)

    def reactivate_listing(self, *, portfolio_id: str) -> Row:
        """Put an inactive listing back on the market (status active); it is matched again. By the
        listing's managers; a sold listing raises InvalidTransition. Returns the portfolios row."""
        return self._row("reactivate_listing", portfolio_id=portfolio_id)

    def add_media(self, *, portfolio_id: str, media_type: str, storage_path: str) -> Row:
        """Append a photo or video (`media_type`) at `storage_path` in Supabase Storage after the
        listing's last one. By the listing's managers. Returns the portfolio_media row."""
        return self._row("add_media", portfolio_id=portfolio_id, media_type=media_type, storage_path=storage_path)

    def reorder_media(self, *, portfolio_id: str, media_ids: Sequence[Id]) -> list[Row]:
        """Put the listing's media in the order of `media_ids`, which must be exactly its media
        (InvalidInput otherwise); all or nothing. By the listing's managers. Returns the
        portfolio_media rows in the new order."""
        return self._rows("reorder_media", portfolio_id=portfolio_id, media_ids=[str(i) for i in media_ids])

    # ------------------------------------------------------------------------------- search
    def search_portfolios(
        self,
        *,
        query: str | None = None,
        district: str | None = None,
        type: str | None = None,
        rooms: str | None = None,
        min_price: int | None = None,
        max_price: int | None = None,
        currency: str | None = None,
        listing_type: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[Row]:
        """Full-text search over listings, Turkish-aware and accent-insensitive (`kadikoy daire` finds
        Kadıköy's daireler), combined with the structured filters, best first (`limit`, SQL default 20,
        from `offset`). Returns cards at the caller's visibility level with their `rank`: hidden fields
        are None and never influence the result. Records a market signal. Agents and the bot."""
        return self._rows(
            "search_portfolios", query=query, district=district, type=type, rooms=rooms, min_price=min_price,
            max_price=max_price, currency=currency, listing_type=listing_type, limit=limit, offset=offset,
        )

    # ------------------------------------------------------------------------------- requests
    def create_request(
        self,
        *,
        request_type: str,
        criteria: Mapping[str, Any],
        customer_id: Id | None = None,
        assigned_agent: Id | None = None,
        source_session_id: Id | None = None,
    ) -> Row:
        """Record a customer's `buy` or `rent` request. `criteria` is a dict with only the keys
        `districts`, `types`, `rooms` (lists), `min_price`, `max_price` (positive integers) and
        `currency` (TRY when missing); anything else raises InvalidInput naming the key. The customer
        for itself (`customer_id` None = the caller; never with an `assigned_agent`), an agent for a
        customer it already serves (assigned to itself), brokers (to their office's agents), staff, the
        bot. The customer is a customer contact, never an agent or staff. Matching runs at once. Returns
        the requests row."""
        return self._row(
            "create_request", request_type=request_type, criteria=criteria, customer_id=customer_id,
            assigned_agent=assigned_agent, source_session_id=source_session_id,
        )

    def update_request_criteria(self, *, request_id: Id, criteria: Mapping[str, Any]) -> Row:
        """Replace a request's `criteria` (validated as in create_request); its matches are
        recomputed. The customer, its agent, staff, the bot; at most 3 budget (min_price/max_price)
        changes a day (Conflict beyond), each recorded. Returns the requests row."""
        return self._row("update_request_criteria", request_id=request_id, criteria=criteria)

    def assign_request(self, *, request_id: Id, agent_id: Id | None = None) -> Row:
        """Give a request an active agent or broker (status assigned; `agent_id` None = the caller): a
        broker an unassigned or its office's request to its office's agents, staff and the bot to anyone.
        Agents do not take requests (AccessDenied). Returns the requests row."""
        return self._row("assign_request", request_id=request_id, agent_id=agent_id)

    def budget_churn(self, *, since: Any = None, min_changes: int | None = None) -> list[Row]:
        """Requests whose budget moved at least `min_changes` times (default 3) since `since` (default: 7
        days ago): `request_id`, `assigned_agent`, `agent_name`, `changes`, `first_changed_at`,
        `last_changed_at`, and the budget now (`min_price`, `max_price`, `currency`).
        Brokers (their office's requests), staff and the bot (all)."""
        return self._rows("budget_churn", since=since, min_changes=min_changes)

    def close_request(self, *, request_id: Id) -> Row:
        """Close a request (new or assigned -> closed; closing a closed one raises InvalidTransition);
        its matches are removed. The customer, its agent, staff, the bot. Returns the requests row."""
        return self._row("close_request", request_id=request_id)

    # ------------------------------------------------------------------------------- deals
    def open_deal(
        self,
        *,
        match_id: Id | None = None,
        portfolio_id: str | None = None,
        customer_id: Id | None = None,
        request_id: Id | None = None,
    ) -> Row:
        """Open a deal (status matched) from a match, or for a listing and a customer or request. The
        listing agent comes from the listing, the buying agent from the request's agent (or the calling
        agent bringing its own customer). One open deal per listing and customer (Conflict). The listing
        side for its customers or a match of its listing whose request is unassigned or of its office;
        the buying side for its customers on a listing it sees; staff, the bot. A refusal (AccessDenied) is
        the same whether the rows exist or not. Returns the deals row (commission_total NULL)."""
        return self._row("open_deal", match_id=match_id, portfolio_id=portfolio_id, customer_id=customer_id,
                         request_id=request_id)

    def cancel_deal(self, *, deal_id: Id, reason: str) -> Row:
        """Cancel an open deal with a `reason` (InvalidTransition once closed or cancelled). The deal's
        agents, their brokers, staff, the bot. Returns the deals row."""
        return self._row("cancel_deal", deal_id=deal_id, reason=reason)

    def make_offer(self, *, deal_id: Id, amount: int) -> Row:
        """Offer `amount` (whole units) on a deal that is showing or negotiating, addressed to the other
        party; one pending offer at a time (Conflict). The listing agent or the buyer's side. Returns
        the deal_negotiations row."""
        return self._row("make_offer", deal_id=deal_id, amount=amount)

    def counter_offer(self, *, offer_id: Id, amount: int) -> Row:
        """Counter the pending offer addressed to the caller: it becomes countered and a new pending
        offer of `amount` goes the other way. Returns the new deal_negotiations row."""
        return self._row("counter_offer", offer_id=offer_id, amount=amount)

    def accept_offer(self, *, offer_id: Id) -> Row:
        """Accept the pending offer addressed to the caller: the deal becomes agreed at its amount.
        Returns the deal_negotiations row."""
        return self._row("accept_offer", offer_id=offer_id)

    def reject_offer(self, *, offer_id: Id) -> Row:
        """Reject the pending offer addressed to the caller; the deal stays negotiating. Returns the
        deal_negotiations row."""
        return self._row("reject_offer", offer_id=offer_id)

    def start_closing(self, *, deal_id: Id, closing_price: int | None = None) -> Row:
        """Move an agreed deal to closing at `closing_price` (None = the agreed price): one confirmation
        per agent side is created. The deal's agents, their brokers, staff, the bot. Returns the deals row."""
        return self._row("start_closing", deal_id=deal_id, closing_price=closing_price)

    def confirm_closing(self, *, deal_id: Id) -> Row:
        """Confirm the caller's side of a closing deal. `outcome` is confirmed (waiting for
        `waiting_for`), closed (this confirmation closed the deal: listing sold, request closed,
        commissions, contract), already_confirmed or already_closed (nothing changed)."""
        return self._row("confirm_closing", deal_id=deal_id)

    # ------------------------------------------------------------------------------- matching
    def explain_match(self, *, portfolio_id: str, request_id: Id) -> list[Row]:
        """Why a listing and a request match or not: one row per criterion (open, listing_type, currency,
        district, type, rooms, reachable_within_budget, within_budget_without_negotiation) with
        `hard_filter`, `scored`, `passed` and `points`; every row also carries the verdict: `matched`,
        `score` (the sum of the points), `max_score` and `verdict` ("match", or "no match: " and the failed
        hard filters). Never a price. Only a matching pair the caller is a party
        to: the request's agent and its broker, the listing's managers while the request is unassigned;
        staff and the bot any pair. AccessDenied otherwise, whether the pair exists or not."""
        return self._rows("explain_match", portfolio_id=portfolio_id, request_id=request_id)

    def process_match_events(self, *, max: int | None = None) -> int:
        """Run the matcher once: up to `max` (default 500) committed match events, oldest first, become
        matches, score changes, removals, visibility and notifications. Returns how many events it
        processed (0: none pending). service_role (the worker, the bot) and the database owner only."""
        return int(self._row("process_match_events", max=max).get("process_match_events") or 0)

    def match_event_lag(self) -> Row:
        """The matcher's lag: `pending` events and `oldest_pending_at` (None when none is pending).
        Staff and service_role."""
        return self._row("match_event_lag")

    # ------------------------------------------------------------------------------- market
    def unmet_demand(self, *, since: Any | None = None, until: Any | None = None) -> list[Row]:
        """Demand that found nothing between `since` and `until` (datetimes; the SQL defaults: 30 days ago
        and now): searches and requests with no match, grouped by `district`, `type`, `currency` and price
        band, with how many `signals`.
        Brokers, staff, the bot."""
        return self._rows("unmet_demand", since=since, until=until)

    # ------------------------------------------------------------------------------- commissions
    def commission_split(self) -> list[Row]:
        """The split of a closed deal's commission_total, one row per `deal_kind` (single: one agent;
        cross: co-broking), with `listing_rate`, `buying_rate`, `platform_rate` (percent, adding up to
        100) and `updated_at`. Any signed-in caller and the bot."""
        return self._rows("commission_split")

    def set_commission_split(
        self, *, deal_kind: str, listing_rate: Any, buying_rate: Any, platform_rate: Any
    ) -> Row:
        """Set the split for `deal_kind` single or cross: the rates (percent, at most two decimals, as
        Decimal, int or str) add up to 100; a single deal's `buying_rate` is 0, which None (sent as NULL) means
        (InvalidInput naming the field otherwise). Deals that close afterwards use it; rows already written keep their rates.
        Admins, owners and the bot (AccessDenied for anyone else). Returns the new split row."""
        return self._row_with(
            "set_commission_split", {"p_buying_rate": buying_rate}, deal_kind=deal_kind, listing_rate=listing_rate,
            platform_rate=platform_rate,
        )

    def set_commission_status(self, *, commission_id: Id, status: str) -> Row:
        """Move a platform_commissions row pending → invoiced → paid (any other move raises
        InvalidTransition; its current status changes nothing). Admins, owners and the bot; NotFound for
        them when the row does not exist, AccessDenied for anyone else. Returns the platform_commissions row."""
        return self._row("set_commission_status", commission_id=commission_id, status=status)

    # ------------------------------------------------------------------------------- showings
    def schedule_showing(self, *, deal_id: Id, scheduled_at: Any, duration: Any | None = None) -> Row:
        """Schedule a showing of a deal's listing for its customer, from `scheduled_at` (an aware
        datetime) for `duration` (a timedelta or an interval text like '90 minutes'; 1 hour when None;
        15 minutes to 8 hours). Listing, customer, request and the buying agent come from the deal; a
        matched deal moves to showing. Never in the past (InvalidInput); an overlapping slot of the
        listing raises Conflict. The deal's agents, their brokers, staff, the bot. Returns the showing."""
        return self._row("schedule_showing", deal_id=deal_id, scheduled_at=scheduled_at, duration=duration)

    def reschedule_showing(self, *, showing_id: Id, scheduled_at: Any, duration: Any | None = None) -> Row:
        """Move a scheduled showing to `scheduled_at`, keeping its duration unless `duration` is given.
        Same rules and callers as schedule_showing; a shown or cancelled showing raises
        InvalidTransition. Returns the showing."""
        return self._row("reschedule_showing", showing_id=showing_id, scheduled_at=scheduled_at, duration=duration)

    def cancel_showing(self, *, showing_id: Id) -> Row:
        """Cancel a scheduled showing (its slot is free again). The deal's agents, their brokers, staff,
        the bot. Returns the showing."""
        return self._row("cancel_showing", showing_id=showing_id)

    def mark_shown(self, *, showing_id: Id) -> Row:
        """Mark a scheduled showing shown once its slot has begun; the showing certificate (yer gösterme
        belgesi) is issued in the same transaction. Returns the showing's fields and `certificate_id`."""
        return self._row("mark_shown", showing_id=showing_id)

    # ------------------------------------------------------------------------------- follow-ups, tasks
    def stale_deals(self, *, idle: Any | None = None) -> list[Row]:
        """Open deals the caller sees whose last activity is older than `idle` (a positive timedelta or
        interval text; 7 days when None), idlest first."""
        return self._rows("stale_deals", idle=idle)

    def open_followups(self, *, idle: Any | None = None, remind_after: Any | None = None) -> list[Row]:
        """Open one follow-up task per open deal idle for longer than `idle` (7 days when None) that has
        none since its last activity, and one reminder per unconfirmed closing side older than
        `remind_after` (1 day when None). Never twice, also when several workers run it at once. Staff
        and the bot. Returns the tasks created: `task_id`, `task_type`, `deal_id`, `agent_id`."""
        return self._rows("open_followups", idle=idle, remind_after=remind_after)

    def complete_task(self, *, task_id: Id) -> Row:
        """Mark a pending task done. Its agent, the agent's broker, staff, the bot. Returns the task."""
        return self._row("complete_task", task_id=task_id)

    def cancel_task(self, *, task_id: Id) -> Row:
        """Cancel a pending task. Its agent, the agent's broker, staff, the bot. Returns the task."""
        return self._row("cancel_task", task_id=task_id)

    # ------------------------------------------------------------------------------- sessions, export
    def update_session_slots(self, *, session_id: Id, slots: Mapping[str, Any]) -> Row:
        """Set qualifying slots of an active session: `slots` is a dict with any of `intent` (buy, rent,
        sell, let), `district` (one district, stored in its reference spelling: kadikoy -> Kadıköy),
        `property_type` (daire, villa, dukkan, arsa), `rooms` (3+1), `max_price` (whole units),
        `currency` (TRY, USD, EUR, GBP) and `language` (tr, en, …); a None value clears the slot, slots
        not named are kept. Validated like request criteria (InvalidInput naming the slot); the
        database recomputes `qualifying_completeness`. The bot and staff; InvalidTransition when the
        session is no longer active. Returns the sessions row."""
        return self._row("update_session_slots", session_id=session_id, slots=slots)

    def extract_request(self, *, session_id: Id) -> Row:
        """Make the request an active session qualifies for (intent buy or rent, district and max_price
        filled; InvalidInput naming what is missing), for the session's contact, by the rules of
        create_request; the session becomes extracted and the request's `source_session_id` names it.
        The matcher then records the session's market signal with what the customer wrote. The bot and
        staff. Returns the requests row."""
        return self._row("extract_request", session_id=session_id)

    def close_session(self, *, session_id: Id) -> Row:
        """Close an active session without a request (a closed one stays closed; an extracted one
        raises InvalidTransition). The bot and staff. Returns the sessions row."""
        return self._row("close_session", session_id=session_id)

    def session_summary(self, *, session_id: Id) -> Row:
        """A session's slots, status and `qualifying_completeness`, the slots extraction still needs
        (`missing`), the request made from it (`request_id`) and its message count (`messages`). The
        session's contact, staff and the bot."""
        return self._row("session_summary", session_id=session_id)

    def export_training_conversations(self, *, since: Any = None, limit: int | None = None) -> list[Row]:
        """Staff only: the conversations of contacts holding both consent_training and consent_transfer
        whose last message is at or after `since` (all when None), oldest last message first, at most
        `limit` (1-1000, default 1000). Each row: `session_id` (None for messages outside a session),
        `contact_id`, `language`, `started_at`, `last_message_at`, `message_count`, `truncated` and
        `messages`, the first 200 messages with stored text as dicts `at`, `role` (customer or bot),
        `type`, `text`. Content withheld without transfer consent is never exported."""
        return self._rows("export_training_conversations", since=since, limit=limit)

    # ------------------------------------------------------------------------------- window, nudges
    def window_open(self, *, contact_id: Id) -> bool:
        """Whether the contact's WhatsApp customer-service window is open: its last inbound message is
        less than 24 hours old (an outbound message never opens it). False for a contact the caller may
        not read (only the contact itself, staff and the bot see a window)."""
        return bool(self._row("window_open", contact_id=contact_id).get("window_open"))

    def window_status(self, *, contact_id: Id | None = None) -> Row:
        """The window of the acting contact (or `contact_id`, for staff and the bot): `window_open`,
        `window_closes_at` (last inbound + 24 hours), `last_inbound`, `last_outbound`, `phone_expires_at`
        (30 days after the last message, while WhatsApp keeps sending the phone), `nudge_sent_at`."""
        return self._row("window_status", contact_id=contact_id)

    def claim_nudges(self, *, batch: int | None = None, max_age: Any | None = None) -> list[Row]:
        """Claim up to `batch` (1–1000; 100 when None) template nudges: contacts whose window closed at most `max_age`
        (a timedelta or interval text; 7 days when None, at most 30 days) ago without a nudge since their
        last inbound message; customers with marketing and transfer consent only, never opted out or
        blocked. Each closed window is handed out once, also to many workers at once. Returns
        `contact_id`, `phone`, `bsuid`, `display_name`, `language`, `last_inbound`, `window_closed_at`,
        `nudge_sent_at`. Staff and the bot."""
        return self._rows("claim_nudges", batch=batch, max_age=max_age)

    # ------------------------------------------------------------------------------- delivery
    def claim_notifications(self, *, batch: int | None = None, lease: Any | None = None) -> list[Row]:
        """Hand out up to `batch` (1–500, SQL default 50) pending notifications, oldest first, each under a
        `lease` (a timedelta or interval text, 1 second – 1 hour, default 5 minutes): only to contacts whose
        24-hour window stays open for the lease, never opted out or blocked, proactive ones only with marketing
        consent; never one to two workers. Each row has what the sender needs: `id`, `contact_id`, `phone`,
        `bsuid`, `kind`, `body`, `buttons`, `created_at`, `claim_attempts`, `claimed_until`. Send each through the
        WhatsApp Cloud API, then call `notification_sent`; one not marked sent is handed out again after its
        lease (5 attempts at most). The bot (service_role) and staff."""
        return self._rows("claim_notifications", batch=batch, lease=lease)

    def notification_sent(self, *, notification_id: Id, wa_message_id: str) -> Row:
        """Record that a claimed notification went out as WhatsApp message `wa_message_id` (the id the Cloud
        API returned): the send is logged in message_log and `delivered_at` set, once. The same id again returns
        the delivery unchanged; another id is a Conflict; a notification never claimed an InvalidTransition.
        Returns `id`, `contact_id`, `kind`, `delivered_at`, `wa_message_id`, `message_id`. The bot and staff."""
        return self._row("notification_sent", notification_id=notification_id, wa_message_id=wa_message_id)

    def share_listing(self, *, match_id: Id) -> Row:
        """Send the customer of a match's request the listing's card as a notification (kind match), with only
        the fields the request's agent sees at its level (never owner, floor price or commission). The request's
        assigned agent only (AccessDenied for anyone else, whether the match exists or not). Shared again before
        it went out, the pending one comes back (`is_new` False). Returns `notification_id`, `customer_id`,
        `portfolio_id`, `visibility_level`, `body`, `buttons`, `created_at`, `is_new`."""
        return self._row("share_listing", match_id=match_id)

    # ------------------------------------------------------------------------------- inbox (claim queue)
    def claim_messages(
        self, *, worker: str, batch: int | None = None, lease: Any | None = None, max_attempts: int | None = None
    ) -> list[Row]:
        """Hand up to `batch` (1–1000, SQL default 10) waiting inbound messages to `worker` (a name, 1–200
        characters) for `lease` (a timedelta or interval text, 1 second – 1 hour; 5 minutes when None). A
        contact's messages come oldest first and to one worker at a time: handle them in the order returned.
        A message that has had `max_attempts` attempts (1–100, default 5) goes to the dead letters instead.
        The bot and staff (AccessDenied for anyone else). Returns the message_log rows handed out; none
        when nothing waits (or every waiting contact is held by another worker)."""
        return self._rows("claim_messages", worker=worker, batch=batch, lease=lease, max_attempts=max_attempts)

    def ack_message(self, *, message_id: Id, worker: str) -> Row:
        """Acknowledge a handled message (processed_at = now); only the `worker` holding its live lease
        (Conflict otherwise: acknowledged already, lease expired, another worker's; NotFound: no such
        inbound message). Returns the message_log row."""
        return self._row("ack_message", message_id=message_id, worker=worker)

    def ack_messages(self, *, message_ids: Sequence[Id], worker: str) -> list[Row]:
        """Acknowledge a batch (1–1000 ids) in one call, one transaction: every message must be held by
        `worker` under a live lease, else Conflict (NotFound) for the first that is not and nothing changes.
        Returns the message_log rows."""
        return self._rows("ack_messages", message_ids=[str(m) for m in message_ids], worker=worker)

    def release_message(self, *, message_id: Id, worker: str, error: str | None = None) -> list[Row]:
        """Hand a message the `worker` holds back at once, with the worker's later held messages of the same
        contact (untried). With `error` (1–2000 characters) the attempt counts as failed and the error is
        kept; without, it goes back untried. Same refusals as ack_message. Returns the rows handed back,
        the given message first."""
        return self._rows("release_message", message_id=message_id, worker=worker, error=error)

    def dead_messages(self, *, limit: int | None = None, offset: int | None = None) -> list[Row]:
        """The dead letters, newest first (`limit` 1–500, SQL default 50; `offset` 0–100000), with
        last_error and claim_attempts. Staff and the bot."""
        return self._rows("dead_messages", limit=limit, offset=offset)

    def requeue_message(self, *, message_id: Id) -> Row:
        """Put a dead letter back in the queue with its attempts at 0 (InvalidTransition when the message is
        not dead). Staff and the bot. Returns the message_log row."""
        return self._row("requeue_message", message_id=message_id)

    # ------------------------------------------------------------------------------- reads
    # Security invoker: row-level security decides what each caller sees; names the caller may not read
    # come back None. Lists take `limit` (1–500, SQL default 50) and `offset` (0–100000).
    def list_matches(
        self, *, portfolio_id: str | None = None, request_id: Id | None = None, limit: int | None = None,
        offset: int | None = None,
    ) -> list[Row]:
        """Matches the caller may read, newest first (only those of `portfolio_id` and/or `request_id` when
        given): `match_id`, `portfolio_id`, `listing_title`, `district`, `listing_agent_name` (from the
        listing's card at the caller's level), `request_id`, `customer_name`, `request_agent_name`,
        `match_score`, `trigger_type`, `notified`, `created_at`, `updated_at`."""
        return self._rows("list_matches", portfolio_id=portfolio_id, request_id=request_id, limit=limit,
                          offset=offset)

    def list_deals(self, *, status: str | None = None, limit: int | None = None, offset: int | None = None) -> list[Row]:
        """Deals the caller sees, most recently active first; `status` a deal status or "open" (neither
        closed nor cancelled); all when None. Listing title, customer and agents by name; never the
        commission total."""
        return self._rows("list_deals", status=status, limit=limit, offset=offset)

    def deal_summary(self, *, deal_id: Id) -> Row:
        """One deal in full: parties by name, prices, and lists `offers`, `showings`, `confirmations`
        (the closing state) and `commissions` (the rows the caller may read). AccessDenied for a deal the
        caller does not see, whether it exists or not (NotFound for staff and the bot)."""
        return self._row("deal_summary", deal_id=deal_id)

    def list_requests(self, *, status: str | None = None, limit: int | None = None,
                      offset: int | None = None) -> list[Row]:
        """Requests the caller sees, newest first; `status` new, assigned or closed (all when None). Criteria
        spelled out (`districts`, `types`, `rooms`, `min_price`, `max_price`, `currency`), customer and agent
        names, and `match_count` (the matches the caller may read)."""
        return self._rows("list_requests", status=status, limit=limit, offset=offset)

    def request_summary(self, *, request_id: Id) -> Row:
        """One request: `criteria`, customer and agent (ids and names), `source_session_id`, `match_count`
        and `best_score` of the matches the caller may read. AccessDenied for a request the caller does not
        see, whether it exists or not."""
        return self._row("request_summary", request_id=request_id)

    def list_tasks(self, *, status: str | None = None, limit: int | None = None, offset: int | None = None) -> list[Row]:
        """Tasks the caller sees, soonest due first; `status` pending (the SQL default), done, cancelled or
        all. Agent and related contact by name."""
        return self._rows("list_tasks", status=status, limit=limit, offset=offset)

    def list_commissions(self, *, status: str | None = None, limit: int | None = None,
                         offset: int | None = None) -> list[Row]:
        """Commission rows the caller may read (its own share; the listing side every row of its deals),
        newest first; `status` pending, invoiced or paid (all when None)."""
        return self._rows("list_commissions", status=status, limit=limit, offset=offset)

    def listing_summary(self, *, portfolio_id: str) -> Row:
        """One listing: its card at the caller's visibility level, times and `match_count` where readable,
        and the confidential fields (`owner_name`, `owner_phone`, `min_price`, `commission_rate`,
        `private_notes`) only for those who may read them (its managers, staff, the bot; None otherwise).
        AccessDenied for a listing the caller has no card of, whether it exists or not."""
        return self._row("listing_summary", portfolio_id=portfolio_id)

    def contact_summary(self, *, contact_id: Id | None = None) -> Row:
        """One contact (the acting one when None): identity, consents with their times, agent profile, the
        WhatsApp window (as window_status), the latest session (as session_summary) and `open_requests`, each
        part as the caller may read it (None otherwise). AccessDenied for a contact the caller does not see."""
        return self._row("contact_summary", contact_id=contact_id)

def _supabase_token(
    key: str, token: str | None, token_given: bool, acting_as: Id | None, service_role: bool, anon: bool
) -> str | None:
    """The user token to send with `key`, once the identity asked for is checked against the credentials
    (claims read unverified: the API verifies them; this only refuses a configuration that says two things)."""
    if service_role or anon:
        wanted = "service_role" if service_role else "anon"
        if token_given and token is not None:
            raise InvalidInput(f"an access token signs in a user: leave it out to act as {wanted}")
        role = key_role(key)
        if role is not None and role != wanted:
            raise InvalidInput(f"acting as {wanted} through Supabase needs the project's {wanted} key, "
                               f"not its {role} key")
        return None
    if acting_as is not None:
        try:
            contact = str(uuid.UUID(str(acting_as)))
        except ValueError:
            raise InvalidInput("the acting contact must be a contact id (a uuid)") from None
        if token is None:
            raise InvalidInput("acting as a contact through Supabase needs its access token "
                               "(VIC_SUPABASE_ACCESS_TOKEN): the API takes the contact from the token")
        if (jwt_claims(token) or {}).get("sub") != contact:
            raise InvalidInput("the access token is not the acting contact's (its sub is another id)")
    return token
