"""`vic task …`: Tasks and stale work: follow-ups, stale deals, done, cancel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer
from vic.cli.common import (
    DatabaseUrl,
    Json,
    Limit,
    Offset,
    _client,
    _interval,
    _local,
    _print_json,
    _reported,
    _show_narrow,
    _show_row,
    _show_rows,
    out,
)

app = typer.Typer(no_args_is_help=True, help="Tasks and stale work: follow-ups, stale deals, done, cancel.")
TaskIdArg = Annotated[str, typer.Argument(metavar="TASK_ID", help="The task (uuid).", show_default=False)]


# ------------------------------------------------------------------------------------- tasks
TASK_FIELDS = ("id", "agent_id", "task_type", "title", "related_contact", "related_portfolio", "deal_id", "due_at",
               "status", "completed_at", "created_at", "updated_at")


def _show_task(row: Mapping[str, Any]) -> None:
    _show_row(f"task {row.get('id', '')}", {k: row[k] for k in TASK_FIELDS if k in row})


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
    database_url: DatabaseUrl = None,
) -> None:
    """Open follow-up tasks for stale deals and reminders for unconfirmed closings, once (open_followups)."""
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.open_followups(idle=_interval(idle, "days", "--idle"), remind_after=_interval(remind_after, "days", "--remind-after"))
    if not rows:
        out.print("no task opened")
        return
    _show_rows(f"Tasks opened: {len(rows)}",
               {"task": "task_id", "type": "task_type", "deal": "deal_id", "agent": "agent_id"}, rows)


@app.command("stale")
def task_stale(
    ctx: typer.Context,
    idle: Annotated[
        str | None, typer.Option(metavar="IDLE", help="Idle for longer than this: days or an interval; the "
                                 "database's default: 7 days.", show_default=False)
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Open deals you see with no activity for longer than --idle, idlest first (stale_deals)."""
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.stale_deals(idle=_interval(idle, "days", "--idle"))
    if not rows:
        out.print("no stale deal")
        return
    _show_rows(f"Stale deals: {len(rows)}",
               {"deal": "id", "listing": "portfolio_id", "status": "status", "last activity": "last_activity_at",
                "listing agent": "listing_agent_id", "buying agent": "buying_agent_id"}, rows)


@app.command("done")
def task_done(ctx: typer.Context, task_id: TaskIdArg, database_url: DatabaseUrl = None) -> None:
    """Mark a pending task done (complete_task)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.complete_task(task_id=task_id)
    _show_task(row)


@app.command("cancel")
def task_cancel(ctx: typer.Context, task_id: TaskIdArg, database_url: DatabaseUrl = None) -> None:
    """Cancel a pending task (cancel_task)."""
    with _reported(), _client(ctx, database_url) as vic:
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
    as_json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Your tasks (a broker: the office's), soonest due first; open ones unless --status says otherwise
    (list_tasks)."""
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.list_tasks(status=status, limit=limit, offset=offset)
    if as_json:
        _print_json(rows)
        return
    if not rows:
        out.print("no tasks")
        return
    _show_narrow(f"Tasks: {len(rows)}", {
        "task": "task_id", "type": "task_type", "title": "title", "due": "_due", "agent": "agent_name",
        "contact": "contact_name", "listing": "portfolio_id", "status": "status",
    }, [{**r, "_due": _local(r.get("due_at"))} for r in rows])
