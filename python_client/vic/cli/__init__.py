"""The `vic` command line. `vic db …` manages a database: the local embedded one by default,
any PostgreSQL (Supabase included) with --database-url or VIC_DATABASE_URL.

`vic contact …`, `vic agent …`, `vic visibility …`, `vic listing …`, `vic request …`, `vic match …`,
`vic market …`, `vic commission …`, `vic showing …`, `vic task …`, `vic inbox …`, `vic session …`, `vic export …`, `vic nudge …` and `vic notify …` call the RPC functions through `vic.client.VicClient`, one command per function, as the database's own user (the dashboard
admin), or acting as a contact (`vic --as <contact id> …`, env VIC_AS) or as the bot
(`vic --service-role …`), exactly as PostgREST would.

`vic worker` drains the match events and runs the periodic jobs (vic.worker) until Ctrl-C or SIGTERM.

Every failure prints one line and exits 1; no traceback reaches the user.

One module per command group (vic/cli/<group>.py, each with its own `app`); what they share is in
vic/cli/common.py.
"""

from __future__ import annotations

import inspect
from typing import Annotated

import typer

from vic.cli import (
    agent,
    commission,
    contact,
    db,
    deal,
    export,
    inbox,
    listing,
    market,
    match,
    notify,
    nudge,
    request,
    session,
    showing,
    task,
    visibility,
    worker,
)
from vic.cli.common import Acting, _fail

app = typer.Typer(no_args_is_help=True, add_completion=False)
for _name, _group in (
    ("db", db), ("contact", contact), ("agent", agent), ("visibility", visibility), ("listing", listing),
    ("request", request), ("deal", deal), ("match", match), ("market", market), ("commission", commission),
    ("showing", showing), ("task", task), ("inbox", inbox), ("session", session), ("export", export),
    ("nudge", nudge), ("notify", notify),
):
    app.add_typer(_group.app, name=_name)
app.command()(worker.demo)
app.command()(worker.worker)


@app.callback()
def main(
    ctx: typer.Context,
    acting_as: Annotated[
        str | None,
        typer.Option(
            "--as",
            envvar="VIC_AS",
            metavar="CONTACT_ID",
            show_default=False,
            help="Call RPCs as this contact (role authenticated, JWT sub), as PostgREST does for a signed-in user.",
        ),
    ] = None,
    service_role: Annotated[
        bool,
        typer.Option("--service-role", help="Call RPCs as service_role (the bot backend's key)."),
    ] = False,
) -> None:
    """VIC: the real-estate schema package's command line."""
    if acting_as and service_role:
        _fail("--as and --service-role exclude each other: act as a contact or as service_role")
    ctx.obj = Acting(acting_as or None, service_role)


# ------------------------------------------------------------------------------------- help texts
def _unwrap_help(group: typer.Typer) -> None:
    """Help comes from docstrings wrapped for the source file; rich keeps their line breaks, so a summary would break
    mid-sentence in the terminal. Each paragraph becomes one line that rich wraps to the terminal's width."""
    for info in group.registered_commands:
        text = info.help or (info.callback.__doc__ if info.callback else None)
        if text:
            info.help = "\n\n".join(" ".join(p.split()) for p in inspect.cleandoc(text).split("\n\n"))
    for sub in group.registered_groups:
        _unwrap_help(sub.typer_instance)


_unwrap_help(app)
