"""`vic showing …`: Showings (yer gösterme): schedule, reschedule, cancel, mark shown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer

from vic.cli.common import client, DealIdArg, interval, reported, show_row

app = typer.Typer(no_args_is_help=True, help="Showings (yer gösterme): schedule, reschedule, cancel, mark shown.")


# ------------------------------------------------------------------------------------- showings
ShowingIdArg = Annotated[str, typer.Argument(metavar="SHOWING_ID", help="The showing (uuid).", show_default=False)]
WhenArg = Annotated[
    str,
    typer.Argument(metavar="WHEN", help="When the visit starts: 2026-12-01T14:30 (Istanbul time unless an offset is "
                   "given).", show_default=False),
]
Duration = Annotated[
    str | None,
    typer.Option(metavar="DURATION", help="How long: minutes (90) or an interval ('1 hour 30 minutes'); "
                 "15 minutes to 8 hours.", show_default=False),
]
SHOWING_FIELDS = ("id", "deal_id", "portfolio_id", "agent_id", "customer_id", "buying_agent_id", "request_id",
                  "scheduled_at", "ends_at", "status", "certificate_id", "created_at", "updated_at")


def _show_showing(row: Mapping[str, Any]) -> None:
    show_row(f"showing {row.get('id', '')}", {k: row[k] for k in SHOWING_FIELDS if k in row})


@app.command("schedule")
def showing_schedule(
    ctx: typer.Context, deal_id: DealIdArg, when: WhenArg, duration: Duration = None,
) -> None:
    """Schedule a showing of a deal's listing for its customer; a matched deal moves to showing (schedule_showing)."""
    with reported(), client(ctx) as vic:
        row = vic.schedule_showing(deal_id=deal_id, scheduled_at=when,
                                   duration=interval(duration, "minutes", "--duration"))
    _show_showing(row)


@app.command("reschedule")
def showing_reschedule(
    ctx: typer.Context, showing_id: ShowingIdArg, when: WhenArg, duration: Duration = None,
) -> None:
    """Move a scheduled showing; it keeps its duration unless --duration is given (reschedule_showing)."""
    with reported(), client(ctx) as vic:
        row = vic.reschedule_showing(showing_id=showing_id, scheduled_at=when,
                                     duration=interval(duration, "minutes", "--duration"))
    _show_showing(row)


@app.command("cancel")
def showing_cancel(ctx: typer.Context, showing_id: ShowingIdArg) -> None:
    """Cancel a scheduled showing; its slot is free again (cancel_showing)."""
    with reported(), client(ctx) as vic:
        row = vic.cancel_showing(showing_id=showing_id)
    _show_showing(row)


@app.command("shown")
def showing_shown(ctx: typer.Context, showing_id: ShowingIdArg) -> None:
    """Mark a showing shown once its slot has begun; issues the showing certificate (mark_shown)."""
    with reported(), client(ctx) as vic:
        row = vic.mark_shown(showing_id=showing_id)
    _show_showing(row)
