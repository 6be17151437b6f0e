"""`vic inbox …`: WhatsApp messages: ingest (each stored once), claim, acknowledge, release; dead letters."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any

import typer
from rich.markup import escape

from vic.cli.common import (
    as_json, cell, client, fail, interval, local_time, new_table, out, print_json, reported, say, show_row,
    uuid_argument,
)

app = typer.Typer(no_args_is_help=True, help="WhatsApp messages: ingest (each stored once), claim, acknowledge, release; dead letters.")


@app.command("ingest")
def inbox_ingest(
    ctx: typer.Context,
    wa_id: Annotated[
        str, typer.Option("--wa-id", help="WhatsApp's message id (wamid…): a redelivery with the same id changes "
                          "nothing.", show_default=False)
    ],
    direction: Annotated[
        str, typer.Option(help="inbound (from the contact) or outbound (to the contact).", show_default=False)
    ],
    from_: Annotated[
        str | None, typer.Option("--from", help="Sender: the contact's phone (+905321234567) or bsuid for an inbound "
                                 "message; ours (may be left out) for an outbound one.")
    ] = None,
    to: Annotated[
        str | None, typer.Option(help="Recipient: the contact's phone or bsuid for an outbound message; ours (may be "
                                 "left out) for an inbound one.")
    ] = None,
    type: Annotated[
        str | None, typer.Option("--type", help="text (the database's default), image, video, audio, document, "
                                 "location, contacts, sticker, reaction, button, interactive or template.")
    ] = None,
    text: Annotated[str | None, typer.Option(metavar="WORDS", help="The message text (at most 10000 characters).")] = None,
    payload: Annotated[
        str | None, typer.Option(metavar="JSON", help="Interactive reply payload, a JSON object: "
                                 '\'{"button_reply": {"id": "evet"}}\'.')
    ] = None,
    at: Annotated[
        str | None, typer.Option(metavar="WHEN", help="When WhatsApp says it was sent: 2026-12-04T16:01 (Istanbul "
                                 "time unless an offset is given); default now.", show_default=False)
    ] = None,
) -> None:
    """Store one WhatsApp message: the contact is registered when new, the message joins its active session, and
    inbound text is kept only with the contact's transfer consent (ingest_message)."""
    interactive = None
    if payload is not None:
        try:
            interactive = json.loads(payload)
        except ValueError:
            interactive = None
        if not isinstance(interactive, dict):
            fail('--payload must be a JSON object, e.g. \'{"button_reply": {"id": "evet"}}\'')
    with reported(), client(ctx) as vic:
        row = vic.ingest_message(wa_message_id=wa_id, direction=direction, from_=from_, to=to, message_type=type,
                                 content=text, interactive_payload=interactive, sent_at=at)
    new = bool(row.get("is_new"))
    if as_json():
        print_json(row)
        return
    show_row("message" if new else "message (already stored: nothing changed)",
              {"message id": row.get("message_id"), "new": new})


MessageIdArg = Annotated[str, uuid_argument("MESSAGE_ID", "The message (uuid).")]
Worker = Annotated[
    str,
    typer.Option("--worker", envvar="VIC_WORKER", metavar="NAME",
                 help="Who is working the messages (1-200 characters); the same name acknowledges and releases them. "
                      "Default: your user and host.", show_default=False),
]


def _default_worker() -> str:
    import getpass
    import socket

    with contextlib.suppress(Exception):
        return f"{getpass.getuser()}@{socket.gethostname()}"[:200]
    return "vic-cli"


def _message_text(row: Mapping[str, Any]) -> str:
    """A message's text on one line, or its type in brackets when it has none (media, or stored without content)."""
    content = row.get("content")
    if content:
        return " ".join(str(content).split())
    return f"[{row.get('message_type') or 'message'}]"


def _senders(vic: Any, rows: Sequence[Mapping[str, Any]]) -> Callable[[Any], str]:
    """Who sent each message, by name (contact_names; an unnamed contact shows the start of its id)."""
    ids = sorted({str(r["from_contact"]) for r in rows if r.get("from_contact")})
    names = {str(n["contact_id"]): n["display_name"] for n in vic.contact_names(contact_ids=ids)} if ids else {}
    return lambda contact: "—" if contact is None else names.get(str(contact)) or str(contact)[:8]


def _inbox_table(title: str, columns: Sequence[tuple[str, int | None]], rows: Sequence[Sequence[str]]) -> None:
    """A table as wide as the terminal (at most 120 columns): `columns` are (header, width); the one without a width
    takes the rest, each of its cells cut to fit with an ellipsis; an id folds when the terminal is narrow."""
    total = min(out.width, 120)
    fixed = sum(width for _, width in columns if width is not None)
    rest = max(12, total - fixed - 3 * len(columns) - 1)  # borders: "│ " before each cell, " │" after the last
    t = new_table(title)
    for header, width in columns:
        t.add_column(header, overflow="fold" if width else "ellipsis", no_wrap=not width, max_width=width or rest)
    for row in rows:
        t.add_row(*(escape(value if width else (value if len(value) <= rest else value[:rest - 1] + "…"))
                    for value, (_, width) in zip(row, columns)))
    out.print(t, width=total)


@app.command("claim")
def inbox_claim(
    ctx: typer.Context,
    worker: Worker = "",
    batch: Annotated[int | None, typer.Option(metavar="N", help="How many messages at most (1-1000); the "
                                              "database's default: 10.", show_default=False)] = None,
    lease: Annotated[
        str | None, typer.Option(metavar="TIME", help="How long they are yours before they go to another worker: "
                                 "seconds (300) or an interval ('5 minutes'); 1 second to 1 hour; the database's "
                                 "default: 5 minutes.", show_default=False)
    ] = None,
    max_attempts: Annotated[
        int | None, typer.Option(metavar="N", help="A message tried this many times goes to the dead letters instead "
                                 "(1-100); the database's default: 5.", show_default=False)
    ] = None,
) -> None:
    """Take the next waiting messages: each contact's oldest first, and a contact only while no other worker holds
    its messages; handle them in the order shown, then ack or release each (claim_messages)."""
    name = worker or _default_worker()
    with reported(), client(ctx) as vic:
        rows = vic.claim_messages(worker=name, batch=batch, lease=interval(lease, "seconds", "--lease"),
                                  max_attempts=max_attempts)
        sender = _senders(vic, rows) if rows and not as_json() else None
    if as_json():
        print_json(rows)
        return
    if not rows:
        out.print("no message waiting")
        return
    until = rows[0].get("lease_until")
    _inbox_table(f"{len(rows)} message{'' if len(rows) == 1 else 's'} for {name}"
                 + (f", yours until {local_time(until)}" if until else ""),
                 [("message", 36), ("received", 16), ("contact", 12), ("try", 3), ("text", None)],
                 [[cell(r.get("id")), local_time(r.get("created_at")) if r.get("created_at") else "—",
                   sender(r.get("from_contact")), cell(r.get("claim_attempts")), _message_text(r)] for r in rows])


@app.command("ack")
def inbox_ack(ctx: typer.Context, message_id: MessageIdArg, worker: Worker = "") -> None:
    """Mark a message you hold as handled; it is never handed out again (ack_message)."""
    with reported(), client(ctx) as vic:
        row = vic.ack_message(message_id=message_id, worker=worker or _default_worker())
    processed = row.get("processed_at")
    if as_json():
        print_json(row)
        return
    out.print(f"message {row.get('id', message_id)} acknowledged" + (f" at {local_time(processed)}" if processed else ""))


@app.command("ack-batch")
def inbox_ack_batch(
    ctx: typer.Context,
    message_ids: Annotated[
        list[str], typer.Argument(metavar="MESSAGE_ID...", help="The messages (uuids, 1-1000).", show_default=False)
    ],
    worker: Worker = "",
) -> None:
    """Mark several messages you hold as handled, all or none (ack_messages)."""
    with reported(), client(ctx) as vic:
        rows = vic.ack_messages(message_ids=message_ids, worker=worker or _default_worker())
    say(f"{len(rows)} message{'' if len(rows) == 1 else 's'} acknowledged", rows)


@app.command("release")
def inbox_release(
    ctx: typer.Context,
    message_id: MessageIdArg,
    worker: Worker = "",
    error: Annotated[
        str | None, typer.Option(metavar="REASON", help="What went wrong (1-2000 characters): the try counts as failed. "
                                 "Without it the message goes back untried.", show_default=False)
    ] = None,
) -> None:
    """Hand a message you hold back at once, with your later messages of the same contact (release_message)."""
    with reported(), client(ctx) as vic:
        rows = vic.release_message(message_id=message_id, worker=worker or _default_worker(), error=error)
    if as_json():
        print_json(rows)
        return
    _inbox_table(f"{len(rows)} message{'' if len(rows) == 1 else 's'} handed back",
                 [("message", 36), ("tries", 5), ("last error", None)],
                 [[cell(r.get("id")), cell(r.get("claim_attempts")), cell(r.get("last_error"))] for r in rows])


@app.command("dead")
def inbox_dead(
    ctx: typer.Context,
    limit: Annotated[int | None, typer.Option(metavar="N", help="How many (1-500); the database's default: 50.",
                                              show_default=False)] = None,
    offset: Annotated[int | None, typer.Option(metavar="N", help="Skip this many first (0-100000).",
                                               show_default=False)] = None,
) -> None:
    """Messages that failed too often and are no longer handed out, newest first (dead_messages)."""
    with reported(), client(ctx) as vic:
        rows = vic.dead_messages(limit=limit, offset=offset)
        sender = _senders(vic, rows) if rows and not as_json() else None
    if as_json():
        print_json(rows)
        return
    if not rows:
        out.print("no dead letter")
        return
    _inbox_table(f"Dead letters: {len(rows)}",
                 [("message", 36), ("died", 16), ("contact", 12), ("tries", 5), ("last error", None)],
                 [[cell(r.get("id")), local_time(r.get("dead_at")) if r.get("dead_at") else "—",
                   sender(r.get("from_contact")), cell(r.get("claim_attempts")), cell(r.get("last_error"))] for r in rows])


@app.command("requeue")
def inbox_requeue(ctx: typer.Context, message_id: MessageIdArg) -> None:
    """Put a dead letter back in the queue with its tries at 0; it goes out before its contact's later messages
    (requeue_message)."""
    with reported(), client(ctx) as vic:
        row = vic.requeue_message(message_id=message_id)
    say(f"message {row.get('id', message_id)} is back in the queue", row)
