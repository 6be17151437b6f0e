"""`vic nudge …`: Template nudges for WhatsApp windows that closed: claim them."""

from __future__ import annotations

from typing import Annotated

import typer

from vic.cli.common import client, interval, local_time, reported, show_rows

app = typer.Typer(no_args_is_help=True, help="Template nudges for WhatsApp windows that closed: claim them.")


@app.command("claim")
def nudge_claim(
    ctx: typer.Context,
    batch: Annotated[int | None, typer.Option(metavar="N", help="At most this many nudges (1-1000); the database's "
                                              "default: 100.", show_default=False)] = None,
    max_age: Annotated[
        str | None, typer.Option(metavar="AGE", help="Only windows closed at most this long ago: days (7) or an "
                                 "interval; default 7 days, at most 30.", show_default=False)
    ] = None,
) -> None:
    """Claim template nudges for windows that closed, one per closed window, marking them sent (claim_nudges)."""
    with reported(), client(ctx) as vic:
        rows = vic.claim_nudges(batch=batch, max_age=interval(max_age, "days", "--max-age"))
    show_rows(f"Nudges claimed: {len(rows)}", {
        "name": "display_name", "to": lambda r: r.get("phone") or r.get("bsuid"), "lang": "language",
        "window closed": lambda r: local_time(r.get("window_closed_at")), "contact": "contact_id"}, rows,
        empty="no nudge due")
