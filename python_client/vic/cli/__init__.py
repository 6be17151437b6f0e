"""The `vic` command line: one module per command group (vic/cli/<group>.py, each with its own `app`),
what they share in vic/cli/common.py.

The RPC commands call the functions of schema public through `vic.client.VicClient`, one command per
function, exactly as PostgREST would: as a contact (`--as <contact id>`, env VIC_AS), as the bot
(`--service-role`), as the database owner (`--superuser`), or else as nobody (anon). The admin commands
(`vic db …`, `vic demo`, `vic worker`) act as the database URL's own user by nature.

Every failure prints one line `error: …` and exits 1; no traceback reaches the user.
"""

from __future__ import annotations

import inspect
import uuid
from importlib import metadata
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
from vic.cli.common import GLOBAL_HELP, Root, VicGroup, fail, out
from vic.supabase_build import supabase_app

try:
    VERSION = metadata.version("vic")
except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
    VERSION = "unknown"

app = typer.Typer(cls=VicGroup, no_args_is_help=True, add_completion=False)
# The map of the product, in the order a person meets it.
for _name, _group in (
    ("contact", contact), ("agent", agent), ("listing", listing), ("visibility", visibility),
    ("request", request), ("match", match), ("deal", deal), ("showing", showing), ("commission", commission),
    ("task", task), ("market", market), ("inbox", inbox), ("session", session), ("notify", notify),
    ("nudge", nudge), ("export", export), ("db", db),
):
    app.add_typer(_group.app, name=_name, rich_help_panel="Admin (the database owner)" if _name == "db" else
                  "Commands")
app.add_typer(supabase_app, name="supabase", rich_help_panel="Admin (the database owner)")
app.command(rich_help_panel="Admin (the database owner)")(worker.demo)
app.command(rich_help_panel="Admin (the database owner)")(worker.worker)


def _version(value: bool) -> None:
    if value:
        out.print(f"vic {VERSION}", markup=False)
        raise typer.Exit()


@app.callback(epilog=(
    "Who acts: --as CONTACT_ID (a signed-in user), --service-role (the bot) or --superuser (the database owner); "
    "without one, nobody (anon), who may call nothing. `vic db …`, `vic demo` and `vic worker` are admin "
    "commands: they act as the database URL's own user (the worker as --service-role when given). "
    "The global options go anywhere on the line; times are Istanbul time."))
def main(
    ctx: typer.Context,
    acting_as: Annotated[
        str | None,
        typer.Option("--as", envvar="VIC_AS", metavar="CONTACT_ID", show_default=False,
                     help="Act as this contact (role authenticated, JWT sub), as PostgREST does for a signed-in user."),
    ] = None,
    service_role: Annotated[
        bool, typer.Option("--service-role", help="Act as service_role (the bot backend's key).")
    ] = False,
    superuser: Annotated[
        bool, typer.Option("--superuser", help="Act as the database URL's own user (the owner, as in the SQL editor).")
    ] = False,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", envvar="VIC_DATABASE_URL", metavar="URL", show_default=False,
                     help="PostgreSQL URL to act on (default: the local server started by `vic db up`)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print data as JSON (times in Istanbul, offset kept) instead of tables.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """VIC, a WhatsApp-first real-estate platform: contacts and agents, listings and requests, the matches between
    them, deals from offer to closing, showings, commissions, tasks, and the WhatsApp inbox and notifications."""
    if sum(bool(x) for x in (acting_as, service_role, superuser)) > 1:
        fail("--as, --service-role and --superuser exclude each other: act as one")
    contact_id = None
    if acting_as:
        try:
            contact_id = str(uuid.UUID(acting_as.strip()))
        except ValueError:
            fail("--as: not a contact id (a uuid like 00000000-0000-4000-8000-000000000001)")
    ctx.obj = Root(contact_id=contact_id, service_role=service_role, superuser=superuser,
                   database_url=database_url or None, as_json=as_json)


# ------------------------------------------------------------------------------------- help texts
def _unwrap_help(group: typer.Typer) -> None:
    """Help comes from docstrings wrapped for the source file; rich keeps their line breaks, so a summary would break
    mid-sentence in the terminal. Each paragraph becomes one line that rich wraps to the terminal's width."""
    for info in group.registered_commands:
        text = info.help or (info.callback.__doc__ if info.callback else None)
        if text:
            info.help = "\n\n".join(" ".join(p.split()) for p in inspect.cleandoc(text).split("\n\n"))
        if info.epilog is None:
            info.epilog = GLOBAL_HELP
    for sub in group.registered_groups:
        _unwrap_help(sub.typer_instance)


_unwrap_help(app)
