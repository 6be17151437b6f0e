"""`vic notify …`: WhatsApp notifications: hand out (claim), record a send, share a listing card."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from vic.cli.common import (
    DatabaseUrl,
    Json,
    _client,
    _fail,
    _interval,
    _local,
    _print_json,
    _reported,
    _text,
    out,
)

app = typer.Typer(no_args_is_help=True, help="WhatsApp notifications: hand out (claim), record a send, share a listing card.")


# ------------------------------------------------------------------------------------- notifications
NOTIFY_WIDTH = 100  # the notify tables and cards fit 100 columns


def _uuid_arg(value: str, metavar: str) -> str:
    """A uuid argument, checked here so that the error names it (the value is not echoed: it may be a phone)."""
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        _fail(f"{metavar} must be a uuid (like 00000000-0000-4000-8000-000000000001)")


def _narrow() -> Console:
    return Console(width=NOTIFY_WIDTH, highlight=False)


@app.command("claim")
def notify_claim(
    ctx: typer.Context,
    batch: Annotated[
        int | None, typer.Option("--batch", metavar="N", help="How many to hand out at most: 1-500; default 50.",
                                 show_default=False)
    ] = None,
    lease: Annotated[
        str | None,
        typer.Option("--lease", metavar="TIME", help="How long you have to send them before they are handed out again: "
                     "seconds (300) or an interval ('5 minutes'), up to 1 hour; default 5 minutes.", show_default=False),
    ] = None,
    as_json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Hand out pending notifications whose contact's 24-hour window is open, oldest first, under a lease; send
    each, then record it with `vic notify sent` (claim_notifications). The bot (--service-role) and staff."""
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.claim_notifications(batch=batch, lease=_interval(lease, "seconds", "--lease"))
    if as_json:
        _print_json(rows)
        return
    if not rows:
        out.print("nothing to hand out: no pending notification to a contact whose window is open")
        return
    until = max((r["claimed_until"] for r in rows if r.get("claimed_until")), default=None)
    # a uuid, a phone, a kind, a time and a count fill 100 columns: the bodies are in --json
    table = Table(title=escape(f"Handed out: {len(rows)}, to send before {_local(until)} (bodies: --json)"),
                  title_justify="left")
    table.add_column("notification", no_wrap=True)
    table.add_column("to", no_wrap=True, max_width=16, overflow="ellipsis")
    table.add_column("kind", no_wrap=True)
    table.add_column("queued", no_wrap=True)
    table.add_column("try", justify="right", no_wrap=True)
    for r in rows:
        table.add_row(escape(_text(r.get("id"))), escape(r.get("phone") or r.get("bsuid") or "—"),
                      escape(_text(r.get("kind"))), _local(r.get("created_at")), escape(_text(r.get("claim_attempts"))))
    _narrow().print(table)


@app.command("sent")
def notify_sent(
    ctx: typer.Context,
    notification_id: Annotated[
        str, typer.Argument(metavar="NOTIFICATION_ID", help="The notification you sent (uuid).", show_default=False)
    ],
    wa_message_id: Annotated[
        str, typer.Argument(metavar="WA_MESSAGE_ID", help="The message id WhatsApp returned (wamid....).",
                            show_default=False)
    ],
    as_json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Record that a handed-out notification went out: the send is logged with its WhatsApp id and the notification
    marked delivered, once (notification_sent). The bot (--service-role) and staff."""
    nid = _uuid_arg(notification_id, "NOTIFICATION_ID")
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.notification_sent(notification_id=nid, wa_message_id=wa_message_id)
    if as_json:
        _print_json(row)
        return
    table = Table(title=escape(f"notification {row.get('id', '')} delivered"), title_justify="left")
    table.add_column("field", no_wrap=True)
    table.add_column("value")
    for label, key in (("to contact", "contact_id"), ("kind", "kind"), ("delivered at", "delivered_at"),
                       ("WhatsApp id", "wa_message_id"), ("logged message", "message_id")):
        table.add_row(label, escape(_text(row.get(key))))
    _narrow().print(table)


@app.command("share")
def notify_share(
    ctx: typer.Context,
    match_id: Annotated[
        str, typer.Argument(metavar="MATCH_ID", help="The match of your customer's request and the listing (uuid).",
                            show_default=False)
    ],
    as_json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Send your customer a listing card of one of its request's matches, with what you see of the listing at your
    level; it goes out when the customer's window is open (share_listing). The request's agent (--as)."""
    mid = _uuid_arg(match_id, "MATCH_ID")
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.share_listing(match_id=mid)
    if as_json:
        _print_json(row)
        return
    state = "queued" if row.get("is_new") else "already queued"
    table = Table(title=escape(f"Listing {row.get('portfolio_id', '')} {state} for your customer"), title_justify="left")
    table.add_column("field", no_wrap=True)
    table.add_column("value")
    for label, value in (("notification", row.get("notification_id")), ("customer", row.get("customer_id")),
                         ("your level", row.get("visibility_level")), ("queued at", row.get("created_at")),
                         ("buttons", ", ".join(b.get("title", "") for b in row.get("buttons") or []))):
        table.add_row(label, escape(_text(value)))
    console = _narrow()
    console.print(table)
    console.print(escape(_text(row.get("body"))))
