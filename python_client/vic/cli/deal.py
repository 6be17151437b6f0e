"""`vic deal …`: Deals: open, offers, dual-confirm closing, cancel."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

import typer

from vic.cli.common import (
    amount_option, as_json, client, DealIdArg, Limit, local_time, money, Offset, print_json, reported, show_row,
    show_rows,
)

app = typer.Typer(no_args_is_help=True, help="Deals: open, offers, dual-confirm closing, cancel.")
OfferIdArg = Annotated[str, typer.Argument(metavar="OFFER_ID", help="The offer (uuid).", show_default=False)]
AmountArg = Annotated[
    str, typer.Argument(metavar="AMOUNT", help="Whole units: 12000000 or 12.000.000.", show_default=False)
]
DEAL_FIELDS = ("id", "portfolio_id", "customer_id", "listing_agent_id", "buying_agent_id", "is_cross_agent", "status",
               "offer_price", "closing_price", "commission_total", "cancel_reason", "last_activity_at", "closed_at")


def _show_deal(row: Mapping[str, Any]) -> None:
    show_row(f"deal {row.get('id', '')}", {k: row[k] for k in DEAL_FIELDS if k in row})


def _show_offer(row: Mapping[str, Any]) -> None:
    show_row(f"offer {row.get('id', '')}", row)


@app.command("open")
def deal_open(
    ctx: typer.Context,
    match_id: Annotated[str | None, typer.Option("--match", help="Open from this match (uuid).")] = None,
    portfolio_id: Annotated[str | None, typer.Option("--listing", help="The listing, e.g. 2026-001.")] = None,
    customer_id: Annotated[str | None, typer.Option("--customer", help="The customer (uuid).")] = None,
    request_id: Annotated[str | None, typer.Option("--request", help="The customer's request (uuid).")] = None,
) -> None:
    """Open a deal from a match, or for a listing and a customer or request (open_deal)."""
    with reported(), client(ctx) as vic:
        row = vic.open_deal(match_id=match_id, portfolio_id=portfolio_id, customer_id=customer_id,
                            request_id=request_id)
    _show_deal(row)


@app.command("cancel")
def deal_cancel(
    ctx: typer.Context,
    deal_id: DealIdArg,
    reason: Annotated[str, typer.Option(help="Why the deal is cancelled.", show_default=False)],
) -> None:
    """Cancel an open deal, saying why (cancel_deal)."""
    with reported(), client(ctx) as vic:
        row = vic.cancel_deal(deal_id=deal_id, reason=reason)
    _show_deal(row)


@app.command("offer")
def deal_offer(ctx: typer.Context, deal_id: DealIdArg, amount: AmountArg) -> None:
    """Make an offer to the other party (make_offer)."""
    with reported(), client(ctx) as vic:
        row = vic.make_offer(deal_id=deal_id, amount=amount)
    _show_offer(row)


@app.command("counter")
def deal_counter(ctx: typer.Context, offer_id: OfferIdArg, amount: AmountArg) -> None:
    """Counter the pending offer made to you (counter_offer)."""
    with reported(), client(ctx) as vic:
        row = vic.counter_offer(offer_id=offer_id, amount=amount)
    _show_offer(row)


@app.command("accept")
def deal_accept(ctx: typer.Context, offer_id: OfferIdArg) -> None:
    """Accept the pending offer made to you: the deal is agreed (accept_offer)."""
    with reported(), client(ctx) as vic:
        row = vic.accept_offer(offer_id=offer_id)
    _show_offer(row)


@app.command("reject")
def deal_reject(ctx: typer.Context, offer_id: OfferIdArg) -> None:
    """Reject the pending offer made to you (reject_offer)."""
    with reported(), client(ctx) as vic:
        row = vic.reject_offer(offer_id=offer_id)
    _show_offer(row)


@app.command("close")
def deal_close(
    ctx: typer.Context,
    deal_id: DealIdArg,
    price: Annotated[str | None, amount_option("The closing price (default: the agreed price)")] = None,
) -> None:
    """Start closing an agreed deal: each agent side must then confirm (start_closing)."""
    with reported(), client(ctx) as vic:
        row = vic.start_closing(deal_id=deal_id, closing_price=price)
    _show_deal(row)


@app.command("confirm")
def deal_confirm(ctx: typer.Context, deal_id: DealIdArg) -> None:
    """Confirm your side of a closing deal; the last side closes it (confirm_closing)."""
    with reported(), client(ctx) as vic:
        row = vic.confirm_closing(deal_id=deal_id)
    show_row(f"deal {deal_id}", row)


# ------------------------------------------------------------------------------------- reads
def _moment_of(value: Any) -> datetime | None:
    """A time inside a JSON list (ISO text) as a datetime."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


@app.command("list")
def deal_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(metavar="STATUS", help="open (neither closed nor cancelled), matched, "
                                               "showing, negotiating, agreed, closing, closed or cancelled; default: "
                                               "all.", show_default=False)] = None,
    limit: Limit = None,
    offset: Offset = None,
) -> None:
    """The deals you see, the most recently active first: listing, customer, agents, status (list_deals)."""
    with reported(), client(ctx) as vic:
        rows = vic.list_deals(status=status, limit=limit, offset=offset)
    show_rows(f"Deals: {len(rows)}, the most recently active first", {
        "deal": "deal_id", "listing": "portfolio_id",
        "customer · agents (listing / buying)": lambda r: f"{r.get('customer_name') or '—'} · " + (" / ".join(
            x for x in (r.get("listing_agent_name"), r.get("buying_agent_name")) if x) or "—"),
        "status": "status",
    }, rows, empty="no deals")


@app.command("show")
def deal_show(ctx: typer.Context, deal_id: DealIdArg) -> None:
    """One deal in full: parties, prices, offers, showings, the closing's confirmations and the commission rows
    you may read (deal_summary)."""
    with reported(), client(ctx) as vic:
        row = vic.deal_summary(deal_id=deal_id)
    if as_json():
        print_json(row)
        return
    currency = row.get("currency")  # the listing's: every amount of the deal is in it
    show_row(f"deal {row.get('deal_id') or deal_id}", {
        "listing": " ".join(str(x) for x in (row.get("portfolio_id"), row.get("listing_title")) if x) or None,
        "status": row.get("status"),
        "customer": row.get("customer_name"),
        "listing agent": row.get("listing_agent_name"),
        "buying agent": row.get("buying_agent_name") if row.get("is_cross_agent") else "— (not a co-broking deal)",
        "agreed price": None if row.get("offer_price") is None else money(row["offer_price"], currency),
        "closing price": None if row.get("closing_price") is None else money(row["closing_price"], currency),
        "cancel reason": row.get("cancel_reason"),
        "last activity": local_time(row.get("last_activity_at")),
        "closed at": local_time(row.get("closed_at")),
    })
    amount = lambda item: None if item.get("amount") is None else money(item["amount"], currency)  # noqa: E731
    sections = (
        ("Offers", "offers", {"from": "from_name", "to": "to_name", "amount": amount, "status": "status",
                              "made": lambda i: local_time(_moment_of(i.get("created_at")))}),
        ("Showings", "showings", {"starts": lambda i: local_time(_moment_of(i.get("scheduled_at"))),
                                  "ends": lambda i: local_time(_moment_of(i.get("ends_at"))), "status": "status",
                                  "agent": "agent_name"}),
        ("Closing confirmations", "confirmations", {
            "side": "role", "agent": "agent_name", "confirmed": "confirmed",
            "at": lambda i: local_time(_moment_of(i.get("confirmed_at"))), "reminded": "reminder_sent"}),
        ("Commission rows", "commissions", {
            "side": "role",
            "who": lambda i: i.get("name") or ("VIC (platform)" if i.get("role") == "platform" else None),
            "share": lambda i: f"{i.get('rate')}%", "amount": amount, "status": "status"}),
    )
    for title, key, columns in sections:
        if row.get(key):
            show_rows(title, columns, row[key])
