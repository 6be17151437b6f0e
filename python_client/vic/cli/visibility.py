"""`vic visibility …`: Other agents' listings: visibility grants and cards."""

from __future__ import annotations

from typing import Annotated

import typer

from vic.cli.common import client, reported, show_cards, show_row

app = typer.Typer(no_args_is_help=True, help="Other agents' listings: visibility grants and cards.")


@app.command("grant")
def visibility_grant(
    ctx: typer.Context,
    portfolio_id: Annotated[
        str, typer.Argument(metavar="PORTFOLIO_ID", help="The listing, e.g. 2026-001.", show_default=False)
    ],
    agent_id: Annotated[
        str, typer.Argument(metavar="AGENT_ID", help="The agent who may see it (contact id).", show_default=False)
    ],
    level: Annotated[str, typer.Argument(metavar="LEVEL", help="anonymous, partial or full.", show_default=False)],
    deal_id: Annotated[str | None, typer.Option(help="Refused when given: only a deal itself names the deal that unlocked a grant.")] = None,
) -> None:
    """Let an agent see a listing at a level; never lowers one (grant_visibility)."""
    with reported(), client(ctx) as vic:
        row = vic.grant_visibility(portfolio_id=portfolio_id, agent_id=agent_id, level=level, deal_id=deal_id)
    show_row("visibility grant", row)


@app.command("cards")
def visibility_cards(
    ctx: typer.Context,
    portfolio_ids: Annotated[
        list[str] | None,
        typer.Argument(metavar="PORTFOLIO_ID", help="Only these listings (default: every card).", show_default=False),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many (the database's default: 50).")] = None,
    offset: Annotated[int | None, typer.Option(help="Skip this many first (default 0).")] = None,
) -> None:
    """Listing cards at the acting agent's visibility level (portfolio_cards)."""
    with reported(), client(ctx) as vic:
        rows = vic.portfolio_cards(portfolio_ids=portfolio_ids or None, limit=limit, offset=offset)
    show_cards(rows)
