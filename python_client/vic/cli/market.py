"""`vic market …`: Market signals: unmet demand."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import typer
from vic.cli.common import (
    DatabaseUrl,
    ISTANBUL,
    _client,
    _moment,
    _price,
    _reported,
    _show_rows,
    out,
)

app = typer.Typer(no_args_is_help=True, help="Market signals: unmet demand.")


@app.command("unmet")
def market_unmet(
    ctx: typer.Context,
    since_text: Annotated[
        str | None,
        typer.Option("--since", metavar="WHEN", help="From this date or time (Istanbul time unless an offset is given); "
                     "default: 30 days ago.", show_default=False),
    ] = None,
    until_text: Annotated[
        str | None, typer.Option("--until", metavar="WHEN", help="Until this date or time; default: now.",
                                 show_default=False)
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Demand that found no listing, by district, type and price band (unmet_demand)."""
    until = _moment(until_text, "--until") or datetime.now(ISTANBUL)
    since = _moment(since_text, "--since") or until - timedelta(days=30)
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.unmet_demand(since=since, until=until)
    if not rows:
        out.print(f"no unmet demand from {since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M}")
        return
    _show_rows(f"Unmet demand, {since:%Y-%m-%d %H:%M} – {until:%Y-%m-%d %H:%M}",
               {"district": "district", "type": "type", "price band": "band", "signals": "signals"},
               [{**row, "band": _price(row)} for row in rows], right=("signals",))
