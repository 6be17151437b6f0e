"""`vic export …`: Exports: conversations for model training (staff)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from vic.cli.common import (
    DatabaseUrl,
    _client,
    _local,
    _moment,
    _print_json,
    _reported,
    _text,
    out,
)

app = typer.Typer(no_args_is_help=True, help="Exports: conversations for model training (staff).")


EXPORT_COLUMNS = {"session": "session_id", "lang": "language", "msgs": "message_count", "first message": "first",
                  "last message": "last"}


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
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON Lines: one conversation with its messages per line.")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Conversations of contacts who consented to training (and to transfer), for staff; never content stored
    without transfer consent (export_training_conversations)."""
    since = _moment(since_text, "--since")
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.export_training_conversations(since=since, limit=limit)
    if as_json:
        for row in rows:
            messages = [{**m, "at": datetime.fromisoformat(m["at"])} for m in row.get("messages") or []]
            _print_json({**row, "messages": messages}, one_line=True)
        return
    if not rows:
        out.print("no conversation to export")
        return
    table = Table(title=escape(f"Training export: {len(rows)} conversation{'' if len(rows) == 1 else 's'} "
                               "(--json for the messages)"), title_justify="left")
    for header in EXPORT_COLUMNS:
        table.add_column(header, no_wrap=True, justify="right" if header == "msgs" else "left")
    for row in rows:
        shown = {**row, "first": _local(row.get("started_at")), "last": _local(row.get("last_message_at")),
                 "session_id": row.get("session_id") or "(outside a session)"}
        table.add_row(*(escape(_text(shown.get(field))) for field in EXPORT_COLUMNS.values()))
    Console(width=100, highlight=False).print(table)
