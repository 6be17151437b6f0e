"""`vic commission …`: Commissions: the split of commission_total, and each row's status."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Annotated, Any

import typer

from vic import demo as demo_view
from vic.cli.common import (
    DatabaseUrl,
    Json,
    Limit,
    Offset,
    _client,
    _local,
    _print_json,
    _reported,
    _show_narrow,
    _show_row,
    _show_rows,
    out,
)

app = typer.Typer(no_args_is_help=True, help="Commissions: the split of commission_total, and each row's status.")


# ------------------------------------------------------------------------------------- commissions
# 45, 45.5 or 45,5 (Turkish decimal comma)
_RATE = re.compile(r"[0-9]{1,3}(?:[.,][0-9]+)?")


def _rate(text: str | None) -> Decimal | str | None:
    """A percentage as typed, exactly (Decimal, never float). What does not read as one is passed on as
    typed, for the database to reject naming the field."""
    if text is None:
        return None
    text = text.strip()
    return Decimal(text.replace(",", ".")) if _RATE.fullmatch(text) else text


def _rate_option(name: str, help: str) -> Any:
    return typer.Option(f"--{name}", metavar="PERCENT", help=help, show_default=False)


def _show_split(rows: Sequence[Mapping[str, Any]]) -> None:
    _show_rows("Commission split (percent of commission_total)",
               {"deal kind": "deal_kind", "listing": "listing_rate", "buying": "buying_rate",
                "platform": "platform_rate", "updated at": "updated_at"}, rows, right=("listing", "buying", "platform"))


@app.command("split")
def commission_split(ctx: typer.Context, database_url: DatabaseUrl = None) -> None:
    """The split of commission_total for single and cross (co-broking) deals (commission_split)."""
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.commission_split()
    _show_split(rows)


@app.command("set-split")
def commission_set_split(
    ctx: typer.Context,
    deal_kind: Annotated[
        str, typer.Argument(metavar="DEAL_KIND", help="single (one agent) or cross (co-broking).", show_default=False)
    ],
    listing_rate: Annotated[str, _rate_option("listing", "The listing agent's share, e.g. 45 or 45,5.")],
    platform_rate: Annotated[str, _rate_option("platform", "The platform's share.")],
    buying_rate: Annotated[str, _rate_option("buying", "The buying agent's share (0 for a single deal).")] = "0",
    database_url: DatabaseUrl = None,
) -> None:
    """Set the split for deals that close from now on; the rates add up to 100 (set_commission_split)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.set_commission_split(deal_kind=deal_kind, listing_rate=_rate(listing_rate),
                                       buying_rate=_rate(buying_rate), platform_rate=_rate(platform_rate))
    _show_split([row])


@app.command("status")
def commission_status(
    ctx: typer.Context,
    commission_id: Annotated[
        str, typer.Argument(metavar="COMMISSION_ID", help="The platform_commissions row (uuid).", show_default=False)
    ],
    status: Annotated[str, typer.Argument(metavar="STATUS", help="invoiced or paid.", show_default=False)],
    database_url: DatabaseUrl = None,
) -> None:
    """Move a commission row pending -> invoiced -> paid (set_commission_status)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.set_commission_status(commission_id=commission_id, status=status)
    _show_row(f"commission {row.get('id', '')}", row)


# ------------------------------------------------------------------------------------- reads
@app.command("list")
def commission_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(metavar="STATUS", help="pending, invoiced or paid; default: all.",
                                               show_default=False)] = None,
    limit: Limit = None,
    offset: Offset = None,
    as_json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """The commission rows you may read (your share; the listing side every row of its deals), newest first
    (list_commissions)."""
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.list_commissions(status=status, limit=limit, offset=offset)
    if as_json:
        _print_json(rows)
        return
    if not rows:
        out.print("no commissions")
        return
    _show_narrow(f"Commissions: {len(rows)}", {
        "commission": "commission_id", "listing": "portfolio_id", "side": "role", "who": "_who", "share": "_rate",
        "amount": "_amount", "status": "status", "since": "_created",
    }, [{**r, "_who": r.get("name") or ("VIC (platform)" if r.get("role") == "platform" else None),
         "_rate": f"{r.get('rate')}%", "_created": _local(r.get("created_at")),
         "_amount": "—" if r.get("amount") is None else demo_view.money(int(r["amount"]), r.get("currency") or "TRY")}
        for r in rows])
