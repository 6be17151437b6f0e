"""`vic contact …`: Contacts: who is acting, registration, consents, onboarding."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer

from vic.cli.common import (
    as_json, client, ContactIdArg, local_time, OptionalContactArg, out, print_json, reported, say, show_row,
    show_rows, uuid_option,
)

app = typer.Typer(no_args_is_help=True, help="Contacts: who is acting, registration, consents, onboarding.")


@app.command("whoami")
def contact_whoami(ctx: typer.Context) -> None:
    """Who is acting: contact id, authority and office (whoami)."""
    with reported(), client(ctx) as vic:
        row = vic.whoami()
    show_row("whoami", row)


@app.command("upsert")
def contact_upsert(
    ctx: typer.Context,
    phone: Annotated[str | None, typer.Option(help="WhatsApp number in E.164, e.g. +905321234567.")] = None,
    bsuid: Annotated[str | None, typer.Option(help="WhatsApp business-scoped user id.")] = None,
    display_name: Annotated[str | None, typer.Option(help="Name shown to agents.")] = None,
    contact_type: Annotated[
        str | None, typer.Option(help="lead (default for a new contact), customer, property_owner, agent or staff.")
    ] = None,
) -> None:
    """Find a contact by phone or bsuid, or create it (upsert_contact)."""
    with reported(), client(ctx) as vic:
        row = vic.upsert_contact(phone=phone, bsuid=bsuid, display_name=display_name, contact_type=contact_type)
    show_row("contact", row)


@app.command("consent")
def contact_consent(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(metavar="KIND", help="transfer, training or marketing.", show_default=False)],
    granted: Annotated[bool, typer.Option("--grant/--withdraw", help="Grant or withdraw the consent.")],
    contact_id: Annotated[
        str | None, uuid_option("Whose consent (staff, bot); default: the acting contact.", metavar="CONTACT_ID")
    ] = None,
    message_id: Annotated[
        str | None, uuid_option("The contact's inbound WhatsApp message (message_log id) it came in.",
                                metavar="MESSAGE_ID")
    ] = None,
) -> None:
    """Grant or withdraw a consent; the database timestamps it and keeps it in the history (record_consent)."""
    with reported(), client(ctx) as vic:
        row = vic.record_consent(kind=kind, granted=granted, contact_id=contact_id, message_id=message_id)
    show_row("contact", row)


@app.command("consents")
def contact_consents(ctx: typer.Context, contact_id: OptionalContactArg = None) -> None:
    """A contact's consent history, oldest first: who granted or withdrew which consent, when, from which message
    (consent_history)."""
    with reported(), client(ctx) as vic:
        rows = vic.consent_history(contact_id=contact_id)
    show_rows(f"Consent history: {len(rows)}", {
        "when": lambda r: local_time(r.get("changed_at")), "consent": "consent",
        "change": lambda r: "granted" if r.get("granted") else "withdrawn",
        "by": lambda r: " ".join(str(v) for v in (r.get("actor_role"), r.get("changed_by")) if v),
        "message": "message_id", "status": "onboarding_status"}, rows, empty="no consent recorded")


@app.command("window")
def contact_window(ctx: typer.Context, contact_id: OptionalContactArg = None) -> None:
    """Is the contact's WhatsApp window open, and until when (Istanbul time); its last messages (window_status)."""
    with reported(), client(ctx) as vic:
        row = vic.window_status(contact_id=contact_id)
    if as_json():
        print_json(row)
        return
    closes = row.get("window_closes_at")
    if row.get("window_open"):
        out.print(f"window open until {local_time(closes)} (Istanbul): free-form messages allowed")
    elif closes is None:
        out.print("window closed: no message from the contact yet (templates only)")
    else:
        out.print(f"window closed since {local_time(closes)} (Istanbul): templates only")
    show_row("window", row)


@app.command("window-open")
def contact_window_open(ctx: typer.Context, contact_id: ContactIdArg) -> None:
    """Print open or closed: the contact's 24-hour window now (window_open)."""
    with reported(), client(ctx) as vic:
        is_open = vic.window_open(contact_id=contact_id)
    say("open" if is_open else "closed", {"contact_id": contact_id, "window_open": is_open})


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
) -> None:
    """Move a contact along the onboarding state machine (set_onboarding_status)."""
    with reported(), client(ctx) as vic:
        row = vic.set_onboarding_status(contact_id=contact_id, status=status)
    show_row("contact", row)


@app.command("change-phone")
def contact_change_phone(
    ctx: typer.Context,
    contact_id: ContactIdArg,
    phone: Annotated[str, typer.Argument(metavar="PHONE", help="The new number, E.164: +905321234567.", show_default=False)],
) -> None:
    """Move a contact to its new number; its messages, sessions and requests stay; never merges two contacts
    (change_contact_phone)."""
    with reported(), client(ctx) as vic:
        row = vic.change_contact_phone(contact_id=contact_id, phone=phone)
    show_row("contact", row)


@app.command("change-bsuid")
def contact_change_bsuid(
    ctx: typer.Context,
    contact_id: ContactIdArg,
    bsuid: Annotated[str, typer.Argument(metavar="BSUID", help="The new WhatsApp business-scoped user id.", show_default=False)],
) -> None:
    """Move a contact to its new WhatsApp bsuid; its history stays; never merges two contacts (change_contact_bsuid)."""
    with reported(), client(ctx) as vic:
        row = vic.change_contact_bsuid(contact_id=contact_id, bsuid=bsuid)
    show_row("contact", row)


@app.command("identity-history")
def contact_identity_history(ctx: typer.Context, contact_id: ContactIdArg) -> None:
    """The phones and bsuids a contact had, oldest first, times in Istanbul (contact_identity_history)."""
    with reported(), client(ctx) as vic:
        rows = vic.contact_identity_history(contact_id=contact_id)
    show_rows("Identity changes", {
        "when": lambda r: local_time(r.get("changed_at")), "field": "field", "old": "old_value", "new": "new_value",
        "by": lambda r: r.get("changed_by") or "bot / dashboard"}, rows, empty="no identity change")


@app.command("names")
def contact_names(
    ctx: typer.Context,
    contact_ids: Annotated[list[str], typer.Argument(metavar="CONTACT_ID...", help="Contact ids (uuids), at most 1000.",
                                                      show_default=False)],
) -> None:
    """The names of these contacts that you may read; the others are left out (contact_names)."""
    with reported(), client(ctx) as vic:
        rows = vic.contact_names(contact_ids=contact_ids)
    show_rows("Contacts", {"name": "display_name", "id": "contact_id"}, rows, empty="no contact you may read")


# ------------------------------------------------------------------------------------- reads
def _consent(row: Mapping[str, Any], kind: str) -> str:
    given, at = row.get(f"consent_{kind}"), row.get(f"consent_{kind}_at")
    if given is None:
        return "—"
    return ("given" if given else "not given") + (f" ({local_time(at)})" if at else "")


@app.command("show")
def contact_show(ctx: typer.Context, contact_id: OptionalContactArg = None) -> None:
    """One contact: identity, consents, agent profile, WhatsApp window and latest session, as far as you may see
    them (contact_summary)."""
    with reported(), client(ctx) as vic:
        row = vic.contact_summary(contact_id=contact_id)
    if as_json():
        print_json(row)
        return
    if row.get("window_open") is None:
        window = None
    elif row.get("window_open"):
        window = f"open until {local_time(row.get('window_closes_at'))}"
    else:
        window = f"closed since {local_time(row.get('window_closes_at'))}" if row.get("window_closes_at") else "closed"
    session = None
    if row.get("session_id"):
        complete = row.get("session_completeness")
        session = " · ".join(x for x in (
            f"{row['session_id']} {row.get('session_status') or ''}".strip(),
            f"{float(complete):.0%} complete" if complete is not None else "",
            f"missing {', '.join(row['session_missing'])}" if row.get("session_missing") else "") if x)
    profile = [row.get("agent_role"), row.get("agent_office"),
               None if row.get("agent_active") is None else ("active" if row.get("agent_active") else "inactive")]
    show_row(f"contact {row.get('contact_id') or contact_id or ''}".strip(), {
        "name": row.get("display_name"),
        "type": row.get("contact_type"),
        "onboarding": row.get("onboarding_status"),
        "phone": row.get("phone"),
        "bsuid": row.get("bsuid"),
        "consent: transfer": _consent(row, "transfer"),
        "consent: training": _consent(row, "training"),
        "consent: marketing": _consent(row, "marketing"),
        "agent": " · ".join(str(x) for x in profile if x) or None,
        "WhatsApp window": window,
        "last inbound": local_time(row.get("last_inbound")),
        "last outbound": local_time(row.get("last_outbound")),
        "latest session": session,
        "open requests": row.get("open_requests"),
        "since": local_time(row.get("created_at")),
    })
