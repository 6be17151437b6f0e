"""`vic task …`: Tasks and stale work: follow-ups, stale deals, done, cancel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer

from vic.cli.common import (
    client, interval, Limit, local_time, Offset, reported, show_row, show_rows, uuid_argument,
)

app = typer.Typer(no_args_is_help=True, help="Tasks and stale work: follow-ups, stale deals, done, cancel.")
TaskIdArg = Annotated[str, uuid_argument("TASK_ID", "The task (uuid).")]


TASK_FIELDS = ("id", "agent_id", "task_type", "title", "related_contact", "related_portfolio", "deal_id", "due_at",
               "status", "completed_at", "created_at", "updated_at")


def _show_task(row: Mapping[str, Any]) -> None:
    show_row(f"task {row.get('id', '')}", {k: row[k] for k in TASK_FIELDS if k in row})


@app.command("followups")
def task_followups(
    ctx: typer.Context,
    idle: Annotated[
        str | None, typer.Option(metavar="IDLE", help="Idle for longer than this: days (7) or an interval; "
                                 "default 7 days.", show_default=False)
    ] = None,
    remind_after: Annotated[
        str | None, typer.Option(metavar="AGE", help="Remind closing sides unconfirmed for longer than this: days or "
                                 "an interval; default 1 day.", show_default=False)
    ] = None,
) -> None:
    """Open follow-up tasks for stale deals and reminders for unconfirmed closings, once (open_followups)."""
    with reported(), client(ctx) as vic:
        rows = vic.open_followups(idle=interval(idle, "days", "--idle"),
                                  remind_after=interval(remind_after, "days", "--remind-after"))
    show_rows(f"Tasks opened: {len(rows)}",
              {"task": "task_id", "type": "task_type", "deal": "deal_id"}, rows,
              empty="no task opened")


@app.command("stale")
def task_stale(
    ctx: typer.Context,
    idle: Annotated[
        str | None, typer.Option(metavar="IDLE", help="Idle for longer than this: days or an interval; the "
                                 "database's default: 7 days.", show_default=False)
    ] = None,
) -> None:
    """Open deals you see with no activity for longer than --idle, idlest first (stale_deals)."""
    with reported(), client(ctx) as vic:
        rows = vic.stale_deals(idle=interval(idle, "days", "--idle"))
    show_rows(f"Stale deals: {len(rows)}",
              {"deal": "id", "listing": "portfolio_id", "status": "status",
               "last activity": lambda r: local_time(r.get("last_activity_at"))}, rows, empty="no stale deal")


@app.command("done")
def task_done(ctx: typer.Context, task_id: TaskIdArg) -> None:
    """Mark a pending task done (complete_task)."""
    with reported(), client(ctx) as vic:
        row = vic.complete_task(task_id=task_id)
    _show_task(row)


@app.command("cancel")
def task_cancel(ctx: typer.Context, task_id: TaskIdArg) -> None:
    """Cancel a pending task (cancel_task)."""
    with reported(), client(ctx) as vic:
        row = vic.cancel_task(task_id=task_id)
    _show_task(row)


# ------------------------------------------------------------------------------------- reads
@app.command("list")
def task_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(metavar="STATUS", help="pending, done, cancelled or all; the "
                                               "database's default: pending.", show_default=False)] = None,
    limit: Limit = None,
    offset: Offset = None,
) -> None:
    """Your tasks (a broker: the office's), soonest due first; open ones unless --status says otherwise
    (list_tasks)."""
    with reported(), client(ctx) as vic:
        rows = vic.list_tasks(status=status, limit=limit, offset=offset)
    show_rows(f"Tasks: {len(rows)}, soonest due first", {
        "task": "task_id",
        "what · for · agent (status)": lambda r: " · ".join(str(x) for x in (
            f"{r.get('task_type')}: {r.get('title')}", r.get("portfolio_id"), r.get("contact_name"),
            r.get("agent_name")) if x) + f" ({r.get('status')})",
        "due": lambda r: local_time(r.get("due_at")),
    }, rows, empty="no tasks")
