"""`vic match …`: Matches of listings and requests: why a pair matches; the matcher (drain, lag)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from vic.cli.common import (
    DRAIN_BATCH,
    DatabaseUrl,
    Json,
    Limit,
    Offset,
    PortfolioIdArg,
    RequestIdArg,
    _client,
    _local,
    _print_json,
    _reported,
    _show_narrow,
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
    ctx: typer.Context, portfolio_id: PortfolioIdArg, request_id: RequestIdArg, as_json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Every criterion of a listing and a request: passed or not, a hard filter or scored, its points, and
    the verdict (explain_match)."""
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.explain_match(portfolio_id=portfolio_id, request_id=request_id)
    if as_json:
        _print_json(rows)
        return
    table = Table(title=escape(f"{portfolio_id} × {request_id}"), title_justify="left")
    table.add_column("criterion", no_wrap=True)
    table.add_column("passed")
    table.add_column("kind")
    table.add_column("points", justify="right")
    for row in rows:
        kind = " + ".join(["hard filter"] * bool(row.get("hard_filter")) + ["scored"] * bool(row.get("scored")))
        table.add_row(escape(_text(row.get("criterion"))), _mark(row.get("passed")), kind,
                      escape(_text(row.get("points"))) if row.get("scored") else "")
    verdict = rows[0] if rows else {}
    table.add_section()
    table.add_row(escape(_text(verdict.get("verdict"))), "", "",
                  f"{verdict['score']}/{verdict['max_score']}" if verdict.get("matched") and "score" in verdict else "")
    out.print(table)


@app.command("list")
def match_list(
    ctx: typer.Context,
    portfolio_id: Annotated[str | None, typer.Option("--listing", metavar="PORTFOLIO_ID",
                                                     help="Only this listing's matches.", show_default=False)] = None,
    request_id: Annotated[str | None, typer.Option("--request", metavar="REQUEST_ID",
                                                   help="Only this request's matches.", show_default=False)] = None,
    limit: Limit = None,
    offset: Offset = None,
    as_json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """The matches you are a party to, newest first: listing, customer, agents and score (list_matches)."""
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.list_matches(portfolio_id=portfolio_id, request_id=request_id, limit=limit, offset=offset)
    if as_json:
        _print_json(rows)
        return
    if not rows:
        out.print("no matches")
        return
    _show_narrow(f"Matches: {len(rows)}", {
        "listing": "portfolio_id", "title": "listing_title", "customer": "customer_name", "request": "request_id",
        "request agent": "request_agent_name", "score": "match_score", "found": "_when",
    }, [{**r, "_when": _local(r.get("created_at"))} for r in rows])


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
