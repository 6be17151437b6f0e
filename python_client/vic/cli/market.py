"""`vic market …`: Market signals: unmet demand."""

from __future__ import annotations

from typing import Annotated

import typer

from vic.cli.common import client, local_time, price, reported, show_rows

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
    since, until = since_text, until_text
    with reported(), client(ctx) as vic:
        rows = vic.unmet_demand(since=since, until=until)  # a bound not given is the database's default
    period = " ".join([f"from {local_time(since)}"] * bool(since) + [f"to {local_time(until)}"] * bool(until)) \
        or "in the default period"
    show_rows(f"Unmet demand {period}",
              {"district": "district", "type": "type", "price band": price, "signals": "signals"}, rows,
              right=("signals",), empty=f"no unmet demand {period}")
