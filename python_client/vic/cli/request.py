"""`vic request …`: Requests (talepler): create, criteria, assign, close, churn."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer

from vic import demo as demo_view
from vic.cli.common import (
    amount_option, as_json, client, Limit, local_time, matching_client, Offset, print_json, reported, RequestIdArg,
    show_request, show_row, show_rows,
)

app = typer.Typer(no_args_is_help=True, help="Requests (talepler): create, criteria, assign, close, churn.")


def _budget(row: Mapping[str, Any]) -> str:
    """A budget as a range, the currency once: 9.000.000–13.300.000 ₺ (up to / from when one end is open)."""
    low, high, currency = row.get("min_price"), row.get("max_price"), row.get("currency") or "TRY"
    if high is None:
        return "—" if low is None else f"from {demo_view.money(low, currency)}"
    if low is None:
        return f"up to {demo_view.money(high, currency)}"
    return f"{demo_view.money(low, currency).rsplit(' ', 1)[0]}–{demo_view.money(high, currency)}"


MinPrice = Annotated[str | None, amount_option("Budget from (criteria.min_price)")]
MaxPrice = Annotated[str | None, amount_option("Budget up to (criteria.max_price)")]


Districts = Annotated[
    list[str] | None,
    typer.Option("--district", help="A district the customer wants (repeat for more).", show_default=False),
]
Types = Annotated[
    list[str] | None,
    typer.Option("--type", help="A type: daire, villa, dukkan or arsa (repeat for more).", show_default=False),
]
Rooms = Annotated[
    list[str] | None, typer.Option("--rooms", help="Rooms like 3+1 (repeat for more).", show_default=False)
]
CriteriaCurrency = Annotated[
    str | None, typer.Option(help="TRY (the database's default), USD, EUR or GBP.", show_default=False)
]


def _criteria(
    districts: list[str] | None, types: list[str] | None, rooms: list[str] | None,
    min_price: str | None, max_price: str | None, currency: str | None,
) -> dict[str, Any]:
    """requests.criteria from the options: only the keys given."""
    given = {
        "districts": districts or None, "types": types or None, "rooms": rooms or None,
        "min_price": min_price, "max_price": max_price, "currency": currency,
    }
    return {key: value for key, value in given.items() if value is not None}


@app.command("create")
def request_create(
    ctx: typer.Context,
    request_type: Annotated[str, typer.Argument(metavar="REQUEST_TYPE", help="buy or rent.", show_default=False)],
    district: Districts = None,
    type: Types = None,
    rooms: Rooms = None,
    min_price: MinPrice = None,
    max_price: MaxPrice = None,
    currency: CriteriaCurrency = None,
    customer_id: Annotated[
        str | None, typer.Option(help="The customer (its agent, staff, bot); default: the acting contact.")
    ] = None,
    assigned_agent: Annotated[str | None, typer.Option(help="The agent who takes it (then: assigned).")] = None,
    source_session_id: Annotated[str | None, typer.Option(help="The session it was extracted from.")] = None,
) -> None:
    """Record a buy or rent request; it is matched at once (create_request, then the matcher)."""
    criteria = _criteria(district, type, rooms, min_price, max_price, currency)
    with reported(), matching_client(ctx) as vic:
        row = vic.create_request(request_type=request_type, criteria=criteria, customer_id=customer_id,
                                 assigned_agent=assigned_agent, source_session_id=source_session_id)
    show_request(row)


@app.command("criteria")
def request_criteria(
    ctx: typer.Context,
    request_id: RequestIdArg,
    district: Districts = None,
    type: Types = None,
    rooms: Rooms = None,
    min_price: MinPrice = None,
    max_price: MaxPrice = None,
    currency: CriteriaCurrency = None,
) -> None:
    """Replace a request's criteria with the options given; it is matched again (update_request_criteria)."""
    criteria = _criteria(district, type, rooms, min_price, max_price, currency)
    with reported(), matching_client(ctx) as vic:
        row = vic.update_request_criteria(request_id=request_id, criteria=criteria)
    show_request(row)


@app.command("assign")
def request_assign(
    ctx: typer.Context,
    request_id: RequestIdArg,
    agent_id: Annotated[
        str | None, typer.Option(help="The agent (brokers: of their office; staff, bot: any); default: the caller.")
    ] = None,
) -> None:
    """Give a request an agent: status assigned; brokers, staff and the bot only (assign_request)."""
    with reported(), matching_client(ctx) as vic:
        row = vic.assign_request(request_id=request_id, agent_id=agent_id)
    show_request(row)


@app.command("churn")
def request_churn(
    ctx: typer.Context,
    since_text: Annotated[
        str | None,
        typer.Option("--since", metavar="WHEN", help="From this date or time (Istanbul time unless an offset is given); "
                     "default: 7 days ago.", show_default=False),
    ] = None,
    min_changes: Annotated[
        int | None, typer.Option("--min-changes", help="At least this many budget changes; default: 3.",
                                 show_default=False)
    ] = None,
) -> None:
    """Requests whose budget moved unusually often: brokers their office's, staff all (budget_churn)."""
    with reported(), client(ctx) as vic:
        rows = vic.budget_churn(since=since_text, min_changes=min_changes)
    show_rows("Budget churn", {
        "request": "request_id", "agent": "agent_name",
        "changes": lambda r: f"{r.get('changes')}, the last {local_time(r.get('last_changed_at'))}",
        "budget now": _budget}, rows, empty="no request's budget moved that often")


@app.command("close")
def request_close(ctx: typer.Context, request_id: RequestIdArg) -> None:
    """Close a request; its matches go (close_request)."""
    with reported(), matching_client(ctx) as vic:
        row = vic.close_request(request_id=request_id)
    show_request(row)


# ------------------------------------------------------------------------------------- reads
def _wants(row: Mapping[str, Any]) -> str:
    """What a request asks for, in a few words: buy daire 3+1 in Kadıköy, Üsküdar (empty lists: any)."""
    parts = [row.get("request_type") or "", "/".join(row.get("types") or []) or "any type",
             "/".join(row.get("rooms") or [])]
    districts = ", ".join(row.get("districts") or [])
    return " ".join(p for p in parts if p) + (f" in {districts}" if districts else " anywhere")


@app.command("list")
def request_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(metavar="STATUS", help="new, assigned or closed; default: all.",
                                               show_default=False)] = None,
    limit: Limit = None,
    offset: Offset = None,
) -> None:
    """The requests you see, newest first: customer, agent, what they want, budget, matches (list_requests)."""
    with reported(), client(ctx) as vic:
        rows = vic.list_requests(status=status, limit=limit, offset=offset)
    show_rows(f"Requests: {len(rows)}, newest first", {
        "request": "request_id",
        "customer (agent)": lambda r: f"{r.get('customer_name') or '—'} ({r['agent_name']})" if r.get("agent_name")
        else r.get("customer_name"),
        "wants · status": lambda r: f"{_wants(r)}, {_budget(r)} · {r.get('status')}, "
                                    f"{r.get('match_count')} match{'' if r.get('match_count') == 1 else 'es'}",
    }, rows, empty="no requests")


@app.command("show")
def request_show(ctx: typer.Context, request_id: RequestIdArg) -> None:
    """One request: criteria, customer, agent, the session it came from and its matches (request_summary)."""
    with reported(), client(ctx) as vic:
        row = vic.request_summary(request_id=request_id)
    if as_json():
        print_json(row)
        return
    criteria = row.get("criteria") if isinstance(row.get("criteria"), Mapping) else {}
    show_row(f"request {row.get('request_id') or request_id}", {
        "wants": _wants({**criteria, "request_type": row.get("request_type")}),
        "budget": _budget({"min_price": criteria.get("min_price"), "max_price": criteria.get("max_price"),
                           "currency": criteria.get("currency")}),
        "status": row.get("status"),
        "customer": row.get("customer_name"),
        "agent": row.get("agent_name") or ("— (unassigned)" if row.get("assigned_agent") is None else None),
        "matches": row.get("match_count"),
        "best score": row.get("best_score"),
        "from session": row.get("source_session_id"),
        "created": local_time(row.get("created_at")),
        "updated": local_time(row.get("updated_at")),
    })
