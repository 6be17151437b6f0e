"""Shared by every command group: options, who acts, the client, output helpers, value parsers."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from vic import demo as demo_view
from vic import local
from vic.client import VicClient
from vic.errors import AccessDenied, VicError


# soft_wrap: an error stays on one line however narrow the terminal.
out = Console(soft_wrap=True, highlight=False)
# events per matcher call when the CLI drains (each call is one transaction)
DRAIN_BATCH = 500
err = Console(stderr=True, soft_wrap=True, highlight=False)

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="VIC_DATABASE_URL",
        show_default=False,
        help="PostgreSQL URL to act on (default: the local server started by `vic db up`).",
    ),
]


@dataclass(frozen=True)
class Acting:
    """Who the RPC commands act as (the root options)."""

    contact_id: str | None = None
    service_role: bool = False


def _fail(message: str) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(1)


@contextlib.contextmanager
def _reported() -> Iterator[None]:
    """Print a VicError as one line and exit 1."""
    try:
        yield
    except VicError as exc:
        _fail(exc.one_line())


def _target(database_url: str | None) -> str:
    if database_url:
        return database_url
    found = local.url()
    if not found:
        _fail(
            "the local database is not running: start it with `vic db up`, "
            "or pass --database-url (or set VIC_DATABASE_URL)"
        )
    return found


# ------------------------------------------------------------------------------------- RPC commands
# One command per RPC function of schema public (tests/test_rpc_surface.py keeps them in step).
# Values are checked by the database, not here: an invalid one comes back as one error line.

ContactIdArg = Annotated[
    str, typer.Argument(metavar="CONTACT_ID", help="The contact's id (uuid).", show_default=False)
]


def _client(ctx: typer.Context, database_url: str | None) -> VicClient:
    """A client on the target database, acting as the root options say."""
    acting = ctx.obj if isinstance(ctx.obj, Acting) else Acting()
    target = _target(database_url)
    return VicClient.connect(target, acting_as=acting.contact_id, service_role=acting.service_role)


def _drain(ctx: typer.Context, database_url: str | None) -> int | None:
    """Run the matcher until no match event is pending (public.process_match_events); returns how many
    events it processed, or None when the caller may not run it. As service_role when the root options
    say so, else as the database URL's own user (the owner, `postgres` locally), also when acting --as a
    contact: the write was the contact's, the matching is the database's."""
    acting = ctx.obj if isinstance(ctx.obj, Acting) else Acting()
    total = 0
    try:
        with VicClient.connect(_target(database_url), service_role=acting.service_role) as vic:
            while n := vic.process_match_events(max=DRAIN_BATCH):
                total += n
    except AccessDenied:
        return None
    return total


@contextlib.contextmanager
def _matching_client(ctx: typer.Context, database_url: str | None) -> Iterator[VicClient]:
    """`_client` for a command that writes listings or requests: after the write, the matcher runs, so
    the matches, notifications and visibility it makes are there at once without a worker (`vic worker`
    matches them otherwise, within about a second)."""
    with _client(ctx, database_url) as vic:
        yield vic
    if _drain(ctx, database_url) is None:
        err.print("[dim]matched when the matcher runs (`vic worker`, or `vic match drain` as the owner)[/]")


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "isoformat") and hasattr(value, "hour"):
        # a moment as an Istanbul agent reads it, its offset kept: 2026-12-04 16:01:02+03:00
        return (value.astimezone(ISTANBUL) if value.tzinfo else value).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _local(moment: datetime | None) -> str:
    """A moment as an Istanbul agent reads it: 2026-12-04 16:01."""
    return "—" if moment is None else moment.astimezone(ISTANBUL).strftime("%Y-%m-%d %H:%M")


def _show_row(title: str, row: Mapping[str, Any]) -> None:
    """One row as a two-column table, a field per line."""
    table = Table(title=escape(title), title_justify="left")
    table.add_column("field", no_wrap=True)
    table.add_column("value")
    for key, value in row.items():
        table.add_row(escape(key), escape(_text(value)))
    out.print(table)


def _show_rows(title: str, columns: Mapping[str, str], rows: Sequence[Mapping[str, Any]], *,
               right: Sequence[str] = ()) -> None:
    """Rows as a table, one per line: `columns` maps each header to its field; `right` headers align right."""
    table = Table(title=escape(title), title_justify="left")
    for header in columns:
        table.add_column(header, no_wrap=True, justify="right" if header in right else "left")
    for row in rows:
        table.add_row(*(escape(_text(row.get(field))) for field in columns.values()))
    # a pipe or CI log is 80 columns by default: too narrow for a row per line
    Console(width=max(out.width, 160), highlight=False).print(table)


def _price(card: Mapping[str, Any]) -> str:
    """The exact price when the card shows it, else the price band: 10.000.000–15.000.000 ₺."""
    currency = card.get("currency") or ""
    if card.get("listed_price") is not None:
        return demo_view.money(card["listed_price"], currency)
    if card.get("price_band_min") is None:
        return "—"
    low = demo_view.money(card["price_band_min"], currency).rsplit(" ", 1)[0]
    return f"{low}–{demo_view.money(card.get('price_band_max'), currency)}"


CARD_COLUMNS = {  # header -> card field ("price" is computed)
    "id": "id", "level": "visibility_level", "type": "type", "for": "listing_type", "district": "district",
    "rooms": "rooms", "price": None, "status": "status", "title": "title", "agent": "agent_name",
    "phone": "agent_phone",
}


def _show_cards(rows: Sequence[Mapping[str, Any]], title: str = "Listing cards", *, rank: bool = False) -> None:
    """Listing cards, one per line: hidden fields print as —; with `rank`, the search rank first."""
    if not rows:
        out.print("no cards")
        return
    table = Table(title=escape(title), title_justify="left")
    if rank:
        table.add_column("rank", justify="right")
    for header in CARD_COLUMNS:
        table.add_column(header, no_wrap=header in ("id", "price", "phone"))
    for card in rows:
        first = [f"{card['rank']:.3f}" if card.get("rank") is not None else "—"] if rank else []
        table.add_row(*first, *(
            escape(_price(card) if field is None else _text(card.get(field))) for field in CARD_COLUMNS.values()
        ))
    # a pipe or CI log is 80 columns by default: too narrow for a card per line
    Console(width=max(out.width, 160), highlight=False).print(table)


def _show_narrow(title: str, columns: Mapping[str, str], rows: Sequence[Mapping[str, Any]]) -> None:
    """Rows as a table at most 100 columns wide: a long value (an id) folds onto a second line."""
    table = Table(title=escape(title), title_justify="left")
    for header in columns:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*(escape(_text(row.get(field))) for field in columns.values()))
    Console(width=100, highlight=False).print(table)


# ------------------------------------------------------------------------------------- listings
PortfolioIdArg = Annotated[
    str, typer.Argument(metavar="PORTFOLIO_ID", help="The listing, e.g. 2026-001.", show_default=False)
]
RequestIdArg = Annotated[str, typer.Argument(metavar="REQUEST_ID", help="The request (uuid).", show_default=False)]
ISTANBUL = ZoneInfo("Europe/Istanbul")
# 12500000, 12.500.000 (Turkish grouping) or 12_500_000
_AMOUNT = re.compile(r"[0-9]+|[0-9]{1,3}(?:[._][0-9]{3})+")


def _amount(text: str | None) -> int | str | None:
    """An amount as typed: whole units, digits grouped by dots (12.500.000) or underscores, or not.
    What does not read as an amount is passed on as typed, for the database to reject naming the field."""
    if text is None:
        return None
    text = text.strip()
    return int(re.sub(r"[._]", "", text)) if _AMOUNT.fullmatch(text) else text


def _moment(text: str | None, option: str) -> datetime | None:
    """A date or date-time as typed (ISO 8601: 2026-11-01, 2026-11-01T09:30); without an offset it is
    Istanbul time."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        _fail(f"{option} must be a date or time like 2026-11-01 or 2026-11-01T09:30, not {text!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=ISTANBUL)
REQUEST_FIELDS = ("id", "customer_id", "assigned_agent", "request_type", "criteria", "status", "source_session_id",
                  "created_at", "updated_at")


def _amount_option(help: str) -> Any:
    return typer.Option(metavar="AMOUNT", help=f"{help}, in whole units: 9000000 or 9.000.000.", show_default=False)


def _show_request(row: Mapping[str, Any]) -> None:
    """A requests row: its own fields only."""
    _show_row(f"request {row.get('id', '')}", {k: row[k] for k in REQUEST_FIELDS if k in row})


# ------------------------------------------------------------------------------------- deals
DealIdArg = Annotated[str, typer.Argument(metavar="DEAL_ID", help="The deal (uuid).", show_default=False)]


# a duration as people write it: "90", "5 minutes", "1 day 2 hours", "2 weeks"
DURATION = re.compile(r"(\d+(\.\d+)?\s*(seconds?|secs?|minutes?|mins?|hours?|days?|weeks?|months?|years?)\s*)+", re.I)


def _interval(text: str | None, unit: str, flag: str) -> timedelta | str | None:
    """Whole numbers are `unit`s (minutes, days); "5 minutes", "1 day 2 hours" go to the database as written;
    anything else is refused here, naming the flag."""
    if text is None:
        return None
    text = text.strip()
    if text.isdigit():
        return timedelta(**{unit: int(text)})
    if not DURATION.fullmatch(text):
        _fail(f"{flag}: {text!r} is not a duration; write a number of {unit}, or e.g. '5 minutes', '1 day 2 hours'")
    return text
Json = Annotated[bool, typer.Option("--json", help="Print JSON (times in Istanbul, offset kept) instead of a table.")]


def _jsonable(value: Any) -> Any:
    """A row's value as JSON: moments in Istanbul time with their offset, whole amounts as integers."""
    if isinstance(value, datetime):
        return (value.astimezone(ISTANBUL) if value.tzinfo else value).isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # uuid


def _print_json(value: Any, *, one_line: bool = False) -> None:
    text = json.dumps(_jsonable(value), ensure_ascii=False, indent=None if one_line else 2)
    out.print(text, markup=False, highlight=False, soft_wrap=True)


# ------------------------------------------------------------------------------------- read commands
# Paging of the list_* reads; a flag not given is the database's default.
Limit = Annotated[int | None, typer.Option("--limit", metavar="N", help="At most this many rows (1-500); the "
                                           "database's default: 50.", show_default=False)]
Offset = Annotated[int | None, typer.Option("--offset", metavar="N", help="Skip this many first (0-100000).",
                                            show_default=False)]
