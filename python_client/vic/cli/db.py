"""`vic db …`: the database itself: the local server, migrations, seed. Admin commands: they act as the
database URL's own user (the owner), whatever --as says."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from rich.markup import escape

from vic import local, migrate, paths
from vic.errors import redact_url
from vic.cli.common import (
    as_json, err, fail, local_time, new_table, out, print_json, progress, reported, say, target, Yes,
)

app = typer.Typer(no_args_is_help=True, help="The database (admin): local server, migrations, seed.")


def _confirm(question: str) -> None:
    if not typer.confirm(question, default=False):
        fail("cancelled; nothing changed")


@app.command()
def up() -> None:
    """Start the local PostgreSQL (idempotent) and print its URL."""
    with reported(), progress("starting the local PostgreSQL"):
        was_running = local.url() is not None
        found = local.up()
    err.print("already running" if was_running else f"started in {local.pgdata()}")
    say(found, {"url": found, "started": not was_running})


@app.command()
def down() -> None:
    """Stop the local PostgreSQL."""
    with reported():
        stopped = local.down()
    say("stopped" if stopped else "not running", {"stopped": stopped})


@app.command()
def url(ctx: typer.Context) -> None:
    """Print the URL the other commands use (the local server's unless one is given)."""
    found = target(ctx)
    say(found, {"url": found})


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def psql(ctx: typer.Context) -> None:
    """Open psql on the database; extra arguments go to psql (e.g. -c 'select 1')."""
    url = target(ctx)
    with reported():
        program = local.psql_path()
    params = conninfo_to_dict(url)
    env = dict(os.environ)
    password = params.pop("password", None)
    if password is not None:
        env["PGPASSWORD"] = str(password)  # keep it off the command line, which `ps` shows
    os.execve(program, [program, make_conninfo("", **params), *ctx.args], env)


@app.command("migrate")
def migrate_cmd(ctx: typer.Context) -> None:
    """Apply pending migrations, then re-apply functions/ and policies/."""
    url = target(ctx)
    with reported(), progress("migrating"):
        applied = migrate.migrate(url)
    if as_json():
        print_json({"applied": applied})
        return
    for mid in applied:
        out.print(f"[green]applied[/] {escape(mid)}")
    if not applied:
        out.print("no pending migrations")
    out.print("functions/ and policies/ re-applied")


@app.command()
def rollback(
    ctx: typer.Context,
    all: Annotated[bool, typer.Option("--all", help="Roll back every applied migration.")] = False,
    yes: Yes = False,
) -> None:
    """Roll back the latest migration (or, with --all, every one)."""
    url = target(ctx)
    if all and not yes:
        _confirm(f"Roll back EVERY migration in {redact_url(url)}? Data in those tables is lost.")
    with reported(), progress("rolling back"):
        done = migrate.rollback(url, all=all)
    if as_json():
        print_json({"rolled_back": done})
        return
    for mid in done:
        out.print(f"[yellow]rolled back[/] {escape(mid)}")
    if not done:
        out.print("nothing to roll back")


@app.command()
def status(ctx: typer.Context) -> None:
    """Show which migrations are applied and which are pending."""
    url = target(ctx)
    with reported():
        rows = migrate.status(url)
    if as_json():
        print_json([{"migration": mid, "applied": applied, "applied_at": when} for mid, applied, when in rows])
        return
    if not rows:
        out.print(f"no migrations in {paths.MIGRATIONS_DIR}")
        return
    t = new_table(f"migrations of {redact_url(url)}")
    t.add_column("migration", overflow="fold")
    t.add_column("state")
    t.add_column("applied at")
    for mid, applied, when in rows:
        state = "[green]applied[/]" if applied else "[yellow]pending[/]"
        t.add_row(escape(mid), state, local_time(when) if when else "")
    out.print(t)


@app.command()
def reset(ctx: typer.Context, yes: Yes = False) -> None:
    """Roll back every migration, then migrate again (all data is lost)."""
    url = target(ctx)
    if not yes:
        _confirm(f"Reset {redact_url(url)}? Every table is dropped and created again, empty.")
    with reported(), progress("rolling back every migration") as step:
        undone = migrate.rollback(url, all=True)
        step("migrating again")
        applied = migrate.migrate(url)
    say(f"rolled back {len(undone)}, applied {len(applied)} migrations",
        {"rolled_back": undone, "applied": applied})


@app.command()
def seed(ctx: typer.Context) -> None:
    """Load supabase/seed.sql."""
    url = target(ctx)
    with reported(), progress(f"loading {paths.SEED_SQL.name}"):
        migrate.load_seed(url)
    seeded = str(paths.SEED_SQL.relative_to(paths.ROOT))
    say(f"loaded {seeded}", {"loaded": seeded})
