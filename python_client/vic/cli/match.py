"""`vic match …`: Matches of listings and requests: why a pair matches; the matcher (drain, lag)."""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from vic import demo as demo_view
from vic.cli.common import (
    DRAIN_BATCH,
    DatabaseUrl,
    PortfolioIdArg,
    RequestIdArg,
    _client,
    _reported,
    _show_row,
    _text,
    out,
)

app = typer.Typer(no_args_is_help=True, help="Matches of listings and requests: why a pair matches; the matcher (drain, lag).")


# ------------------------------------------------------------------------------------- matching, market
def _mark(passed: Any) -> str:
    return "[green]yes[/]" if passed else "[red]no[/]"


@app.command("explain")
def match_explain(
    ctx: typer.Context, portfolio_id: PortfolioIdArg, request_id: RequestIdArg, database_url: DatabaseUrl = None
) -> None:
    """Every criterion of a listing and a request: passed or not, and its points (explain_match)."""
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.explain_match(portfolio_id=portfolio_id, request_id=request_id)
    table = Table(title=escape(f"{portfolio_id} × {request_id}"), title_justify="left")
    table.add_column("criterion", no_wrap=True)
    table.add_column("passed")
    table.add_column("points", justify="right")
    for row in rows:
        criterion = _text(row.get("criterion"))
        points = _text(row.get("points")) if criterion in demo_view.SCORED else "hard filter"
        table.add_row(escape(criterion), _mark(row.get("passed")), escape(points))
    matched = bool(rows) and all(r.get("passed") for r in rows if r.get("criterion") in demo_view.HARD_FILTERS)
    score = sum(r.get("points") or 0 for r in rows)
    table.add_section()
    table.add_row("match" if matched else "no match", "", f"{score}/5" if matched else "")
    out.print(table)


@app.command("drain")
def match_drain(ctx: typer.Context, database_url: DatabaseUrl = None) -> None:
    """Run the matcher until no match event is pending, as the owner or --service-role; prints how many
    events it processed (process_match_events)."""
    total = 0
    with _reported(), _client(ctx, database_url) as vic:
        while n := vic.process_match_events(max=DRAIN_BATCH):
            total += n
    out.print(f"{total} match event{'' if total == 1 else 's'} processed")


@app.command("lag")
def match_lag(ctx: typer.Context, database_url: DatabaseUrl = None) -> None:
    """How far the matcher is behind: pending match events and when the oldest was written (match_event_lag)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.match_event_lag()
    _show_row("match events", row)
