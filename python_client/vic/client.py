"""`VicClient`: one typed method per RPC function of schema `public`, over any `Transport`.

Each method has the function's name and takes keyword arguments named like the SQL parameters
without their `p_` prefix. An argument left as None is not sent, so the SQL default applies (the
functions document what a missing argument means). Rules, authority and validation live in SQL;
a refused call raises the `vic.errors` class of its SQLSTATE (AccessDenied, InvalidInput, …).

    with VicClient.connect(url, acting_as=contact_id) as vic:
        me = vic.whoami()
        cards = vic.portfolio_cards(limit=10)

`tests/test_rpc_surface.py` checks that the methods and the functions of the migrated database
match one to one, names, parameters and defaults included.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from vic.errors import NotFound
from vic.transport import PsycopgTransport, Transport

Row = dict[str, Any]
Id = str | uuid.UUID


class VicClient:
    """The VIC RPC surface as Python methods; the transport decides who is acting."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    @classmethod
    def connect(cls, url: str, *, acting_as: Id | None = None, service_role: bool = False) -> VicClient:
        """A client over PostgreSQL at `url` (psycopg), acting as the contact `acting_as`, as
        `service_role`, or (neither) as the URL's own user, e.g. the dashboard admin `postgres`."""
        return cls(PsycopgTransport(url, acting_as=acting_as, service_role=service_role))

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

    def record_consent(self, *, kind: str, granted: bool, contact_id: Id | None = None) -> Row:
        """Grant or withdraw a consent (`kind`: transfer, training or marketing) of the acting contact,
        or of `contact_id` for staff and the bot; its `consent_<kind>_at` is stamped. Returns the contacts row."""
        return self._row("record_consent", kind=kind, granted=granted, contact_id=contact_id)

    def set_onboarding_status(self, *, contact_id: Id, status: str) -> Row:
        """Move a contact through onboarding (new → consent_pending → profiling → active; any →
        opted_out or blocked; opted_out → consent_pending); other moves raise InvalidTransition.
        The bot, admins and owners. Returns the contacts row."""
        return self._row("set_onboarding_status", contact_id=contact_id, status=status)

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
        partial, full), recording who granted it and the `deal_id` that unlocked it. By the listing
        agent, a broker of its office, admins, owners or the bot. A level is never lowered: asking
        for a lower one returns the grant unchanged. Returns the agent_visibility row."""
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
