"""`vic deal …`: Deals: open, offers, dual-confirm closing, cancel."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

import typer

from vic import demo as demo_view
from vic.cli.common import (
    DatabaseUrl,
    DealIdArg,
    Json,
    Limit,
    Offset,
    _amount,
    _amount_option,
    _client,
    _local,
    _print_json,
    _reported,
    _show_narrow,
    _show_row,
    _text,
    out,
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


# ------------------------------------------------------------------------------------- reads
def _money(amount: Any, currency: Any) -> str:
    return "—" if amount is None else demo_view.money(int(amount), currency or "TRY")


@app.command("list")
def deal_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(metavar="STATUS", help="open (neither closed nor cancelled), matched, "
                                               "showing, negotiating, agreed, closing, closed or cancelled; default: "
                                               "all.", show_default=False)] = None,
    limit: Limit = None,
    offset: Offset = None,
    as_json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """The deals you see, the most recently active first: listing, customer, agents, status (list_deals)."""
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.list_deals(status=status, limit=limit, offset=offset)
    if as_json:
        _print_json(rows)
        return
    if not rows:
        out.print("no deals")
        return
    _show_narrow(f"Deals: {len(rows)}", {
        "deal": "deal_id", "listing": "portfolio_id", "customer": "customer_name", "listing agent": "listing_agent_name",
        "buying agent": "buying_agent_name", "status": "status", "last activity": "_active",
    }, [{**r, "_active": _local(r.get("last_activity_at"))} for r in rows])


@app.command("show")
def deal_show(ctx: typer.Context, deal_id: DealIdArg, as_json: Json = False, database_url: DatabaseUrl = None) -> None:
    """One deal in full: parties, prices, offers, showings, the closing's confirmations and the commission rows
    you may read (deal_summary)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.deal_summary(deal_id=deal_id)
    if as_json:
        _print_json(row)
        return
    currency = row.get("currency")  # the listing's: every amount of the deal is in it
    _show_row(f"deal {_text(row.get('deal_id'))}", {
        "listing": f"{_text(row.get('portfolio_id'))} {row.get('listing_title') or ''}".strip(),
        "status": row.get("status"),
        "customer": row.get("customer_name"),
        "listing agent": row.get("listing_agent_name"),
        "buying agent": row.get("buying_agent_name") if row.get("is_cross_agent") else "— (not a co-broking deal)",
        "agreed price": _money(row.get("offer_price"), currency),
        "closing price": _money(row.get("closing_price"), currency),
        "cancel reason": row.get("cancel_reason"),
        "last activity": _local(row.get("last_activity_at")),
        "closed at": _local(row.get("closed_at")),
    })
    sections = (
        ("Offers", "offers", {"from": "from_name", "to": "to_name", "amount": "_amount", "status": "status",
                              "made": "_created"}),
        ("Showings", "showings", {"starts": "_starts", "ends": "_ends", "status": "status", "agent": "agent_name"}),
        ("Closing confirmations", "confirmations", {"side": "role", "agent": "agent_name", "confirmed": "confirmed",
                                                    "at": "_confirmed", "reminded": "reminder_sent"}),
        ("Commission rows", "commissions", {"side": "role", "who": "_who", "share": "_rate", "amount": "_amount",
                                            "status": "status"}),
    )
    for title, key, columns in sections:
        items = row.get(key) or []
        if not items:
            continue
        _show_narrow(title, columns, [{
            **item, "_amount": _money(item.get("amount"), currency), "_created": _local(_moment_of(item.get("created_at"))),
            "_starts": _local(_moment_of(item.get("scheduled_at"))), "_ends": _local(_moment_of(item.get("ends_at"))),
            "_confirmed": _local(_moment_of(item.get("confirmed_at"))), "_rate": f"{item.get('rate')}%",
            "_who": item.get("name") or ("VIC (platform)" if item.get("role") == "platform" else None),
        } for item in items])


def _moment_of(value: Any) -> Any:
    """A time inside a JSON list (ISO text) as a datetime."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value
