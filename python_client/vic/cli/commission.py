"""`vic commission …`: Commissions: the split of commission_total, and each row's status."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import typer

from vic.cli.common import client, emit, Limit, money, Offset, reported, show_row, show_rows

app = typer.Typer(no_args_is_help=True, help="Commissions: the split of commission_total, and each row's status.")


def _rate_option(name: str, help: str) -> Any:
    return typer.Option(f"--{name}", metavar="PERCENT", help=help, show_default=False)


def _show_split(rows: Sequence[Mapping[str, Any]]) -> None:
    show_rows("Commission split (percent of commission_total)",
              {"deal kind": "deal_kind", "listing": "listing_rate", "buying": "buying_rate",
                "platform": "platform_rate", "updated at": "updated_at"}, rows, right=("listing", "buying", "platform"))


@app.command("split")
def commission_split(ctx: typer.Context) -> None:
    """The split of commission_total for single and cross (co-broking) deals (commission_split)."""
    with reported(), client(ctx) as vic:
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
    buying_rate: Annotated[str | None, _rate_option("buying", "The buying agent's share (a single deal has none).")] = None,
) -> None:
    """Set the split for deals that close from now on; the rates add up to 100 (set_commission_split)."""
    with reported(), client(ctx) as vic:
        row = vic.set_commission_split(deal_kind=deal_kind, listing_rate=listing_rate,
                                       buying_rate=buying_rate, platform_rate=platform_rate)
    emit(row, lambda: _show_split([row]))


@app.command("status")
def commission_status(
    ctx: typer.Context,
    commission_id: Annotated[
        str, typer.Argument(metavar="COMMISSION_ID", help="The platform_commissions row (uuid).", show_default=False)
    ],
    status: Annotated[str, typer.Argument(metavar="STATUS", help="invoiced or paid.", show_default=False)],
) -> None:
    """Move a commission row pending -> invoiced -> paid (set_commission_status)."""
    with reported(), client(ctx) as vic:
        row = vic.set_commission_status(commission_id=commission_id, status=status)
    show_row(f"commission {row.get('id', '')}", row)


# ------------------------------------------------------------------------------------- reads
@app.command("list")
def commission_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(metavar="STATUS", help="pending, invoiced or paid; default: all.",
                                               show_default=False)] = None,
    limit: Limit = None,
    offset: Offset = None,
) -> None:
    """The commission rows you may read (your share; the listing side every row of its deals), newest first
    (list_commissions)."""
    with reported(), client(ctx) as vic:
        rows = vic.list_commissions(status=status, limit=limit, offset=offset)
    show_rows(f"Commissions: {len(rows)}", {
        "commission": "commission_id",
        "listing · who (side, share) · status": lambda r: f"{r.get('portfolio_id') or '—'} · "
        f"{r.get('name') or ('VIC' if r.get('role') == 'platform' else '—')} ({r.get('role')}, {r.get('rate')}%) · "
        f"{r.get('status')}",
        "amount": lambda r: None if r.get("amount") is None else money(r["amount"], r.get("currency")),
    }, rows, right=("amount",), empty="no commissions")
