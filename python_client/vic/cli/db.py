"""`vic db …`: The database: local server, migrations, seed."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from rich.markup import escape
from rich.table import Table

from vic import local, migrate, paths
from vic.errors import redact_url
from vic.cli.common import (
    DatabaseUrl,
    _fail,
    _reported,
    _target,
    err,
    out,
)

app = typer.Typer(no_args_is_help=True, help="The database: local server, migrations, seed.")
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def _confirm(question: str) -> None:
    if not typer.confirm(question, default=False):
        _fail("cancelled; nothing changed")


@app.command()
def up() -> None:
    """Start the local PostgreSQL (idempotent) and print its URL."""
    with _reported():
        was_running = local.url() is not None
        found = local.up()
    err.print("already running" if was_running else f"started in {local.pgdata()}")
    out.print(found, markup=False)


@app.command()
def down() -> None:
    """Stop the local PostgreSQL."""
    with _reported():
        stopped = local.down()
    out.print("stopped" if stopped else "not running")


@app.command()
def url(database_url: DatabaseUrl = None) -> None:
    """Print the URL the other commands use (the local server's unless one is given)."""
    out.print(_target(database_url), markup=False)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def psql(ctx: typer.Context, database_url: DatabaseUrl = None) -> None:
    """Open psql on the database; extra arguments go to psql (e.g. -c 'select 1')."""
    target = _target(database_url)
    with _reported():
        program = local.psql_path()
    params = conninfo_to_dict(target)
    env = dict(os.environ)
    password = params.pop("password", None)
    if password is not None:
        env["PGPASSWORD"] = str(password)  # keep it off the command line, which `ps` shows
    os.execve(program, [program, make_conninfo("", **params), *ctx.args], env)


@app.command("migrate")
def migrate_cmd(database_url: DatabaseUrl = None) -> None:
    """Apply pending migrations, then re-apply functions/ and policies/."""
    target = _target(database_url)
    with _reported():
        applied = migrate.migrate(target)
    for mid in applied:
        out.print(f"[green]applied[/] {escape(mid)}")
    if not applied:
        out.print("no pending migrations")
    out.print("functions/ and policies/ re-applied")


@app.command()
def rollback(
    database_url: DatabaseUrl = None,
    all: Annotated[bool, typer.Option("--all", help="Roll back every applied migration.")] = False,
    yes: Yes = False,
) -> None:
    """Roll back the latest migration (or, with --all, every one)."""
    target = _target(database_url)
    if all and not yes:
        _confirm(f"Roll back EVERY migration in {redact_url(target)}? Data in those tables is lost.")
    with _reported():
        done = migrate.rollback(target, all=all)
    for mid in done:
        out.print(f"[yellow]rolled back[/] {escape(mid)}")
    if not done:
        out.print("nothing to roll back")


@app.command()
def status(database_url: DatabaseUrl = None) -> None:
    """Show which migrations are applied and which are pending."""
    target = _target(database_url)
    with _reported():
        rows = migrate.status(target)
    if not rows:
        out.print(f"no migrations in {paths.MIGRATIONS_DIR}")
        return
    table = Table(title=f"migrations of {escape(redact_url(target))}", title_justify="left")
    table.add_column("migration")
    table.add_column("state")
    table.add_column("applied at (UTC)")
    for mid, applied, when in rows:
        state = "[green]applied[/]" if applied else "[yellow]pending[/]"
        table.add_row(escape(mid), state, when.strftime("%Y-%m-%d %H:%M:%S") if when else "")
    out.print(table)


@app.command()
def reset(database_url: DatabaseUrl = None, yes: Yes = False) -> None:
    """Roll back every migration, then migrate again (all data is lost)."""
    target = _target(database_url)
    if not yes:
        _confirm(f"Reset {redact_url(target)}? Every table is dropped and created again, empty.")
    with _reported():
        undone = migrate.rollback(target, all=True)
        applied = migrate.migrate(target)
    out.print(f"rolled back {len(undone)}, applied {len(applied)} migrations")


@app.command()
def seed(database_url: DatabaseUrl = None) -> None:
    """Load supabase/seed.sql."""
    target = _target(database_url)
    with _reported():
        migrate.load_seed(target)
    out.print(f"loaded {paths.SEED_SQL.relative_to(paths.ROOT)}")
