"""`vic notify …`: WhatsApp notifications: hand out (claim), record a send, share a listing card."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from vic.cli.common import (
    as_json, cell, client, interval, local_time, out, print_json, reported, show_row, show_rows,
)

app = typer.Typer(no_args_is_help=True, help="WhatsApp notifications: hand out (claim), record a send, share a listing card.")


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
) -> None:
    """Hand out pending notifications whose contact's 24-hour window is open, oldest first, under a lease; send
    each, then record it with `vic notify sent` (claim_notifications). The bot (--service-role) and staff."""
    with reported(), client(ctx) as vic:
        rows = vic.claim_notifications(batch=batch, lease=interval(lease, "seconds", "--lease"))
    until = max((r["claimed_until"] for r in rows if r.get("claimed_until")), default=None)
    # the bodies are in --json: a table row per notification
    show_rows(f"Handed out: {len(rows)}, to send before {local_time(until)} (bodies: --json)", {
        "notification": "id", "to": lambda r: r.get("phone") or r.get("bsuid"), "kind": "kind",
        "queued": lambda r: local_time(r.get("created_at")), "try": "claim_attempts"}, rows, right=("try",),
        empty="nothing to hand out: no pending notification to a contact whose window is open")


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
) -> None:
    """Record that a handed-out notification went out: the send is logged with its WhatsApp id and the notification
    marked delivered, once (notification_sent). The bot (--service-role) and staff."""
    with reported(), client(ctx) as vic:
        row = vic.notification_sent(notification_id=notification_id, wa_message_id=wa_message_id)
    if as_json():
        print_json(row)
        return
    show_row(f"notification {row.get('id', '')} delivered", {
        label: row.get(key) for label, key in (("to contact", "contact_id"), ("kind", "kind"),
                                               ("delivered at", "delivered_at"), ("WhatsApp id", "wa_message_id"),
                                               ("logged message", "message_id"))})


@app.command("share")
def notify_share(
    ctx: typer.Context,
    match_id: Annotated[
        str, typer.Argument(metavar="MATCH_ID", help="The match of your customer's request and the listing (uuid).",
                            show_default=False)
    ],
) -> None:
    """Send your customer a listing card of one of its request's matches, with what you see of the listing at your
    level; it goes out when the customer's window is open (share_listing). The request's agent (--as)."""
    with reported(), client(ctx) as vic:
        row = vic.share_listing(match_id=match_id)
    if as_json():
        print_json(row)
        return
    state = "queued" if row.get("is_new") else "already queued"
    show_row(f"Listing {row.get('portfolio_id', '')} {state} for your customer", {
        "notification": row.get("notification_id"), "customer": row.get("customer_id"),
        "your level": row.get("visibility_level"), "queued at": row.get("created_at"),
        "buttons": ", ".join(b.get("title", "") for b in row.get("buttons") or [])})
    out.print(escape(cell(row.get("body"))))
