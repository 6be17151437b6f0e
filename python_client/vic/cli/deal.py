"""`vic deal …`: Deals: open, offers, dual-confirm closing, cancel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer
from vic.cli.common import (
    DatabaseUrl,
    DealIdArg,
    _amount,
    _amount_option,
    _client,
    _reported,
    _show_row,
)

app = typer.Typer(no_args_is_help=True, help="Deals: open, offers, dual-confirm closing, cancel.")
OfferIdArg = Annotated[str, typer.Argument(metavar="OFFER_ID", help="The offer (uuid).", show_default=False)]
AmountArg = Annotated[
    str, typer.Argument(metavar="AMOUNT", help="Whole units: 12000000 or 12.000.000.", show_default=False)
]
DEAL_FIELDS = ("id", "portfolio_id", "customer_id", "listing_agent_id", "buying_agent_id", "is_cross_agent", "status",
               "offer_price", "closing_price", "commission_total", "cancel_reason", "last_activity_at", "closed_at")


def _show_deal(row: Mapping[str, Any]) -> None:
    _show_row(f"deal {row.get('id', '')}", {k: row[k] for k in DEAL_FIELDS if k in row})


def _show_offer(row: Mapping[str, Any]) -> None:
    _show_row(f"offer {row.get('id', '')}", row)


@app.command("open")
def deal_open(
    ctx: typer.Context,
    match_id: Annotated[str | None, typer.Option("--match", help="Open from this match (uuid).")] = None,
    portfolio_id: Annotated[str | None, typer.Option("--listing", help="The listing, e.g. 2026-001.")] = None,
    customer_id: Annotated[str | None, typer.Option("--customer", help="The customer (uuid).")] = None,
    request_id: Annotated[str | None, typer.Option("--request", help="The customer's request (uuid).")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Open a deal from a match, or for a listing and a customer or request (open_deal)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.open_deal(match_id=match_id, portfolio_id=portfolio_id, customer_id=customer_id,
                            request_id=request_id)
    _show_deal(row)


@app.command("cancel")
def deal_cancel(
    ctx: typer.Context,
    deal_id: DealIdArg,
    reason: Annotated[str, typer.Option(help="Why the deal is cancelled.", show_default=False)],
    database_url: DatabaseUrl = None,
) -> None:
    """Cancel an open deal, saying why (cancel_deal)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.cancel_deal(deal_id=deal_id, reason=reason)
    _show_deal(row)


@app.command("offer")
def deal_offer(ctx: typer.Context, deal_id: DealIdArg, amount: AmountArg, database_url: DatabaseUrl = None) -> None:
    """Make an offer to the other party (make_offer)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.make_offer(deal_id=deal_id, amount=_amount(amount))
    _show_offer(row)


@app.command("counter")
def deal_counter(ctx: typer.Context, offer_id: OfferIdArg, amount: AmountArg, database_url: DatabaseUrl = None) -> None:
    """Counter the pending offer made to you (counter_offer)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.counter_offer(offer_id=offer_id, amount=_amount(amount))
    _show_offer(row)


@app.command("accept")
def deal_accept(ctx: typer.Context, offer_id: OfferIdArg, database_url: DatabaseUrl = None) -> None:
    """Accept the pending offer made to you: the deal is agreed (accept_offer)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.accept_offer(offer_id=offer_id)
    _show_offer(row)


@app.command("reject")
def deal_reject(ctx: typer.Context, offer_id: OfferIdArg, database_url: DatabaseUrl = None) -> None:
    """Reject the pending offer made to you (reject_offer)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.reject_offer(offer_id=offer_id)
    _show_offer(row)


@app.command("close")
def deal_close(
    ctx: typer.Context,
    deal_id: DealIdArg,
    price: Annotated[str | None, _amount_option("The closing price (default: the agreed price)")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Start closing an agreed deal: each agent side must then confirm (start_closing)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.start_closing(deal_id=deal_id, closing_price=_amount(price))
    _show_deal(row)


@app.command("confirm")
def deal_confirm(ctx: typer.Context, deal_id: DealIdArg, database_url: DatabaseUrl = None) -> None:
    """Confirm your side of a closing deal; the last side closes it (confirm_closing)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.confirm_closing(deal_id=deal_id)
    _show_row(f"deal {deal_id}", row)
