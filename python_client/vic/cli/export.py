"""`vic export …`: Exports: conversations for model training (staff)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from vic.cli.common import as_json, client, local_time, print_json, reported, show_rows

app = typer.Typer(no_args_is_help=True, help="Exports: conversations for model training (staff).")


@app.command("training")
def export_training(
    ctx: typer.Context,
    since_text: Annotated[
        str | None,
        typer.Option("--since", metavar="WHEN", help="Conversations whose last message is at or after this date or "
                     "time (Istanbul time unless an offset is given); default: all.", show_default=False),
    ] = None,
    limit: Annotated[
        int | None, typer.Option(help="At most this many conversations, 1-1000 (the database's default: 1000).",
                                 show_default=False)
    ] = None,
) -> None:
    """Conversations of contacts who consented to training (and to transfer), for staff; never content stored
    without transfer consent (export_training_conversations). With --json: JSON Lines, one conversation with its
    messages per line."""
    with reported(), client(ctx) as vic:
        rows = vic.export_training_conversations(since=since_text, limit=limit)
    if as_json():
        for row in rows:
            messages = [{**m, "at": datetime.fromisoformat(m["at"])} for m in row.get("messages") or []]
            print_json({**row, "messages": messages}, one_line=True)
        return
    show_rows(f"Training export: {len(rows)} conversation{'' if len(rows) == 1 else 's'} (--json for the messages)", {
        "session": lambda r: r.get("session_id") or "(outside a session)", "lang": "language", "msgs": "message_count",
        "first message": lambda r: local_time(r.get("started_at")),
        "last message": lambda r: local_time(r.get("last_message_at"))}, rows, right=("msgs",),
        empty="no conversation to export")
