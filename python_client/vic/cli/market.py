"""`vic market …`: Market signals: unmet demand."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import typer

from vic.cli.common import client, ISTANBUL, local_time, price, reported, show_rows

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
) -> None:
    """Demand that found no listing, by district, type and price band (unmet_demand)."""
    until = until_text or datetime.now(ISTANBUL)
    since = since_text or until - timedelta(days=30)
    with reported(), client(ctx) as vic:
        rows = vic.unmet_demand(since=since, until=until)
    show_rows(f"Unmet demand, {local_time(since)} – {local_time(until)}",
              {"district": "district", "type": "type", "price band": price, "signals": "signals"}, rows,
              right=("signals",), empty=f"no unmet demand from {local_time(since)} to {local_time(until)}")
