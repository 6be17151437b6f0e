"""The `vic` command line. `vic db …` manages a database: the local embedded one by default,
any PostgreSQL (Supabase included) with --database-url or VIC_DATABASE_URL.

`vic contact …`, `vic agent …` and `vic visibility …` call the RPC functions through
`vic.client.VicClient`, one command per function, as the database's own user (the dashboard
admin), or acting as a contact (`vic --as <contact id> …`, env VIC_AS) or as the bot
(`vic --service-role …`), exactly as PostgREST would.

Every failure prints one line and exits 1; no traceback reaches the user.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn

import typer
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from vic import demo as demo_view
from vic import local, migrate, paths
from vic.client import VicClient
from vic.errors import VicError, redact_url

app = typer.Typer(no_args_is_help=True, add_completion=False)
db = typer.Typer(no_args_is_help=True, help="The database: local server, migrations, seed.")
app.add_typer(db, name="db")
contact = typer.Typer(no_args_is_help=True, help="Contacts: who is acting, registration, consents, onboarding.")
app.add_typer(contact, name="contact")
agent = typer.Typer(no_args_is_help=True, help="Agent profiles: roles, specialty, territory, target.")
app.add_typer(agent, name="agent")
visibility = typer.Typer(no_args_is_help=True, help="Other agents' listings: visibility grants and cards.")
app.add_typer(visibility, name="visibility")

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


@dataclass(frozen=True)
class Acting:
    """Who the RPC commands act as (the root options)."""

    contact_id: str | None = None
    service_role: bool = False


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
    """Print what the database holds: tables, agents by office, listings, requests, and the cards an agent of the other office sees."""
    target = _target(database_url)
    with _reported():
        demo_view.show(target)


# ------------------------------------------------------------------------------------- RPC commands
# One command per RPC function of schema public (tests/test_rpc_surface.py keeps them in step).
# Values are checked by the database, not here: an invalid one comes back as one error line.

ContactIdArg = Annotated[
    str, typer.Argument(metavar="CONTACT_ID", help="The contact's id (uuid).", show_default=False)
]


def _client(ctx: typer.Context, database_url: str | None) -> VicClient:
    """A client on the target database, acting as the root options say."""
    acting = ctx.obj if isinstance(ctx.obj, Acting) else Acting()
    target = _target(database_url)
    return VicClient.connect(target, acting_as=acting.contact_id, service_role=acting.service_role)


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "isoformat") and hasattr(value, "hour"):
        return value.isoformat(sep=" ", timespec="seconds")
    return str(value)


def _show_row(title: str, row: Mapping[str, Any]) -> None:
    """One row as a two-column table, a field per line."""
    table = Table(title=escape(title), title_justify="left")
    table.add_column("field", no_wrap=True)
    table.add_column("value")
    for key, value in row.items():
        table.add_row(escape(key), escape(_text(value)))
    out.print(table)


def _price(card: Mapping[str, Any]) -> str:
    """The exact price when the card shows it, else the price band: 10.000.000–15.000.000 ₺."""
    currency = card.get("currency") or ""
    if card.get("listed_price") is not None:
        return demo_view.money(card["listed_price"], currency)
    if card.get("price_band_min") is None:
        return "—"
    low = demo_view.money(card["price_band_min"], currency).rsplit(" ", 1)[0]
    return f"{low}–{demo_view.money(card.get('price_band_max'), currency)}"


CARD_COLUMNS = {  # header -> card field ("price" is computed)
    "id": "id", "level": "visibility_level", "type": "type", "for": "listing_type", "district": "district",
    "rooms": "rooms", "price": None, "status": "status", "title": "title", "agent": "agent_name",
    "phone": "agent_phone",
}


def _show_cards(rows: Sequence[Mapping[str, Any]]) -> None:
    """Listing cards, one per line: hidden fields print as —."""
    if not rows:
        out.print("no cards")
        return
    table = Table(title="Listing cards", title_justify="left")
    for header in CARD_COLUMNS:
        table.add_column(header, no_wrap=header in ("id", "price", "phone"))
    for card in rows:
        table.add_row(*(
            escape(_price(card) if field is None else _text(card.get(field))) for field in CARD_COLUMNS.values()
        ))
    # a pipe or CI log is 80 columns by default: too narrow for a card per line
    Console(width=max(out.width, 160), highlight=False).print(table)


@contact.command("whoami")
def contact_whoami(ctx: typer.Context, database_url: DatabaseUrl = None) -> None:
    """Who is acting: contact id, authority and office (whoami)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.whoami()
    _show_row("whoami", row)


@contact.command("upsert")
def contact_upsert(
    ctx: typer.Context,
    phone: Annotated[str | None, typer.Option(help="WhatsApp number in E.164, e.g. +905321234567.")] = None,
    bsuid: Annotated[str | None, typer.Option(help="WhatsApp business-scoped user id.")] = None,
    display_name: Annotated[str | None, typer.Option(help="Name shown to agents.")] = None,
    contact_type: Annotated[
        str | None, typer.Option(help="lead (default for a new contact), customer, property_owner, agent or staff.")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Find a contact by phone or bsuid, or create it (upsert_contact)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.upsert_contact(phone=phone, bsuid=bsuid, display_name=display_name, contact_type=contact_type)
    _show_row("contact", row)


@contact.command("consent")
def contact_consent(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(metavar="KIND", help="transfer, training or marketing.", show_default=False)],
    granted: Annotated[bool, typer.Option("--grant/--withdraw", help="Grant or withdraw the consent.")],
    contact_id: Annotated[
        str | None, typer.Option(help="Whose consent (staff, bot); default: the acting contact.")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Grant or withdraw a consent; the database timestamps it (record_consent)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.record_consent(kind=kind, granted=granted, contact_id=contact_id)
    _show_row("contact", row)


@contact.command("status")
def contact_status(
    ctx: typer.Context,
    contact_id: ContactIdArg,
    status: Annotated[
        str,
        typer.Argument(
            metavar="STATUS", help="new, consent_pending, profiling, active, opted_out or blocked.", show_default=False
        ),
    ],
    database_url: DatabaseUrl = None,
) -> None:
    """Move a contact along the onboarding state machine (set_onboarding_status)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.set_onboarding_status(contact_id=contact_id, status=status)
    _show_row("contact", row)


@agent.command("set-role")
def agent_set_role(
    ctx: typer.Context,
    contact_id: ContactIdArg,
    role: Annotated[str, typer.Argument(metavar="ROLE", help="agent, broker, admin or owner.", show_default=False)],
    office: Annotated[str | None, typer.Option(help="The office the agent works for.")] = None,
    active: Annotated[
        bool | None,
        typer.Option(
            "--active/--inactive",
            show_default=False,
            help="Whether the profile is active (the database's default: active, even for a profile now inactive).",
        ),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Give a contact an agent profile or change its role, office, active (set_agent_role)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.set_agent_role(contact_id=contact_id, role=role, office=office, active=active)
    _show_row("agent profile", row)


@agent.command("update")
def agent_update(
    ctx: typer.Context,
    specialty: Annotated[str | None, typer.Option(help="What the agent specialises in.")] = None,
    territory: Annotated[str | None, typer.Option(help="Districts covered, e.g. 'Kadıköy, Üsküdar'.")] = None,
    target_monthly: Annotated[int | None, typer.Option(help="Monthly target (closings).")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """The acting agent edits its own specialty, territory, target (update_agent_profile)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.update_agent_profile(specialty=specialty, territory=territory, target_monthly=target_monthly)
    _show_row("agent profile", row)


@visibility.command("grant")
def visibility_grant(
    ctx: typer.Context,
    portfolio_id: Annotated[
        str, typer.Argument(metavar="PORTFOLIO_ID", help="The listing, e.g. 2026-001.", show_default=False)
    ],
    agent_id: Annotated[
        str, typer.Argument(metavar="AGENT_ID", help="The agent who may see it (contact id).", show_default=False)
    ],
    level: Annotated[str, typer.Argument(metavar="LEVEL", help="anonymous, partial or full.", show_default=False)],
    deal_id: Annotated[str | None, typer.Option(help="The deal that unlocks this level.")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Let an agent see a listing at a level; never lowers one (grant_visibility)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.grant_visibility(portfolio_id=portfolio_id, agent_id=agent_id, level=level, deal_id=deal_id)
    _show_row("visibility grant", row)


@visibility.command("cards")
def visibility_cards(
    ctx: typer.Context,
    portfolio_ids: Annotated[
        list[str] | None,
        typer.Argument(metavar="PORTFOLIO_ID", help="Only these listings (default: every card).", show_default=False),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many (the database's default: 50).")] = None,
    offset: Annotated[int | None, typer.Option(help="Skip this many first (default 0).")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Listing cards at the acting agent's visibility level (portfolio_cards)."""
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.portfolio_cards(portfolio_ids=portfolio_ids or None, limit=limit, offset=offset)
    _show_cards(rows)
