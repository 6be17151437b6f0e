"""`vic nudge …`: Template nudges for WhatsApp windows that closed: claim them."""

from __future__ import annotations

from typing import Annotated

import typer
from vic.cli.common import (
    DatabaseUrl,
    _client,
    _interval,
    _local,
    _reported,
    _show_narrow,
    out,
)

app = typer.Typer(no_args_is_help=True, help="Template nudges for WhatsApp windows that closed: claim them.")


# ------------------------------------------------------------------------------------- nudges
@app.command("claim")
def nudge_claim(
    ctx: typer.Context,
    batch: Annotated[int | None, typer.Option(metavar="N", help="At most this many nudges (1-1000); the database's "
                                              "default: 100.", show_default=False)] = None,
    max_age: Annotated[
        str | None, typer.Option(metavar="AGE", help="Only windows closed at most this long ago: days (7) or an "
                                 "interval; default 7 days, at most 30.", show_default=False)
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Claim template nudges for windows that closed, one per closed window, marking them sent (claim_nudges)."""
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.claim_nudges(batch=batch, max_age=_interval(max_age, "days", "--max-age"))
    if not rows:
        out.print("no nudge due")
        return
    shown = [dict(row, _to=row.get("phone") or row.get("bsuid") or "—", _closed=_local(row.get("window_closed_at")))
             for row in rows]
    _show_narrow(f"Nudges claimed: {len(rows)}", {"contact": "contact_id", "to": "_to", "name": "display_name",
                                                   "lang": "language", "window closed": "_closed"}, shown)
