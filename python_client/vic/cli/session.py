"""`vic session …`: Bot sessions: qualifying slots, extraction into a request, close, show."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer
from vic.cli.common import (
    DatabaseUrl,
    Json,
    REQUEST_FIELDS,
    _amount,
    _amount_option,
    _client,
    _fail,
    _matching_client,
    _print_json,
    _reported,
    _show_request,
    _show_row,
)

app = typer.Typer(no_args_is_help=True, help="Bot sessions: qualifying slots, extraction into a request, close, show.")


# ------------------------------------------------------------------------------------- sessions, export
SessionIdArg = Annotated[str, typer.Argument(metavar="SESSION_ID", help="The bot session (uuid).", show_default=False)]
SESSION_FIELDS = ("id", "contact_id", "status", "intent", "district", "property_type", "rooms", "max_price", "currency",
                  "language", "qualifying_completeness", "last_message_at", "created_at", "updated_at")
# --clear names a slot as the other flags do; the value is the slot's name in SQL
CLEARABLE = {"intent": "intent", "district": "district", "type": "property_type", "rooms": "rooms",
             "max-price": "max_price", "currency": "currency"}


def _show_session(row: Mapping[str, Any], as_json: bool) -> None:
    shown = {k: row[k] for k in SESSION_FIELDS if k in row}
    if as_json:
        _print_json(shown)
    else:
        _show_row(f"session {row.get('id', '')}", shown)


@app.command("slots")
def session_slots(
    ctx: typer.Context,
    session_id: SessionIdArg,
    intent: Annotated[
        str | None, typer.Option(help="What the customer wants: buy, rent, sell or let (rent out).")
    ] = None,
    district: Annotated[
        str | None, typer.Option(help="One district (ilçe), e.g. Kadıköy; 'kadikoy' is stored as Kadıköy.")
    ] = None,
    type: Annotated[str | None, typer.Option("--type", help="Property type: daire, villa, dukkan or arsa.")] = None,
    rooms: Annotated[str | None, typer.Option(help="Rooms like 3+1 (1+0 for a studio).")] = None,
    max_price: Annotated[str | None, _amount_option("Budget up to")] = None,
    currency: Annotated[
        str | None, typer.Option(help="The budget's currency: TRY (when not said), USD, EUR or GBP.")
    ] = None,
    language: Annotated[str | None, typer.Option(help="The conversation's language: tr, en, ar, ru, …")] = None,
    clear: Annotated[
        list[str] | None,
        typer.Option("--clear", metavar="SLOT", help="Forget a slot: intent, district, type, rooms, max-price or "
                     "currency (repeat for more).", show_default=False),
    ] = None,
    as_json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Fill or clear qualifying slots of an active session; the database keeps its completeness (update_session_slots).
    The bot and staff."""
    given = {"intent": intent, "district": district, "type": type, "rooms": rooms, "max-price": max_price,
             "currency": currency}
    slots: dict[str, Any] = {CLEARABLE[k]: v for k, v in given.items() if v is not None}
    if max_price is not None:
        slots["max_price"] = _amount(max_price)
    if language is not None:
        slots["language"] = language
    for name in clear or []:
        key = name.strip().lower().replace("_", "-")
        if key not in CLEARABLE:
            _fail(f"--clear {name}: not a slot; one of {', '.join(CLEARABLE)}")
        if given[key] is not None:
            _fail(f"--{key} and --clear {key} exclude each other")
        slots[CLEARABLE[key]] = None
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.update_session_slots(session_id=session_id, slots=slots)
    _show_session(row, as_json)


@app.command("extract")
def session_extract(ctx: typer.Context, session_id: SessionIdArg, as_json: Json = False,
                    database_url: DatabaseUrl = None) -> None:
    """Make the request a qualified session asks for and mark the session extracted; it is matched at once
    (extract_request, then the matcher). The bot and staff."""
    with _reported(), _matching_client(ctx, database_url) as vic:
        row = vic.extract_request(session_id=session_id)
    if as_json:
        _print_json({k: row[k] for k in REQUEST_FIELDS if k in row})
    else:
        _show_request(row)


@app.command("close")
def session_close(ctx: typer.Context, session_id: SessionIdArg, as_json: Json = False,
                  database_url: DatabaseUrl = None) -> None:
    """Close an active session without a request (close_session). The bot and staff."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.close_session(session_id=session_id)
    _show_session(row, as_json)


@app.command("show")
def session_show(ctx: typer.Context, session_id: SessionIdArg, as_json: Json = False,
                 database_url: DatabaseUrl = None) -> None:
    """A session's slots, completeness, what extraction still needs, its request and messages (session_summary)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.session_summary(session_id=session_id)
    if as_json:
        _print_json(row)
        return
    shown = {**row, "missing": ", ".join(row.get("missing") or []) or None}
    _show_row(f"session {row.get('id', '')}", shown)
