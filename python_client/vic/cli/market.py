"""`vic market …`: Market signals: unmet demand."""

from __future__ import annotations

from typing import Annotated

import typer
from vic.cli.common import (
    DatabaseUrl,
    _client,
    _local,
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
    until = _moment(until_text, "--until")
    since = _moment(since_text, "--since")
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.unmet_demand(since=since, until=until)
    # the period as given; a bound not given is the database's default
    period = " ".join([f"from {_local(since)}"] * bool(since) + [f"to {_local(until)}"] * bool(until)) \
        or "in the default period"
    if not rows:
        out.print(f"no unmet demand {period}")
        return
    _show_rows(f"Unmet demand {period}",
               {"district": "district", "type": "type", "price band": "band", "signals": "signals"},
               [{**row, "band": _price(row)} for row in rows], right=("signals",))
