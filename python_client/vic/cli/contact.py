"""`vic contact …`: Contacts: who is acting, registration, consents, onboarding."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from vic.cli.common import (
    ContactIdArg,
    DatabaseUrl,
    Json,
    _client,
    _local,
    _print_json,
    _reported,
    _show_narrow,
    _show_row,
    _text,
    out,
)

app = typer.Typer(no_args_is_help=True, help="Contacts: who is acting, registration, consents, onboarding.")


@app.command("whoami")
def contact_whoami(ctx: typer.Context, database_url: DatabaseUrl = None) -> None:
    """Who is acting: contact id, authority and office (whoami)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.whoami()
    _show_row("whoami", row)


@app.command("upsert")
def contact_upsert(
    ctx: typer.Context,
    phone: Annotated[str | None, typer.Option(help="WhatsApp number in E.164, e.g. +905321234567.")] = None,
    bsuid: Annotated[str | None, typer.Option(help="WhatsApp business-scoped user id.")] = None,
    display_name: Annotated[str | None, typer.Option(help="Name shown to agents.")] = None,
    contact_type: Annotated[
        str | None, typer.Option(help="lead (default for a new contact), customer, property_owner, agent or staff.")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Find a contact by phone or bsuid, or create it (upsert_contact)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.upsert_contact(phone=phone, bsuid=bsuid, display_name=display_name, contact_type=contact_type)
    _show_row("contact", row)


@app.command("consent")
def contact_consent(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(metavar="KIND", help="transfer, training or marketing.", show_default=False)],
    granted: Annotated[bool, typer.Option("--grant/--withdraw", help="Grant or withdraw the consent.")],
    contact_id: Annotated[
        str | None, typer.Option(help="Whose consent (staff, bot); default: the acting contact.")
    ] = None,
    message_id: Annotated[
        str | None, typer.Option(help="The contact's inbound WhatsApp message (message_log id) it came in.")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Grant or withdraw a consent; the database timestamps it and keeps it in the history (record_consent)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.record_consent(kind=kind, granted=granted, contact_id=contact_id, message_id=message_id)
    _show_row("contact", row)


OptionalContactArg = Annotated[
    str | None,
    typer.Argument(metavar="[CONTACT_ID]", help="The contact's id (uuid); default: the acting contact.",
                   show_default=False),
]


@app.command("consents")
def contact_consents(ctx: typer.Context, contact_id: OptionalContactArg = None, database_url: DatabaseUrl = None) -> None:
    """A contact's consent history, oldest first: who granted or withdrew which consent, when, from which message
    (consent_history)."""
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.consent_history(contact_id=contact_id)
    if not rows:
        out.print("no consent recorded")
        return
    shown = [dict(row, _when=_local(row.get("changed_at")), _change="granted" if row.get("granted") else "withdrawn",
                  _by=" ".join(str(v) for v in (row.get("actor_role"), row.get("changed_by")) if v))
             for row in rows]
    _show_narrow(f"Consent history: {len(rows)}", {"when": "_when", "consent": "consent", "change": "_change",
                                                   "by": "_by", "message": "message_id", "status": "onboarding_status"},
                 shown)


@app.command("window")
def contact_window(ctx: typer.Context, contact_id: OptionalContactArg = None, database_url: DatabaseUrl = None) -> None:
    """Is the contact's WhatsApp window open, and until when (Istanbul time); its last messages (window_status)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.window_status(contact_id=contact_id)
    closes = row.get("window_closes_at")
    if row.get("window_open"):
        out.print(f"window open until {_local(closes)} (Istanbul): free-form messages allowed")
    elif closes is None:
        out.print("window closed: no message from the contact yet (templates only)")
    else:
        out.print(f"window closed since {_local(closes)} (Istanbul): templates only")
    _show_row("window", row)


@app.command("window-open")
def contact_window_open(ctx: typer.Context, contact_id: ContactIdArg, database_url: DatabaseUrl = None) -> None:
    """Print open or closed: the contact's 24-hour window now (window_open)."""
    with _reported(), _client(ctx, database_url) as vic:
        is_open = vic.window_open(contact_id=contact_id)
    out.print("open" if is_open else "closed")


@app.command("status")
def contact_status(
    ctx: typer.Context,
    contact_id: ContactIdArg,
    status: Annotated[
        str,
        typer.Argument(
            metavar="STATUS", help="new, consent_pending, profiling, active, opted_out or blocked.", show_default=False
        ),
    ],
    database_url: DatabaseUrl = None,
) -> None:
    """Move a contact along the onboarding state machine (set_onboarding_status)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.set_onboarding_status(contact_id=contact_id, status=status)
    _show_row("contact", row)


@app.command("change-phone")
def contact_change_phone(
    ctx: typer.Context,
    contact_id: ContactIdArg,
    phone: Annotated[str, typer.Argument(metavar="PHONE", help="The new number, E.164: +905321234567.", show_default=False)],
    database_url: DatabaseUrl = None,
) -> None:
    """Move a contact to its new number; its messages, sessions and requests stay; never merges two contacts
    (change_contact_phone)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.change_contact_phone(contact_id=contact_id, phone=phone)
    _show_row("contact", row)


@app.command("change-bsuid")
def contact_change_bsuid(
    ctx: typer.Context,
    contact_id: ContactIdArg,
    bsuid: Annotated[str, typer.Argument(metavar="BSUID", help="The new WhatsApp business-scoped user id.", show_default=False)],
    database_url: DatabaseUrl = None,
) -> None:
    """Move a contact to its new WhatsApp bsuid; its history stays; never merges two contacts (change_contact_bsuid)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.change_contact_bsuid(contact_id=contact_id, bsuid=bsuid)
    _show_row("contact", row)


@app.command("identity-history")
def contact_identity_history(ctx: typer.Context, contact_id: ContactIdArg, database_url: DatabaseUrl = None) -> None:
    """The phones and bsuids a contact had, oldest first, times in Istanbul (contact_identity_history)."""
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.contact_identity_history(contact_id=contact_id)
    if not rows:
        out.print("no identity change")
        return
    table = Table(title="Identity changes", title_justify="left")
    for header in ("when", "field", "old", "new", "by"):
        table.add_column(header, no_wrap=header in ("when", "field"))
    for row in rows:
        table.add_row(escape(_local(row.get("changed_at"))), escape(_text(row.get("field"))),
                      escape(_text(row.get("old_value"))), escape(_text(row.get("new_value"))),
                      escape(_text(row.get("changed_by") or "bot / dashboard")))
    Console(width=100, highlight=False).print(table)


# ------------------------------------------------------------------------------------- reads
def _consent(row: dict, kind: str) -> str:
    given, at = row.get(f"consent_{kind}"), row.get(f"consent_{kind}_at")
    if given is None:
        return "—"
    return ("given" if given else "not given") + (f" ({_local(at)})" if at else "")


@app.command("show")
def contact_show(ctx: typer.Context, contact_id: OptionalContactArg = None, as_json: Json = False,
                 database_url: DatabaseUrl = None) -> None:
    """One contact: identity, consents, agent profile, WhatsApp window and latest session, as far as you may
    see them (contact_summary)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.contact_summary(contact_id=contact_id)
    if as_json:
        _print_json(row)
        return
    if row.get("window_open") is None:
        window = None
    elif row.get("window_open"):
        window = f"open until {_local(row.get('window_closes_at'))}"
    else:
        window = f"closed since {_local(row.get('window_closes_at'))}" if row.get("window_closes_at") else "closed"
    session = None
    if row.get("session_id"):
        complete = row.get("session_completeness")
        session = " · ".join(x for x in (
            f"{row['session_id']} {row.get('session_status') or ''}".strip(),
            f"{float(complete):.0%} complete" if complete is not None else "",
            f"missing {', '.join(row['session_missing'])}" if row.get("session_missing") else "") if x)
    _show_row(f"contact {_text(row.get('contact_id'))}", {
        "name": row.get("display_name"),
        "type": row.get("contact_type"),
        "onboarding": row.get("onboarding_status"),
        "phone": row.get("phone"),
        "bsuid": row.get("bsuid"),
        "consent: transfer": _consent(row, "transfer"),
        "consent: training": _consent(row, "training"),
        "consent: marketing": _consent(row, "marketing"),
        "agent": " · ".join(str(x) for x in (row.get("agent_role"), row.get("agent_office"),
                                             None if row.get("agent_active") is None
                                             else ("active" if row.get("agent_active") else "inactive")) if x) or None,
        "WhatsApp window": window,
        "last inbound": _local(row.get("last_inbound")),
        "last outbound": _local(row.get("last_outbound")),
        "latest session": session,
        "open requests": row.get("open_requests"),
        "since": _local(row.get("created_at")),
    })
