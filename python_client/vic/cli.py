"""The `vic` command line. `vic db …` manages a database: the local embedded one by default,
any PostgreSQL (Supabase included) with --database-url or VIC_DATABASE_URL.

Every failure prints one line and exits 1; no traceback reaches the user.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Annotated, NoReturn

import typer
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from vic import demo as demo_view
from vic import local, migrate, paths
from vic.errors import VicError, redact_url

app = typer.Typer(no_args_is_help=True, add_completion=False)
db = typer.Typer(no_args_is_help=True, help="The database: local server, migrations, seed.")
app.add_typer(db, name="db")

# soft_wrap: an error stays on one line however narrow the terminal.
out = Console(soft_wrap=True, highlight=False)
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
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


@app.callback()
def main() -> None:
    """VIC: the real-estate schema package's command line."""


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


def _confirm(question: str) -> None:
    if not typer.confirm(question, default=False):
        _fail("cancelled; nothing changed")


@db.command()
def up() -> None:
    """Start the local PostgreSQL (idempotent) and print its URL."""
    with _reported():
        was_running = local.url() is not None
        found = local.up()
    err.print("already running" if was_running else f"started in {local.pgdata()}")
    out.print(found, markup=False)


@db.command()
def down() -> None:
    """Stop the local PostgreSQL."""
    with _reported():
        stopped = local.down()
    out.print("stopped" if stopped else "not running")


@db.command()
def url(database_url: DatabaseUrl = None) -> None:
    """Print the URL the other commands use (the local server's unless one is given)."""
    out.print(_target(database_url), markup=False)


@db.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
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


@db.command("migrate")
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


@db.command()
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


@db.command()
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


@db.command()
def reset(database_url: DatabaseUrl = None, yes: Yes = False) -> None:
    """Roll back every migration, then migrate again (all data is lost)."""
    target = _target(database_url)
    if not yes:
        _confirm(f"Reset {redact_url(target)}? Every table is dropped and created again, empty.")
    with _reported():
        undone = migrate.rollback(target, all=True)
        applied = migrate.migrate(target)
    out.print(f"rolled back {len(undone)}, applied {len(applied)} migrations")


@db.command()
def seed(database_url: DatabaseUrl = None) -> None:
    """Load supabase/seed.sql."""
    target = _target(database_url)
    with _reported():
        migrate.load_seed(target)
    out.print(f"loaded {paths.SEED_SQL.relative_to(paths.ROOT)}")


@app.command()
def demo(database_url: DatabaseUrl = None) -> None:
    """Print what the database holds: tables, agents by office, listings, requests."""
    target = _target(database_url)
    with _reported():
        demo_view.show(target)
