"""`vic session …`: Bot sessions: qualifying slots, extraction into a request, close, show."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer

from vic.cli.common import (
    amount_option, as_json, client, fail, matching_client, print_json, reported, show_request, show_row,
    uuid_argument,
)

app = typer.Typer(no_args_is_help=True, help="Bot sessions: qualifying slots, extraction into a request, close, show.")


SessionIdArg = Annotated[str, uuid_argument("SESSION_ID", "The bot session (uuid).")]
SESSION_FIELDS = ("id", "contact_id", "status", "intent", "district", "property_type", "rooms", "max_price", "currency",
                  "language", "qualifying_completeness", "last_message_at", "created_at", "updated_at")
# --clear names a slot as the other flags do; the value is the slot's name in SQL
CLEARABLE = {"intent": "intent", "district": "district", "type": "property_type", "rooms": "rooms",
             "max-price": "max_price", "currency": "currency"}


def _show_session(row: Mapping[str, Any]) -> None:
    show_row(f"session {row.get('id', '')}", {k: row[k] for k in SESSION_FIELDS if k in row})


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
    max_price: Annotated[str | None, amount_option("Budget up to")] = None,
    currency: Annotated[
        str | None, typer.Option(help="The budget's currency: TRY (when not said), USD, EUR or GBP.")
    ] = None,
    language: Annotated[str | None, typer.Option(help="The conversation's language: tr, en, ar, ru, …")] = None,
    clear: Annotated[
        list[str] | None,
        typer.Option("--clear", metavar="SLOT", help="Forget a slot: intent, district, type, rooms, max-price or "
                     "currency (repeat for more).", show_default=False),
    ] = None,
) -> None:
    """Fill or clear qualifying slots of an active session; the database keeps its completeness (update_session_slots).
    The bot and staff."""
    given = {"intent": intent, "district": district, "type": type, "rooms": rooms, "max-price": max_price,
             "currency": currency}
    slots: dict[str, Any] = {CLEARABLE[k]: v for k, v in given.items() if v is not None}
    if max_price is not None:
        slots["max_price"] = max_price
    if language is not None:
        slots["language"] = language
    for name in clear or []:
        key = name.strip().lower().replace("_", "-")
        if key not in CLEARABLE:
            fail(f"--clear {name}: not a slot; one of {', '.join(CLEARABLE)}")
        if given[key] is not None:
            fail(f"--{key} and --clear {key} exclude each other")
        slots[CLEARABLE[key]] = None
    with reported(), client(ctx) as vic:
        row = vic.update_session_slots(session_id=session_id, slots=slots)
    _show_session(row)


@app.command("extract")
def session_extract(ctx: typer.Context, session_id: SessionIdArg) -> None:
    """Make the request a qualified session asks for and mark the session extracted; it is matched at once
    (extract_request, then the matcher). The bot and staff."""
    with reported(), matching_client(ctx) as vic:
        row = vic.extract_request(session_id=session_id)
    show_request(row)


@app.command("close")
def session_close(ctx: typer.Context, session_id: SessionIdArg) -> None:
    """Close an active session without a request (close_session). The bot and staff."""
    with reported(), client(ctx) as vic:
        row = vic.close_session(session_id=session_id)
    _show_session(row)


@app.command("show")
def session_show(ctx: typer.Context, session_id: SessionIdArg) -> None:
    """A session's slots, completeness, what extraction still needs, its request and messages (session_summary)."""
    with reported(), client(ctx) as vic:
        row = vic.session_summary(session_id=session_id)
    if as_json():
        print_json(row)
        return
    shown = {**row, "missing": ", ".join(row.get("missing") or []) or None}
    show_row(f"session {row.get('id', '')}", shown)
