"""`vic match …`: Matches of listings and requests: why a pair matches; the matcher (drain, lag)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from vic.cli.common import (
    as_json, cell, client, DRAIN_BATCH, Limit, new_table, Offset, out, PortfolioIdArg, print_json,
    reported, RequestIdArg, say, show_row, show_rows, uuid_option,
)

app = typer.Typer(no_args_is_help=True, help="Matches of listings and requests: why a pair matches; the matcher (drain, lag).")


def _mark(passed: Any) -> str:
    return "[green]yes[/]" if passed else "[red]no[/]"


@app.command("explain")
def match_explain(
    ctx: typer.Context, portfolio_id: PortfolioIdArg, request_id: RequestIdArg
) -> None:
    """Every criterion of a listing and a request: passed or not, a hard filter or scored, its points, and the
    verdict (explain_match)."""
    with reported(), client(ctx) as vic:
        rows = vic.explain_match(portfolio_id=portfolio_id, request_id=request_id)
    if as_json():
        print_json(rows)
        return
    table = new_table(f"{portfolio_id} × {request_id}")
    table.add_column("criterion", no_wrap=True)
    table.add_column("passed")
    table.add_column("kind")
    table.add_column("points", justify="right")
    for row in rows:
        kind = " + ".join(["hard filter"] * bool(row.get("hard_filter")) + ["scored"] * bool(row.get("scored")))
        table.add_row(escape(cell(row.get("criterion"))), _mark(row.get("passed")), kind,
                      escape(cell(row.get("points"))) if row.get("scored") else "")
    verdict = rows[0] if rows else {}
    table.add_section()
    table.add_row(escape(cell(verdict.get("verdict"))), "", "",
                  f"{verdict.get('score')}/{verdict.get('max_score')}" if verdict.get("matched") else "")
    out.print(table)


@app.command("list")
def match_list(
    ctx: typer.Context,
    portfolio_id: Annotated[str | None, typer.Option("--listing", metavar="PORTFOLIO_ID",
                                                     help="Only this listing's matches.", show_default=False)] = None,
    request_id: Annotated[str | None, uuid_option("Only this request's matches.", "--request",
                                                  metavar="REQUEST_ID")] = None,
    limit: Limit = None,
    offset: Offset = None,
) -> None:
    """The matches you are a party to, newest first: listing, customer, agents, score (list_matches)."""
    with reported(), client(ctx) as vic:
        rows = vic.list_matches(portfolio_id=portfolio_id, request_id=request_id, limit=limit, offset=offset)
    # the ids stay whole (to copy into `match explain`) and the rest wraps beside them: 80 columns; all: --json
    show_rows(f"Matches: {len(rows)}, newest first", {
        "listing": "portfolio_id", "request": "request_id",
        "customer (agent) · listing": lambda r: " · ".join(x for x in (
            _with_agent(r.get("customer_name"), r.get("request_agent_name")), r.get("listing_title")) if x) or None,
        "score": "match_score",
    }, rows, right=("score",), empty="no matches")


def _with_agent(name: Any, agent: Any) -> str | None:
    """Emre Aydın (Zeynep Arslan); a name the caller may not read is —."""
    return f"{name or '—'} ({agent})" if agent else name


@app.command("drain")
def match_drain(ctx: typer.Context) -> None:
    """Run the matcher until no match event is pending, as the owner or --service-role; prints how many
    events it processed (process_match_events)."""
    total = 0
    with reported(), client(ctx) as vic:
        while n := vic.process_match_events(max=DRAIN_BATCH):
            total += n
    say(f"{total} match event{'' if total == 1 else 's'} processed", {"processed": total})


@app.command("lag")
def match_lag(ctx: typer.Context) -> None:
    """How far the matcher is behind: pending match events and when the oldest was written (match_event_lag)."""
    with reported(), client(ctx) as vic:
        row = vic.match_event_lag()
    show_row("match events", row)
