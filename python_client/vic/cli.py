"""The `vic` command line. `vic db …` manages a database: the local embedded one by default,
any PostgreSQL (Supabase included) with --database-url or VIC_DATABASE_URL.

`vic contact …`, `vic agent …`, `vic visibility …`, `vic listing …`, `vic request …`, `vic match …`,
`vic market …`, `vic commission …`, `vic showing …`, `vic task …`, `vic inbox …`, `vic session …`, `vic export …`, `vic nudge …` and `vic notify …` call the RPC functions through `vic.client.VicClient`, one command per function, as the database's own user (the dashboard
admin), or acting as a contact (`vic --as <contact id> …`, env VIC_AS) or as the bot
(`vic --service-role …`), exactly as PostgREST would.

`vic worker` drains the match events and runs the periodic jobs (vic.worker) until Ctrl-C or SIGTERM.

Every failure prints one line and exits 1; no traceback reaches the user.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo

import typer
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from vic import demo as demo_view
from vic import local, migrate, paths
from vic import worker as worker_loop
from vic.client import VicClient
from vic.errors import AccessDenied, VicError, redact_url
from vic.supabase_build import supabase_app

app = typer.Typer(no_args_is_help=True, add_completion=False)
db = typer.Typer(no_args_is_help=True, help="The database: local server, migrations, seed.")
app.add_typer(db, name="db")
contact = typer.Typer(no_args_is_help=True, help="Contacts: who is acting, registration, consents, onboarding.")
app.add_typer(contact, name="contact")
agent = typer.Typer(no_args_is_help=True, help="Agent profiles: roles, specialty, territory, target.")
app.add_typer(agent, name="agent")
visibility = typer.Typer(no_args_is_help=True, help="Other agents' listings: visibility grants and cards.")
app.add_typer(visibility, name="visibility")
listing = typer.Typer(no_args_is_help=True, help="Listings (portföy): create, update, (de)activate, media, search.")
app.add_typer(listing, name="listing")
request = typer.Typer(no_args_is_help=True, help="Requests (talepler): create, criteria, assign, close, churn.")
app.add_typer(request, name="request")
deal = typer.Typer(no_args_is_help=True, help="Deals: open, offers, dual-confirm closing, cancel.")
app.add_typer(deal, name="deal")
match = typer.Typer(no_args_is_help=True, help="Matches of listings and requests: why a pair matches; the matcher (drain, lag).")
app.add_typer(match, name="match")
market = typer.Typer(no_args_is_help=True, help="Market signals: unmet demand.")
app.add_typer(market, name="market")
commission = typer.Typer(no_args_is_help=True, help="Commissions: the split of commission_total, and each row's status.")
app.add_typer(commission, name="commission")
showing = typer.Typer(no_args_is_help=True, help="Showings (yer gösterme): schedule, reschedule, cancel, mark shown.")
app.add_typer(showing, name="showing")
task = typer.Typer(no_args_is_help=True, help="Tasks and stale work: follow-ups, stale deals, done, cancel.")
app.add_typer(task, name="task")
inbox = typer.Typer(no_args_is_help=True, help="WhatsApp messages: ingest (each stored once), claim, acknowledge, release; dead letters.")
app.add_typer(inbox, name="inbox")
session = typer.Typer(no_args_is_help=True, help="Bot sessions: qualifying slots, extraction into a request, close, show.")
app.add_typer(session, name="session")
export = typer.Typer(no_args_is_help=True, help="Exports: conversations for model training (staff).")
app.add_typer(export, name="export")
nudge = typer.Typer(no_args_is_help=True, help="Template nudges for WhatsApp windows that closed: claim them.")
app.add_typer(nudge, name="nudge")
notify = typer.Typer(no_args_is_help=True, help="WhatsApp notifications: hand out (claim), record a send, share a listing card.")
app.add_typer(notify, name="notify")
app.add_typer(supabase_app, name="supabase")

# soft_wrap: an error stays on one line however narrow the terminal.
out = Console(soft_wrap=True, highlight=False)
# events per matcher call when the CLI drains (each call is one transaction)
DRAIN_BATCH = 500
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


@app.command()
def worker(
    ctx: typer.Context,
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="Match events per process_match_events call.")] = 500,
    poll: Annotated[
        float, typer.Option(min=0.1, help="Seconds between drains when no notification comes (a fallback).")
    ] = 5.0,
    jobs_every: Annotated[
        float, typer.Option(min=1, help="Seconds between runs of the periodic jobs (stale deals, follow-ups).")
    ] = 300.0,
    stale_after: Annotated[
        str, typer.Option(metavar="IDLE", help="A deal idle for longer than this is stale: days or an interval.")
    ] = "7",
    remind_after: Annotated[
        str, typer.Option(metavar="AGE", help="Remind closing sides unconfirmed for longer than this: days or an "
                          "interval.")
    ] = "1",
    once: Annotated[bool, typer.Option("--once", help="Drain once, run the jobs once, exit.")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Run the matcher and the periodic jobs until Ctrl-C or SIGTERM: woken by LISTEN vic_match_events, polling
    as a fallback (as the URL's own user, or with --service-role as service_role)."""
    acting = ctx.obj if isinstance(ctx.obj, Acting) else Acting()
    if acting.contact_id:
        _fail("the worker runs as the URL's own user or as --service-role, not as a contact (--as)")
    options = worker_loop.Options(batch=batch, poll=poll, jobs_every=jobs_every,
                                  stale_after=_interval(stale_after, "days", "--stale-after") or "7 days",
                                  remind_after=_interval(remind_after, "days", "--remind-after") or "1 day", once=once)
    with _reported():
        worker_loop.Worker(_target(database_url), service_role=acting.service_role, options=options, console=out).run()


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


def _drain(ctx: typer.Context, database_url: str | None) -> int | None:
    """Run the matcher until no match event is pending (public.process_match_events); returns how many
    events it processed, or None when the caller may not run it. As service_role when the root options
    say so, else as the database URL's own user (the owner, `postgres` locally), also when acting --as a
    contact: the write was the contact's, the matching is the database's."""
    acting = ctx.obj if isinstance(ctx.obj, Acting) else Acting()
    total = 0
    try:
        with VicClient.connect(_target(database_url), service_role=acting.service_role) as vic:
            while n := vic.process_match_events(max=DRAIN_BATCH):
                total += n
    except AccessDenied:
        return None
    return total


@contextlib.contextmanager
def _matching_client(ctx: typer.Context, database_url: str | None) -> Iterator[VicClient]:
    """`_client` for a command that writes listings or requests: after the write, the matcher runs, so
    the matches, notifications and visibility it makes are there at once without a worker (`vic worker`
    matches them otherwise, within about a second)."""
    with _client(ctx, database_url) as vic:
        yield vic
    if _drain(ctx, database_url) is None:
        err.print("[dim]matched when the matcher runs (`vic worker`, or `vic match drain` as the owner)[/]")


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "isoformat") and hasattr(value, "hour"):
        # a moment as an Istanbul agent reads it, its offset kept: 2026-12-04 16:01:02+03:00
        return (value.astimezone(ISTANBUL) if value.tzinfo else value).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _local(moment: datetime | None) -> str:
    """A moment as an Istanbul agent reads it: 2026-12-04 16:01."""
    return "—" if moment is None else moment.astimezone(ISTANBUL).strftime("%Y-%m-%d %H:%M")


def _show_row(title: str, row: Mapping[str, Any]) -> None:
    """One row as a two-column table, a field per line."""
    table = Table(title=escape(title), title_justify="left")
    table.add_column("field", no_wrap=True)
    table.add_column("value")
    for key, value in row.items():
        table.add_row(escape(key), escape(_text(value)))
    out.print(table)


def _show_rows(title: str, columns: Mapping[str, str], rows: Sequence[Mapping[str, Any]], *,
               right: Sequence[str] = ()) -> None:
    """Rows as a table, one per line: `columns` maps each header to its field; `right` headers align right."""
    table = Table(title=escape(title), title_justify="left")
    for header in columns:
        table.add_column(header, no_wrap=True, justify="right" if header in right else "left")
    for row in rows:
        table.add_row(*(escape(_text(row.get(field))) for field in columns.values()))
    # a pipe or CI log is 80 columns by default: too narrow for a row per line
    Console(width=max(out.width, 160), highlight=False).print(table)


def _budget(row: Mapping[str, Any]) -> str:
    """A budget as a range, the currency once: 9.000.000–13.300.000 ₺ (up to / from when one end is open)."""
    low, high, currency = row.get("min_price"), row.get("max_price"), row.get("currency") or "TRY"
    if high is None:
        return "—" if low is None else f"from {demo_view.money(low, currency)}"
    if low is None:
        return f"up to {demo_view.money(high, currency)}"
    return f"{demo_view.money(low, currency).rsplit(' ', 1)[0]}–{demo_view.money(high, currency)}"


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


def _show_cards(rows: Sequence[Mapping[str, Any]], title: str = "Listing cards", *, rank: bool = False) -> None:
    """Listing cards, one per line: hidden fields print as —; with `rank`, the search rank first."""
    if not rows:
        out.print("no cards")
        return
    table = Table(title=escape(title), title_justify="left")
    if rank:
        table.add_column("rank", justify="right")
    for header in CARD_COLUMNS:
        table.add_column(header, no_wrap=header in ("id", "price", "phone"))
    for card in rows:
        first = [f"{card['rank']:.3f}" if card.get("rank") is not None else "—"] if rank else []
        table.add_row(*first, *(
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
    message_id: Annotated[
        str | None, typer.Option(help="The contact's inbound WhatsApp message (message_log id) it came in.")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Grant or withdraw a consent; the database timestamps it and keeps it in the history (record_consent)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.record_consent(kind=kind, granted=granted, contact_id=contact_id, message_id=message_id)
    _show_row("contact", row)


OptionalContactArg = Annotated[
    str | None,
    typer.Argument(metavar="[CONTACT_ID]", help="The contact's id (uuid); default: the acting contact.",
                   show_default=False),
]


def _show_narrow(title: str, columns: Mapping[str, str], rows: Sequence[Mapping[str, Any]]) -> None:
    """Rows as a table at most 100 columns wide: a long value (an id) folds onto a second line."""
    table = Table(title=escape(title), title_justify="left")
    for header in columns:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*(escape(_text(row.get(field))) for field in columns.values()))
    Console(width=100, highlight=False).print(table)


@contact.command("consents")
def contact_consents(ctx: typer.Context, contact_id: OptionalContactArg = None, database_url: DatabaseUrl = None) -> None:
    """A contact's consent history, oldest first: who granted or withdrew which consent, when, from which message
    (consent_history)."""
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.consent_history(contact_id=contact_id)
    if not rows:
        out.print("no consent recorded")
        return
    shown = [dict(row, _when=_local(row.get("changed_at")), _change="granted" if row.get("granted") else "withdrawn",
                  _by=" ".join(str(v) for v in (row.get("actor_role"), row.get("changed_by")) if v))
             for row in rows]
    _show_narrow(f"Consent history: {len(rows)}", {"when": "_when", "consent": "consent", "change": "_change",
                                                   "by": "_by", "message": "message_id", "status": "onboarding_status"},
                 shown)


@contact.command("window")
def contact_window(ctx: typer.Context, contact_id: OptionalContactArg = None, database_url: DatabaseUrl = None) -> None:
    """Is the contact's WhatsApp window open, and until when (Istanbul time); its last messages (window_status)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.window_status(contact_id=contact_id)
    closes = row.get("window_closes_at")
    if row.get("window_open"):
        out.print(f"window open until {_local(closes)} (Istanbul): free-form messages allowed")
    elif closes is None:
        out.print("window closed: no message from the contact yet (templates only)")
    else:
        out.print(f"window closed since {_local(closes)} (Istanbul): templates only")
    _show_row("window", row)


@contact.command("window-open")
def contact_window_open(ctx: typer.Context, contact_id: ContactIdArg, database_url: DatabaseUrl = None) -> None:
    """Print open or closed: the contact's 24-hour window now (window_open)."""
    with _reported(), _client(ctx, database_url) as vic:
        is_open = vic.window_open(contact_id=contact_id)
    out.print("open" if is_open else "closed")


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


@contact.command("change-phone")
def contact_change_phone(
    ctx: typer.Context,
    contact_id: ContactIdArg,
    phone: Annotated[str, typer.Argument(metavar="PHONE", help="The new number, E.164: +905321234567.", show_default=False)],
    database_url: DatabaseUrl = None,
) -> None:
    """Move a contact to its new number; its messages, sessions and requests stay; never merges two contacts
    (change_contact_phone)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.change_contact_phone(contact_id=contact_id, phone=phone)
    _show_row("contact", row)


@contact.command("change-bsuid")
def contact_change_bsuid(
    ctx: typer.Context,
    contact_id: ContactIdArg,
    bsuid: Annotated[str, typer.Argument(metavar="BSUID", help="The new WhatsApp business-scoped user id.", show_default=False)],
    database_url: DatabaseUrl = None,
) -> None:
    """Move a contact to its new WhatsApp bsuid; its history stays; never merges two contacts (change_contact_bsuid)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.change_contact_bsuid(contact_id=contact_id, bsuid=bsuid)
    _show_row("contact", row)


@contact.command("identity-history")
def contact_identity_history(ctx: typer.Context, contact_id: ContactIdArg, database_url: DatabaseUrl = None) -> None:
    """The phones and bsuids a contact had, oldest first, times in Istanbul (contact_identity_history)."""
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.contact_identity_history(contact_id=contact_id)
    if not rows:
        out.print("no identity change")
        return
    table = Table(title="Identity changes", title_justify="left")
    for header in ("when", "field", "old", "new", "by"):
        table.add_column(header, no_wrap=header in ("when", "field"))
    for row in rows:
        table.add_row(escape(_local(row.get("changed_at"))), escape(_text(row.get("field"))),
                      escape(_text(row.get("old_value"))), escape(_text(row.get("new_value"))),
                      escape(_text(row.get("changed_by") or "bot / dashboard")))
    Console(width=100, highlight=False).print(table)


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
    deal_id: Annotated[str | None, typer.Option(help="Refused when given: only a deal itself names the deal that unlocked a grant.")] = None,
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


# ------------------------------------------------------------------------------------- listings
PortfolioIdArg = Annotated[
    str, typer.Argument(metavar="PORTFOLIO_ID", help="The listing, e.g. 2026-001.", show_default=False)
]
RequestIdArg = Annotated[str, typer.Argument(metavar="REQUEST_ID", help="The request (uuid).", show_default=False)]
ISTANBUL = ZoneInfo("Europe/Istanbul")
# 12500000, 12.500.000 (Turkish grouping) or 12_500_000
_AMOUNT = re.compile(r"[0-9]+|[0-9]{1,3}(?:[._][0-9]{3})+")


def _amount(text: str | None) -> int | str | None:
    """An amount as typed: whole units, digits grouped by dots (12.500.000) or underscores, or not.
    What does not read as an amount is passed on as typed, for the database to reject naming the field."""
    if text is None:
        return None
    text = text.strip()
    return int(re.sub(r"[._]", "", text)) if _AMOUNT.fullmatch(text) else text


def _moment(text: str | None, option: str) -> datetime | None:
    """A date or date-time as typed (ISO 8601: 2026-11-01, 2026-11-01T09:30); without an offset it is
    Istanbul time."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        _fail(f"{option} must be a date or time like 2026-11-01 or 2026-11-01T09:30, not {text!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=ISTANBUL)


# The fields of a portfolios or requests row that the CLI prints: the rest are the database's own
# derived columns (search vector, matching keys, and the copy of the floor price, which is never shown).
LISTING_FIELDS = ("id", "agent_id", "type", "listing_type", "title", "description", "city", "district", "rooms",
                  "listed_price", "currency", "status", "created_at", "updated_at")
REQUEST_FIELDS = ("id", "customer_id", "assigned_agent", "request_type", "criteria", "status", "source_session_id",
                  "created_at", "updated_at")


def _show_listing(row: Mapping[str, Any]) -> None:
    """A portfolios row: its own fields only."""
    _show_row(f"listing {row.get('id', '')}", {k: row[k] for k in LISTING_FIELDS if k in row})


def _show_media(rows: Sequence[Mapping[str, Any]]) -> None:
    _show_rows("Media, in display order",
               {"order": "sort_order", "type": "media_type", "storage path": "storage_path", "id": "id"}, rows)


def _amount_option(help: str) -> Any:
    return typer.Option(metavar="AMOUNT", help=f"{help}, in whole units: 9000000 or 9.000.000.", show_default=False)


MinPrice = Annotated[str | None, _amount_option("Budget from (criteria.min_price)")]
MaxPrice = Annotated[str | None, _amount_option("Budget up to (criteria.max_price)")]


@listing.command("create")
def listing_create(
    ctx: typer.Context,
    type: Annotated[str, typer.Option("--type", help="daire, villa, dukkan or arsa.", show_default=False)],
    listing_type: Annotated[str, typer.Option("--for", help="sale or rent.", show_default=False)],
    title: Annotated[str, typer.Option(help="The headline.", show_default=False)],
    district: Annotated[str, typer.Option(help="District (ilçe), e.g. Kadıköy.", show_default=False)],
    price: Annotated[
        str,
        typer.Option(metavar="AMOUNT", help="Listed price in whole units, e.g. 12500000 or 12.500.000.",
                     show_default=False),
    ],
    currency: Annotated[str | None, typer.Option(help="TRY (the database's default), USD, EUR or GBP.")] = None,
    rooms: Annotated[str | None, typer.Option(help="Rooms like 3+1 (required for daire and villa).")] = None,
    description: Annotated[str | None, typer.Option(help="The listing text.")] = None,
    city: Annotated[str | None, typer.Option(help="City (il); the database's default: İstanbul.")] = None,
    agent_id: Annotated[
        str | None, typer.Option(help="The listing agent (brokers, staff, bot); default: the acting agent.")
    ] = None,
    owner_name: Annotated[str | None, typer.Option(help="Confidential: the owner's name.")] = None,
    owner_phone: Annotated[str | None, typer.Option(help="Confidential: the owner's phone, E.164.")] = None,
    floor: Annotated[
        str | None,
        typer.Option("--floor", metavar="AMOUNT", help="Confidential: the floor price (min_price, dip fiyat).",
                     show_default=False),
    ] = None,
    commission_rate: Annotated[float | None, typer.Option(help="Confidential: commission in percent.")] = None,
    private_notes: Annotated[str | None, typer.Option(help="Confidential: notes for the agent and brokers.")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a listing; the database allocates its id, and it is matched at once (create_listing, then the matcher)."""
    with _reported(), _matching_client(ctx, database_url) as vic:
        row = vic.create_listing(
            type=type, listing_type=listing_type, title=title, district=district, listed_price=_amount(price),
            currency=currency, rooms=rooms, description=description, city=city, agent_id=agent_id,
            owner_name=owner_name, owner_phone=owner_phone, min_price=_amount(floor),
            commission_rate=commission_rate, private_notes=private_notes,
        )
    _show_listing(row)


@listing.command("update")
def listing_update(
    ctx: typer.Context,
    portfolio_id: PortfolioIdArg,
    title: Annotated[str | None, typer.Option(help="The headline.")] = None,
    description: Annotated[str | None, typer.Option(help="The listing text.")] = None,
    district: Annotated[str | None, typer.Option(help="District (ilçe).")] = None,
    rooms: Annotated[str | None, typer.Option(help="Rooms like 3+1.")] = None,
    price: Annotated[
        str | None, typer.Option(metavar="AMOUNT", help="Listed price in whole units.", show_default=False)
    ] = None,
    currency: Annotated[str | None, typer.Option(help="TRY, USD, EUR or GBP.")] = None,
    owner_name: Annotated[str | None, typer.Option(help="Confidential: the owner's name.")] = None,
    owner_phone: Annotated[str | None, typer.Option(help="Confidential: the owner's phone, E.164.")] = None,
    floor: Annotated[
        str | None,
        typer.Option("--floor", metavar="AMOUNT", help="Confidential: the floor price (min_price).",
                     show_default=False),
    ] = None,
    commission_rate: Annotated[float | None, typer.Option(help="Confidential: commission in percent.")] = None,
    private_notes: Annotated[str | None, typer.Option(help="Confidential: notes for the agent and brokers.")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Change a listing; what is not given is kept (update_listing)."""
    with _reported(), _matching_client(ctx, database_url) as vic:
        row = vic.update_listing(
            portfolio_id=portfolio_id, title=title, description=description, district=district, rooms=rooms,
            listed_price=_amount(price), currency=currency, owner_name=owner_name, owner_phone=owner_phone,
            min_price=_amount(floor), commission_rate=commission_rate, private_notes=private_notes,
        )
    _show_listing(row)


@listing.command("deactivate")
def listing_deactivate(ctx: typer.Context, portfolio_id: PortfolioIdArg, database_url: DatabaseUrl = None) -> None:
    """Take a listing off the market; its matches go (deactivate_listing)."""
    with _reported(), _matching_client(ctx, database_url) as vic:
        row = vic.deactivate_listing(portfolio_id=portfolio_id)
    _show_listing(row)


@listing.command("reactivate")
def listing_reactivate(ctx: typer.Context, portfolio_id: PortfolioIdArg, database_url: DatabaseUrl = None) -> None:
    """Put an inactive listing back on the market; it is matched again (reactivate_listing)."""
    with _reported(), _matching_client(ctx, database_url) as vic:
        row = vic.reactivate_listing(portfolio_id=portfolio_id)
    _show_listing(row)


@listing.command("media-add")
def listing_media_add(
    ctx: typer.Context,
    portfolio_id: PortfolioIdArg,
    media_type: Annotated[str, typer.Argument(metavar="MEDIA_TYPE", help="photo or video.", show_default=False)],
    storage_path: Annotated[
        str, typer.Argument(metavar="STORAGE_PATH", help="Object path in Supabase Storage.", show_default=False)
    ],
    database_url: DatabaseUrl = None,
) -> None:
    """Append a photo or video after the listing's last one (add_media)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.add_media(portfolio_id=portfolio_id, media_type=media_type, storage_path=storage_path)
    _show_media([row])


@listing.command("media-reorder")
def listing_media_reorder(
    ctx: typer.Context,
    portfolio_id: PortfolioIdArg,
    media_ids: Annotated[
        list[str],
        typer.Argument(metavar="MEDIA_ID...", help="Every media id of the listing, in the new order.",
                       show_default=False),
    ],
    database_url: DatabaseUrl = None,
) -> None:
    """Put a listing's media in a new order, all at once (reorder_media)."""
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.reorder_media(portfolio_id=portfolio_id, media_ids=media_ids)
    _show_media(rows)


@listing.command("search")
def listing_search(
    ctx: typer.Context,
    query: Annotated[
        str | None,
        typer.Argument(metavar="[QUERY]", help="Words to find, e.g. 'kadikoy daire' (accents optional).",
                       show_default=False),
    ] = None,
    district: Annotated[str | None, typer.Option(help="Only this district.")] = None,
    type: Annotated[str | None, typer.Option("--type", help="Only this type: daire, villa, dukkan or arsa.")] = None,
    rooms: Annotated[str | None, typer.Option(help="Only these rooms, e.g. 3+1.")] = None,
    min_price: Annotated[
        str | None, _amount_option("Priced from (the price band for a listing you see anonymously)")
    ] = None,
    max_price: Annotated[
        str | None, _amount_option("Priced up to (the price band for a listing you see anonymously)")
    ] = None,
    currency: Annotated[str | None, typer.Option(help="TRY, USD, EUR or GBP.")] = None,
    listing_type: Annotated[str | None, typer.Option("--for", help="sale or rent.")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many (the database's default: 20).")] = None,
    offset: Annotated[int | None, typer.Option(help="Skip this many first (default 0).")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Search listings, best first, as cards at the caller's level (search_portfolios)."""
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.search_portfolios(
            query=query, district=district, type=type, rooms=rooms, min_price=_amount(min_price),
            max_price=_amount(max_price), currency=currency, listing_type=listing_type, limit=limit, offset=offset,
        )
    _show_cards(rows, f"Search: {query}" if query else "Search", rank=True)


# ------------------------------------------------------------------------------------- requests
Districts = Annotated[
    list[str] | None,
    typer.Option("--district", help="A district the customer wants (repeat for more).", show_default=False),
]
Types = Annotated[
    list[str] | None,
    typer.Option("--type", help="A type: daire, villa, dukkan or arsa (repeat for more).", show_default=False),
]
Rooms = Annotated[
    list[str] | None, typer.Option("--rooms", help="Rooms like 3+1 (repeat for more).", show_default=False)
]
CriteriaCurrency = Annotated[
    str | None, typer.Option(help="TRY (the database's default), USD, EUR or GBP.", show_default=False)
]


def _criteria(
    districts: list[str] | None, types: list[str] | None, rooms: list[str] | None,
    min_price: str | None, max_price: str | None, currency: str | None,
) -> dict[str, Any]:
    """requests.criteria from the options: only the keys given."""
    given = {
        "districts": districts or None, "types": types or None, "rooms": rooms or None,
        "min_price": _amount(min_price), "max_price": _amount(max_price), "currency": currency,
    }
    return {key: value for key, value in given.items() if value is not None}


def _show_request(row: Mapping[str, Any]) -> None:
    """A requests row: its own fields only."""
    _show_row(f"request {row.get('id', '')}", {k: row[k] for k in REQUEST_FIELDS if k in row})


@request.command("create")
def request_create(
    ctx: typer.Context,
    request_type: Annotated[str, typer.Argument(metavar="REQUEST_TYPE", help="buy or rent.", show_default=False)],
    district: Districts = None,
    type: Types = None,
    rooms: Rooms = None,
    min_price: MinPrice = None,
    max_price: MaxPrice = None,
    currency: CriteriaCurrency = None,
    customer_id: Annotated[
        str | None, typer.Option(help="The customer (its agent, staff, bot); default: the acting contact.")
    ] = None,
    assigned_agent: Annotated[str | None, typer.Option(help="The agent who takes it (then: assigned).")] = None,
    source_session_id: Annotated[str | None, typer.Option(help="The session it was extracted from.")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Record a buy or rent request; it is matched at once (create_request, then the matcher)."""
    criteria = _criteria(district, type, rooms, min_price, max_price, currency)
    with _reported(), _matching_client(ctx, database_url) as vic:
        row = vic.create_request(request_type=request_type, criteria=criteria, customer_id=customer_id,
                                 assigned_agent=assigned_agent, source_session_id=source_session_id)
    _show_request(row)


@request.command("criteria")
def request_criteria(
    ctx: typer.Context,
    request_id: RequestIdArg,
    district: Districts = None,
    type: Types = None,
    rooms: Rooms = None,
    min_price: MinPrice = None,
    max_price: MaxPrice = None,
    currency: CriteriaCurrency = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Replace a request's criteria with the options given; it is matched again (update_request_criteria)."""
    criteria = _criteria(district, type, rooms, min_price, max_price, currency)
    with _reported(), _matching_client(ctx, database_url) as vic:
        row = vic.update_request_criteria(request_id=request_id, criteria=criteria)
    _show_request(row)


@request.command("assign")
def request_assign(
    ctx: typer.Context,
    request_id: RequestIdArg,
    agent_id: Annotated[
        str | None, typer.Option(help="The agent (brokers: of their office; staff, bot: any); default: the caller.")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Give a request an agent: status assigned; brokers, staff and the bot only (assign_request)."""
    with _reported(), _matching_client(ctx, database_url) as vic:
        row = vic.assign_request(request_id=request_id, agent_id=agent_id)
    _show_request(row)


@request.command("churn")
def request_churn(
    ctx: typer.Context,
    since_text: Annotated[
        str | None,
        typer.Option("--since", metavar="WHEN", help="From this date or time (Istanbul time unless an offset is given); "
                     "default: 7 days ago.", show_default=False),
    ] = None,
    min_changes: Annotated[
        int | None, typer.Option("--min-changes", help="At least this many budget changes; default: 3.",
                                 show_default=False)
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Requests whose budget moved unusually often: brokers their office's, staff all (budget_churn)."""
    since = _moment(since_text, "--since")
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.budget_churn(since=since, min_changes=min_changes)
    if not rows:
        out.print("no request's budget moved that often")
        return
    shown = [{**r, "last": _local(r.get("last_changed_at")), "budget": _budget(r)} for r in rows]
    _show_rows("Budget churn", {"request": "request_id", "agent": "agent_name", "changes": "changes",
                                "last change": "last", "budget now": "budget"},
               shown, right=("changes",))


@request.command("close")
def request_close(ctx: typer.Context, request_id: RequestIdArg, database_url: DatabaseUrl = None) -> None:
    """Close a request; its matches go (close_request)."""
    with _reported(), _matching_client(ctx, database_url) as vic:
        row = vic.close_request(request_id=request_id)
    _show_request(row)


# ------------------------------------------------------------------------------------- deals
DealIdArg = Annotated[str, typer.Argument(metavar="DEAL_ID", help="The deal (uuid).", show_default=False)]
OfferIdArg = Annotated[str, typer.Argument(metavar="OFFER_ID", help="The offer (uuid).", show_default=False)]
AmountArg = Annotated[
    str, typer.Argument(metavar="AMOUNT", help="Whole units: 12000000 or 12.000.000.", show_default=False)
]
DEAL_FIELDS = ("id", "portfolio_id", "customer_id", "listing_agent_id", "buying_agent_id", "is_cross_agent", "status",
               "offer_price", "closing_price", "commission_total", "cancel_reason", "last_activity_at", "closed_at")


def _show_deal(row: Mapping[str, Any]) -> None:
    _show_row(f"deal {row.get('id', '')}", {k: row[k] for k in DEAL_FIELDS if k in row})


def _show_offer(row: Mapping[str, Any]) -> None:
    _show_row(f"offer {row.get('id', '')}", row)


@deal.command("open")
def deal_open(
    ctx: typer.Context,
    match_id: Annotated[str | None, typer.Option("--match", help="Open from this match (uuid).")] = None,
    portfolio_id: Annotated[str | None, typer.Option("--listing", help="The listing, e.g. 2026-001.")] = None,
    customer_id: Annotated[str | None, typer.Option("--customer", help="The customer (uuid).")] = None,
    request_id: Annotated[str | None, typer.Option("--request", help="The customer's request (uuid).")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Open a deal from a match, or for a listing and a customer or request (open_deal)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.open_deal(match_id=match_id, portfolio_id=portfolio_id, customer_id=customer_id,
                            request_id=request_id)
    _show_deal(row)


@deal.command("cancel")
def deal_cancel(
    ctx: typer.Context,
    deal_id: DealIdArg,
    reason: Annotated[str, typer.Option(help="Why the deal is cancelled.", show_default=False)],
    database_url: DatabaseUrl = None,
) -> None:
    """Cancel an open deal, saying why (cancel_deal)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.cancel_deal(deal_id=deal_id, reason=reason)
    _show_deal(row)


@deal.command("offer")
def deal_offer(ctx: typer.Context, deal_id: DealIdArg, amount: AmountArg, database_url: DatabaseUrl = None) -> None:
    """Make an offer to the other party (make_offer)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.make_offer(deal_id=deal_id, amount=_amount(amount))
    _show_offer(row)


@deal.command("counter")
def deal_counter(ctx: typer.Context, offer_id: OfferIdArg, amount: AmountArg, database_url: DatabaseUrl = None) -> None:
    """Counter the pending offer made to you (counter_offer)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.counter_offer(offer_id=offer_id, amount=_amount(amount))
    _show_offer(row)


@deal.command("accept")
def deal_accept(ctx: typer.Context, offer_id: OfferIdArg, database_url: DatabaseUrl = None) -> None:
    """Accept the pending offer made to you: the deal is agreed (accept_offer)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.accept_offer(offer_id=offer_id)
    _show_offer(row)


@deal.command("reject")
def deal_reject(ctx: typer.Context, offer_id: OfferIdArg, database_url: DatabaseUrl = None) -> None:
    """Reject the pending offer made to you (reject_offer)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.reject_offer(offer_id=offer_id)
    _show_offer(row)


@deal.command("close")
def deal_close(
    ctx: typer.Context,
    deal_id: DealIdArg,
    price: Annotated[str | None, _amount_option("The closing price (default: the agreed price)")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Start closing an agreed deal: each agent side must then confirm (start_closing)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.start_closing(deal_id=deal_id, closing_price=_amount(price))
    _show_deal(row)


@deal.command("confirm")
def deal_confirm(ctx: typer.Context, deal_id: DealIdArg, database_url: DatabaseUrl = None) -> None:
    """Confirm your side of a closing deal; the last side closes it (confirm_closing)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.confirm_closing(deal_id=deal_id)
    _show_row(f"deal {deal_id}", row)


# ------------------------------------------------------------------------------------- matching, market
def _mark(passed: Any) -> str:
    return "[green]yes[/]" if passed else "[red]no[/]"


@match.command("explain")
def match_explain(
    ctx: typer.Context, portfolio_id: PortfolioIdArg, request_id: RequestIdArg, database_url: DatabaseUrl = None
) -> None:
    """Every criterion of a listing and a request: passed or not, and its points (explain_match)."""
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.explain_match(portfolio_id=portfolio_id, request_id=request_id)
    table = Table(title=escape(f"{portfolio_id} × {request_id}"), title_justify="left")
    table.add_column("criterion", no_wrap=True)
    table.add_column("passed")
    table.add_column("points", justify="right")
    for row in rows:
        criterion = _text(row.get("criterion"))
        points = _text(row.get("points")) if criterion in demo_view.SCORED else "hard filter"
        table.add_row(escape(criterion), _mark(row.get("passed")), escape(points))
    matched = bool(rows) and all(r.get("passed") for r in rows if r.get("criterion") in demo_view.HARD_FILTERS)
    score = sum(r.get("points") or 0 for r in rows)
    table.add_section()
    table.add_row("match" if matched else "no match", "", f"{score}/5" if matched else "")
    out.print(table)


@match.command("drain")
def match_drain(ctx: typer.Context, database_url: DatabaseUrl = None) -> None:
    """Run the matcher until no match event is pending, as the owner or --service-role; prints how many
    events it processed (process_match_events)."""
    total = 0
    with _reported(), _client(ctx, database_url) as vic:
        while n := vic.process_match_events(max=DRAIN_BATCH):
            total += n
    out.print(f"{total} match event{'' if total == 1 else 's'} processed")


@match.command("lag")
def match_lag(ctx: typer.Context, database_url: DatabaseUrl = None) -> None:
    """How far the matcher is behind: pending match events and when the oldest was written (match_event_lag)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.match_event_lag()
    _show_row("match events", row)


@market.command("unmet")
def market_unmet(
    ctx: typer.Context,
    since_text: Annotated[
        str | None,
        typer.Option("--since", metavar="WHEN", help="From this date or time (Istanbul time unless an offset is given); "
                     "default: 30 days ago.", show_default=False),
    ] = None,
    until_text: Annotated[
        str | None, typer.Option("--until", metavar="WHEN", help="Until this date or time; default: now.",
                                 show_default=False)
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Demand that found no listing, by district, type and price band (unmet_demand)."""
    until = _moment(until_text, "--until") or datetime.now(ISTANBUL)
    since = _moment(since_text, "--since") or until - timedelta(days=30)
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.unmet_demand(since=since, until=until)
    if not rows:
        out.print(f"no unmet demand from {since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M}")
        return
    _show_rows(f"Unmet demand, {since:%Y-%m-%d %H:%M} – {until:%Y-%m-%d %H:%M}",
               {"district": "district", "type": "type", "price band": "band", "signals": "signals"},
               [{**row, "band": _price(row)} for row in rows], right=("signals",))


# ------------------------------------------------------------------------------------- commissions
# 45, 45.5 or 45,5 (Turkish decimal comma)
_RATE = re.compile(r"[0-9]{1,3}(?:[.,][0-9]+)?")


def _rate(text: str | None) -> Decimal | str | None:
    """A percentage as typed, exactly (Decimal, never float). What does not read as one is passed on as
    typed, for the database to reject naming the field."""
    if text is None:
        return None
    text = text.strip()
    return Decimal(text.replace(",", ".")) if _RATE.fullmatch(text) else text


def _rate_option(name: str, help: str) -> Any:
    return typer.Option(f"--{name}", metavar="PERCENT", help=help, show_default=False)


def _show_split(rows: Sequence[Mapping[str, Any]]) -> None:
    _show_rows("Commission split (percent of commission_total)",
               {"deal kind": "deal_kind", "listing": "listing_rate", "buying": "buying_rate",
                "platform": "platform_rate", "updated at": "updated_at"}, rows, right=("listing", "buying", "platform"))


@commission.command("split")
def commission_split(ctx: typer.Context, database_url: DatabaseUrl = None) -> None:
    """The split of commission_total for single and cross (co-broking) deals (commission_split)."""
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.commission_split()
    _show_split(rows)


@commission.command("set-split")
def commission_set_split(
    ctx: typer.Context,
    deal_kind: Annotated[
        str, typer.Argument(metavar="DEAL_KIND", help="single (one agent) or cross (co-broking).", show_default=False)
    ],
    listing_rate: Annotated[str, _rate_option("listing", "The listing agent's share, e.g. 45 or 45,5.")],
    platform_rate: Annotated[str, _rate_option("platform", "The platform's share.")],
    buying_rate: Annotated[str, _rate_option("buying", "The buying agent's share (0 for a single deal).")] = "0",
    database_url: DatabaseUrl = None,
) -> None:
    """Set the split for deals that close from now on; the rates add up to 100 (set_commission_split)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.set_commission_split(deal_kind=deal_kind, listing_rate=_rate(listing_rate),
                                       buying_rate=_rate(buying_rate), platform_rate=_rate(platform_rate))
    _show_split([row])


@commission.command("status")
def commission_status(
    ctx: typer.Context,
    commission_id: Annotated[
        str, typer.Argument(metavar="COMMISSION_ID", help="The platform_commissions row (uuid).", show_default=False)
    ],
    status: Annotated[str, typer.Argument(metavar="STATUS", help="invoiced or paid.", show_default=False)],
    database_url: DatabaseUrl = None,
) -> None:
    """Move a commission row pending -> invoiced -> paid (set_commission_status)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.set_commission_status(commission_id=commission_id, status=status)
    _show_row(f"commission {row.get('id', '')}", row)


# ------------------------------------------------------------------------------------- showings
ShowingIdArg = Annotated[str, typer.Argument(metavar="SHOWING_ID", help="The showing (uuid).", show_default=False)]
TaskIdArg = Annotated[str, typer.Argument(metavar="TASK_ID", help="The task (uuid).", show_default=False)]
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


def _when(text: str) -> datetime | str:
    """A date-time as typed (ISO 8601), Istanbul time without an offset; anything else is passed on as
    typed, for the database to reject naming the field."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return text
    return moment if moment.tzinfo else moment.replace(tzinfo=ISTANBUL)


# a duration as people write it: "90", "5 minutes", "1 day 2 hours", "2 weeks"
DURATION = re.compile(r"(\d+(\.\d+)?\s*(seconds?|secs?|minutes?|mins?|hours?|days?|weeks?|months?|years?)\s*)+", re.I)


def _interval(text: str | None, unit: str, flag: str) -> timedelta | str | None:
    """Whole numbers are `unit`s (minutes, days); "5 minutes", "1 day 2 hours" go to the database as written;
    anything else is refused here, naming the flag."""
    if text is None:
        return None
    text = text.strip()
    if text.isdigit():
        return timedelta(**{unit: int(text)})
    if not DURATION.fullmatch(text):
        _fail(f"{flag}: {text!r} is not a duration; write a number of {unit}, or e.g. '5 minutes', '1 day 2 hours'")
    return text


def _show_showing(row: Mapping[str, Any]) -> None:
    _show_row(f"showing {row.get('id', '')}", {k: row[k] for k in SHOWING_FIELDS if k in row})


@showing.command("schedule")
def showing_schedule(
    ctx: typer.Context, deal_id: DealIdArg, when: WhenArg, duration: Duration = None, database_url: DatabaseUrl = None
) -> None:
    """Schedule a showing of a deal's listing for its customer; a matched deal moves to showing (schedule_showing)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.schedule_showing(deal_id=deal_id, scheduled_at=_when(when), duration=_interval(duration, "minutes", "--duration"))
    _show_showing(row)


@showing.command("reschedule")
def showing_reschedule(
    ctx: typer.Context, showing_id: ShowingIdArg, when: WhenArg, duration: Duration = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Move a scheduled showing; it keeps its duration unless --duration is given (reschedule_showing)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.reschedule_showing(showing_id=showing_id, scheduled_at=_when(when),
                                     duration=_interval(duration, "minutes", "--duration"))
    _show_showing(row)


@showing.command("cancel")
def showing_cancel(ctx: typer.Context, showing_id: ShowingIdArg, database_url: DatabaseUrl = None) -> None:
    """Cancel a scheduled showing; its slot is free again (cancel_showing)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.cancel_showing(showing_id=showing_id)
    _show_showing(row)


@showing.command("shown")
def showing_shown(ctx: typer.Context, showing_id: ShowingIdArg, database_url: DatabaseUrl = None) -> None:
    """Mark a showing shown once its slot has begun; issues the showing certificate (mark_shown)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.mark_shown(showing_id=showing_id)
    _show_showing(row)


# ------------------------------------------------------------------------------------- tasks
TASK_FIELDS = ("id", "agent_id", "task_type", "title", "related_contact", "related_portfolio", "deal_id", "due_at",
               "status", "completed_at", "created_at", "updated_at")


def _show_task(row: Mapping[str, Any]) -> None:
    _show_row(f"task {row.get('id', '')}", {k: row[k] for k in TASK_FIELDS if k in row})


@task.command("followups")
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


@task.command("stale")
def task_stale(
    ctx: typer.Context,
    idle: Annotated[
        str, typer.Option(metavar="IDLE", help="Idle for longer than this: days or an interval.")
    ] = "7",
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


@task.command("done")
def task_done(ctx: typer.Context, task_id: TaskIdArg, database_url: DatabaseUrl = None) -> None:
    """Mark a pending task done (complete_task)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.complete_task(task_id=task_id)
    _show_task(row)


@task.command("cancel")
def task_cancel(ctx: typer.Context, task_id: TaskIdArg, database_url: DatabaseUrl = None) -> None:
    """Cancel a pending task (cancel_task)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.cancel_task(task_id=task_id)
    _show_task(row)


# ------------------------------------------------------------------------------------- inbox
@inbox.command("ingest")
def inbox_ingest(
    ctx: typer.Context,
    wa_id: Annotated[
        str, typer.Option("--wa-id", help="WhatsApp's message id (wamid…): a redelivery with the same id changes "
                          "nothing.", show_default=False)
    ],
    direction: Annotated[
        str, typer.Option(help="inbound (from the contact) or outbound (to the contact).", show_default=False)
    ],
    from_: Annotated[
        str | None, typer.Option("--from", help="Sender: the contact's phone (+905321234567) or bsuid for an inbound "
                                 "message; ours (may be left out) for an outbound one.")
    ] = None,
    to: Annotated[
        str | None, typer.Option(help="Recipient: the contact's phone or bsuid for an outbound message; ours (may be "
                                 "left out) for an inbound one.")
    ] = None,
    type: Annotated[
        str | None, typer.Option("--type", help="text (the database's default), image, video, audio, document, "
                                 "location, contacts, sticker, reaction, button, interactive or template.")
    ] = None,
    text: Annotated[str | None, typer.Option(help="The message text (at most 10000 characters).")] = None,
    payload: Annotated[
        str | None, typer.Option(metavar="JSON", help="Interactive reply payload, a JSON object: "
                                 '\'{"button_reply": {"id": "evet"}}\'.')
    ] = None,
    at: Annotated[
        str | None, typer.Option(metavar="WHEN", help="When WhatsApp says it was sent: 2026-12-04T16:01 (Istanbul "
                                 "time unless an offset is given); default now.", show_default=False)
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Store one WhatsApp message: the contact is registered when new, the message joins its active session, and
    inbound text is kept only with the contact's transfer consent (ingest_message)."""
    interactive = None
    if payload is not None:
        try:
            interactive = json.loads(payload)
        except ValueError:
            interactive = None
        if not isinstance(interactive, dict):
            _fail('--payload must be a JSON object, e.g. \'{"button_reply": {"id": "evet"}}\'')
    sent_at = _moment(at, "--at")
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.ingest_message(wa_message_id=wa_id, direction=direction, from_=from_, to=to, message_type=type,
                                 content=text, interactive_payload=interactive, sent_at=sent_at)
    new = bool(row.get("is_new"))
    _show_row("message" if new else "message (already stored: nothing changed)",
              {"message id": row.get("message_id"), "new": new})


# ------------------------------------------------------------------------------------- sessions, export
SessionIdArg = Annotated[str, typer.Argument(metavar="SESSION_ID", help="The bot session (uuid).", show_default=False)]
Json = Annotated[bool, typer.Option("--json", help="Print JSON (times in Istanbul, offset kept) instead of a table.")]
SESSION_FIELDS = ("id", "contact_id", "status", "intent", "district", "property_type", "rooms", "max_price", "currency",
                  "language", "qualifying_completeness", "last_message_at", "created_at", "updated_at")
# --clear names a slot as the other flags do; the value is the slot's name in SQL
CLEARABLE = {"intent": "intent", "district": "district", "type": "property_type", "rooms": "rooms",
             "max-price": "max_price", "currency": "currency"}


def _jsonable(value: Any) -> Any:
    """A row's value as JSON: moments in Istanbul time with their offset, whole amounts as integers."""
    if isinstance(value, datetime):
        return (value.astimezone(ISTANBUL) if value.tzinfo else value).isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # uuid


def _print_json(value: Any, *, one_line: bool = False) -> None:
    text = json.dumps(_jsonable(value), ensure_ascii=False, indent=None if one_line else 2)
    out.print(text, markup=False, highlight=False, soft_wrap=True)


def _show_session(row: Mapping[str, Any], as_json: bool) -> None:
    shown = {k: row[k] for k in SESSION_FIELDS if k in row}
    if as_json:
        _print_json(shown)
    else:
        _show_row(f"session {row.get('id', '')}", shown)


@session.command("slots")
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
    max_price: Annotated[str | None, _amount_option("Budget up to")] = None,
    currency: Annotated[
        str | None, typer.Option(help="The budget's currency: TRY (when not said), USD, EUR or GBP.")
    ] = None,
    language: Annotated[str | None, typer.Option(help="The conversation's language: tr, en, ar, ru, …")] = None,
    clear: Annotated[
        list[str] | None,
        typer.Option("--clear", metavar="SLOT", help="Forget a slot: intent, district, type, rooms, max-price or "
                     "currency (repeat for more).", show_default=False),
    ] = None,
    as_json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Fill or clear qualifying slots of an active session; the database keeps its completeness (update_session_slots).
    The bot and staff."""
    given = {"intent": intent, "district": district, "type": type, "rooms": rooms, "max-price": max_price,
             "currency": currency}
    slots: dict[str, Any] = {CLEARABLE[k]: v for k, v in given.items() if v is not None}
    if max_price is not None:
        slots["max_price"] = _amount(max_price)
    if language is not None:
        slots["language"] = language
    for name in clear or []:
        key = name.strip().lower().replace("_", "-")
        if key not in CLEARABLE:
            _fail(f"--clear {name}: not a slot; one of {', '.join(CLEARABLE)}")
        if given[key] is not None:
            _fail(f"--{key} and --clear {key} exclude each other")
        slots[CLEARABLE[key]] = None
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.update_session_slots(session_id=session_id, slots=slots)
    _show_session(row, as_json)


@session.command("extract")
def session_extract(ctx: typer.Context, session_id: SessionIdArg, as_json: Json = False,
                    database_url: DatabaseUrl = None) -> None:
    """Make the request a qualified session asks for and mark the session extracted; it is matched at once
    (extract_request, then the matcher). The bot and staff."""
    with _reported(), _matching_client(ctx, database_url) as vic:
        row = vic.extract_request(session_id=session_id)
    if as_json:
        _print_json({k: row[k] for k in REQUEST_FIELDS if k in row})
    else:
        _show_request(row)


@session.command("close")
def session_close(ctx: typer.Context, session_id: SessionIdArg, as_json: Json = False,
                  database_url: DatabaseUrl = None) -> None:
    """Close an active session without a request (close_session). The bot and staff."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.close_session(session_id=session_id)
    _show_session(row, as_json)


@session.command("show")
def session_show(ctx: typer.Context, session_id: SessionIdArg, as_json: Json = False,
                 database_url: DatabaseUrl = None) -> None:
    """A session's slots, completeness, what extraction still needs, its request and messages (session_summary)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.session_summary(session_id=session_id)
    if as_json:
        _print_json(row)
        return
    shown = {**row, "missing": ", ".join(row.get("missing") or []) or None}
    _show_row(f"session {row.get('id', '')}", shown)


EXPORT_COLUMNS = {"session": "session_id", "lang": "language", "msgs": "message_count", "first message": "first",
                  "last message": "last"}


@export.command("training")
def export_training(
    ctx: typer.Context,
    since_text: Annotated[
        str | None,
        typer.Option("--since", metavar="WHEN", help="Conversations whose last message is at or after this date or "
                     "time (Istanbul time unless an offset is given); default: all.", show_default=False),
    ] = None,
    limit: Annotated[
        int | None, typer.Option(help="At most this many conversations, 1-1000 (the database's default: 1000).",
                                 show_default=False)
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON Lines: one conversation with its messages per line.")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Conversations of contacts who consented to training (and to transfer), for staff; never content stored
    without transfer consent (export_training_conversations)."""
    since = _moment(since_text, "--since")
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.export_training_conversations(since=since, limit=limit)
    if as_json:
        for row in rows:
            messages = [{**m, "at": datetime.fromisoformat(m["at"])} for m in row.get("messages") or []]
            _print_json({**row, "messages": messages}, one_line=True)
        return
    if not rows:
        out.print("no conversation to export")
        return
    table = Table(title=escape(f"Training export: {len(rows)} conversation{'' if len(rows) == 1 else 's'} "
                               "(--json for the messages)"), title_justify="left")
    for header in EXPORT_COLUMNS:
        table.add_column(header, no_wrap=True, justify="right" if header == "msgs" else "left")
    for row in rows:
        shown = {**row, "first": _local(row.get("started_at")), "last": _local(row.get("last_message_at")),
                 "session_id": row.get("session_id") or "(outside a session)"}
        table.add_row(*(escape(_text(shown.get(field))) for field in EXPORT_COLUMNS.values()))
    Console(width=100, highlight=False).print(table)


# ------------------------------------------------------------------------------------- nudges
@nudge.command("claim")
def nudge_claim(
    ctx: typer.Context,
    batch: Annotated[int, typer.Option(metavar="N", help="At most this many nudges (1-1000).")] = 100,
    max_age: Annotated[
        str | None, typer.Option(metavar="AGE", help="Only windows closed at most this long ago: days (7) or an "
                                 "interval; default 7 days, at most 30.", show_default=False)
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Claim template nudges for windows that closed, one per closed window, marking them sent (claim_nudges)."""
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.claim_nudges(batch=batch, max_age=_interval(max_age, "days", "--max-age"))
    if not rows:
        out.print("no nudge due")
        return
    shown = [dict(row, _to=row.get("phone") or row.get("bsuid") or "—", _closed=_local(row.get("window_closed_at")))
             for row in rows]
    _show_narrow(f"Nudges claimed: {len(rows)}", {"contact": "contact_id", "to": "_to", "name": "display_name",
                                                   "lang": "language", "window closed": "_closed"}, shown)


# ------------------------------------------------------------------------------------- notifications
NOTIFY_WIDTH = 100  # the notify tables and cards fit 100 columns


def _uuid_arg(value: str, metavar: str) -> str:
    """A uuid argument, checked here so that the error names it (the value is not echoed: it may be a phone)."""
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        _fail(f"{metavar} must be a uuid (like 00000000-0000-4000-8000-000000000001)")


def _narrow() -> Console:
    return Console(width=NOTIFY_WIDTH, highlight=False)


@notify.command("claim")
def notify_claim(
    ctx: typer.Context,
    batch: Annotated[
        int | None, typer.Option("--batch", metavar="N", help="How many to hand out at most: 1-500; default 50.",
                                 show_default=False)
    ] = None,
    lease: Annotated[
        str | None,
        typer.Option("--lease", metavar="TIME", help="How long you have to send them before they are handed out again: "
                     "seconds (300) or an interval ('5 minutes'), up to 1 hour; default 5 minutes.", show_default=False),
    ] = None,
    as_json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Hand out pending notifications whose contact's 24-hour window is open, oldest first, under a lease; send
    each, then record it with `vic notify sent` (claim_notifications). The bot (--service-role) and staff."""
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.claim_notifications(batch=batch, lease=_interval(lease, "seconds", "--lease"))
    if as_json:
        _print_json(rows)
        return
    if not rows:
        out.print("nothing to hand out: no pending notification to a contact whose window is open")
        return
    until = max((r["claimed_until"] for r in rows if r.get("claimed_until")), default=None)
    # a uuid, a phone, a kind, a time and a count fill 100 columns: the bodies are in --json
    table = Table(title=escape(f"Handed out: {len(rows)}, to send before {_local(until)} (bodies: --json)"),
                  title_justify="left")
    table.add_column("notification", no_wrap=True)
    table.add_column("to", no_wrap=True, max_width=16, overflow="ellipsis")
    table.add_column("kind", no_wrap=True)
    table.add_column("queued", no_wrap=True)
    table.add_column("try", justify="right", no_wrap=True)
    for r in rows:
        table.add_row(escape(_text(r.get("id"))), escape(r.get("phone") or r.get("bsuid") or "—"),
                      escape(_text(r.get("kind"))), _local(r.get("created_at")), escape(_text(r.get("claim_attempts"))))
    _narrow().print(table)


@notify.command("sent")
def notify_sent(
    ctx: typer.Context,
    notification_id: Annotated[
        str, typer.Argument(metavar="NOTIFICATION_ID", help="The notification you sent (uuid).", show_default=False)
    ],
    wa_message_id: Annotated[
        str, typer.Argument(metavar="WA_MESSAGE_ID", help="The message id WhatsApp returned (wamid....).",
                            show_default=False)
    ],
    as_json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Record that a handed-out notification went out: the send is logged with its WhatsApp id and the notification
    marked delivered, once (notification_sent). The bot (--service-role) and staff."""
    nid = _uuid_arg(notification_id, "NOTIFICATION_ID")
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.notification_sent(notification_id=nid, wa_message_id=wa_message_id)
    if as_json:
        _print_json(row)
        return
    table = Table(title=escape(f"notification {row.get('id', '')} delivered"), title_justify="left")
    table.add_column("field", no_wrap=True)
    table.add_column("value")
    for label, key in (("to contact", "contact_id"), ("kind", "kind"), ("delivered at", "delivered_at"),
                       ("WhatsApp id", "wa_message_id"), ("logged message", "message_id")):
        table.add_row(label, escape(_text(row.get(key))))
    _narrow().print(table)


@notify.command("share")
def notify_share(
    ctx: typer.Context,
    match_id: Annotated[
        str, typer.Argument(metavar="MATCH_ID", help="The match of your customer's request and the listing (uuid).",
                            show_default=False)
    ],
    as_json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Send your customer a listing card of one of its request's matches, with what you see of the listing at your
    level; it goes out when the customer's window is open (share_listing). The request's agent (--as)."""
    mid = _uuid_arg(match_id, "MATCH_ID")
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.share_listing(match_id=mid)
    if as_json:
        _print_json(row)
        return
    state = "queued" if row.get("is_new") else "already queued"
    table = Table(title=escape(f"Listing {row.get('portfolio_id', '')} {state} for your customer"), title_justify="left")
    table.add_column("field", no_wrap=True)
    table.add_column("value")
    for label, value in (("notification", row.get("notification_id")), ("customer", row.get("customer_id")),
                         ("your level", row.get("visibility_level")), ("queued at", row.get("created_at")),
                         ("buttons", ", ".join(b.get("title", "") for b in row.get("buttons") or []))):
        table.add_row(label, escape(_text(value)))
    console = _narrow()
    console.print(table)
    console.print(escape(_text(row.get("body"))))


# ------------------------------------------------------------------------------------- inbox (claim queue)
MessageIdArg = Annotated[str, typer.Argument(metavar="MESSAGE_ID", help="The message (uuid).", show_default=False)]
Worker = Annotated[
    str,
    typer.Option("--worker", envvar="VIC_WORKER", metavar="NAME",
                 help="Who is working the messages (1-200 characters); the same name acknowledges and releases them. "
                      "Default: your user and host.", show_default=False),
]
# an inbox table never grows past this: the text column is cut to fit
INBOX_WIDTH = 100


def _default_worker() -> str:
    import getpass
    import socket

    with contextlib.suppress(Exception):
        return f"{getpass.getuser()}@{socket.gethostname()}"[:200]
    return "vic-cli"


def _message_text(row: Mapping[str, Any]) -> str:
    """A message's text on one line, or its type in brackets when it has none (media, or stored without content)."""
    content = row.get("content")
    if content:
        return " ".join(str(content).split())
    return f"[{row.get('message_type') or 'message'}]"


def _short(contact: Any) -> str:
    """The first 8 characters of a contact id: enough to tell a table's contacts apart."""
    return "—" if contact is None else str(contact)[:8]


def _inbox_table(title: str, columns: Sequence[tuple[str, int | None]], rows: Sequence[Sequence[str]]) -> None:
    """A table at most INBOX_WIDTH columns wide: `columns` are (header, width); the one without a width takes the
    rest, each of its cells cut to fit with an ellipsis."""
    fixed = sum(width for _, width in columns if width is not None)
    rest = max(8, INBOX_WIDTH - fixed - 3 * len(columns) - 1)  # borders: "│ " before each cell, " │" after the last
    table = Table(title=escape(title), title_justify="left")
    for header, width in columns:
        table.add_column(header, no_wrap=True, width=width or rest)
    for row in rows:
        table.add_row(*(escape(cell if width else (cell if len(cell) <= rest else cell[:rest - 1] + "…"))
                        for cell, (_, width) in zip(row, columns)))
    Console(width=INBOX_WIDTH, highlight=False).print(table)


@inbox.command("claim")
def inbox_claim(
    ctx: typer.Context,
    worker: Worker = "",
    batch: Annotated[int, typer.Option(metavar="N", help="How many messages at most (1-1000).")] = 10,
    lease: Annotated[
        str, typer.Option(metavar="TIME", help="How long they are yours before they go to another worker: seconds "
                          "(300) or an interval ('5 minutes'); 1 second to 1 hour.")
    ] = "300",
    max_attempts: Annotated[
        int, typer.Option(metavar="N", help="A message tried this many times goes to the dead letters instead (1-100).")
    ] = 5,
    as_json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Take the next waiting messages: each contact's oldest first, and a contact only while no other worker holds
    its messages; handle them in the order shown, then ack or release each (claim_messages)."""
    name = worker or _default_worker()
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.claim_messages(worker=name, batch=batch, lease=_interval(lease, "seconds", "--lease"),
                                  max_attempts=max_attempts)
    if as_json:
        _print_json(rows)
        return
    if not rows:
        out.print("no message waiting")
        return
    until = rows[0].get("lease_until")
    _inbox_table(f"{len(rows)} message{'' if len(rows) == 1 else 's'} for {name}"
                 + (f", yours until {_local(until)}" if until else ""),
                 [("message", 36), ("received", 16), ("contact", 8), ("try", 3), ("text", None)],
                 [[_text(r.get("id")), _local(r.get("created_at")) if r.get("created_at") else "—",
                   _short(r.get("from_contact")), _text(r.get("claim_attempts")), _message_text(r)] for r in rows])


@inbox.command("ack")
def inbox_ack(ctx: typer.Context, message_id: MessageIdArg, worker: Worker = "", database_url: DatabaseUrl = None) -> None:
    """Mark a message you hold as handled; it is never handed out again (ack_message)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.ack_message(message_id=message_id, worker=worker or _default_worker())
    processed = row.get("processed_at")
    out.print(f"message {row.get('id', message_id)} acknowledged" + (f" at {_local(processed)}" if processed else ""))


@inbox.command("ack-batch")
def inbox_ack_batch(
    ctx: typer.Context,
    message_ids: Annotated[
        list[str], typer.Argument(metavar="MESSAGE_ID...", help="The messages (uuids, 1-1000).", show_default=False)
    ],
    worker: Worker = "",
    database_url: DatabaseUrl = None,
) -> None:
    """Mark several messages you hold as handled, all or none (ack_messages)."""
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.ack_messages(message_ids=message_ids, worker=worker or _default_worker())
    out.print(f"{len(rows)} message{'' if len(rows) == 1 else 's'} acknowledged")


@inbox.command("release")
def inbox_release(
    ctx: typer.Context,
    message_id: MessageIdArg,
    worker: Worker = "",
    error: Annotated[
        str | None, typer.Option(metavar="TEXT", help="What went wrong (1-2000 characters): the try counts as failed. "
                                 "Without it the message goes back untried.", show_default=False)
    ] = None,
    as_json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Hand a message you hold back at once, with your later messages of the same contact (release_message)."""
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.release_message(message_id=message_id, worker=worker or _default_worker(), error=error)
    if as_json:
        _print_json(rows)
        return
    _inbox_table(f"{len(rows)} message{'' if len(rows) == 1 else 's'} handed back",
                 [("message", 36), ("tries", 5), ("last error", None)],
                 [[_text(r.get("id")), _text(r.get("claim_attempts")), _text(r.get("last_error"))] for r in rows])


@inbox.command("dead")
def inbox_dead(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(metavar="N", help="How many (1-500).")] = 50,
    offset: Annotated[int, typer.Option(metavar="N", help="Skip this many first (0-100000).")] = 0,
    as_json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Messages that failed too often and are no longer handed out, newest first (dead_messages)."""
    with _reported(), _client(ctx, database_url) as vic:
        rows = vic.dead_messages(limit=limit, offset=offset)
    if as_json:
        _print_json(rows)
        return
    if not rows:
        out.print("no dead letter")
        return
    _inbox_table(f"Dead letters: {len(rows)}",
                 [("message", 36), ("died", 16), ("contact", 8), ("tries", 5), ("last error", None)],
                 [[_text(r.get("id")), _local(r.get("dead_at")) if r.get("dead_at") else "—", _short(r.get("from_contact")),
                   _text(r.get("claim_attempts")), _text(r.get("last_error"))] for r in rows])


@inbox.command("requeue")
def inbox_requeue(ctx: typer.Context, message_id: MessageIdArg, database_url: DatabaseUrl = None) -> None:
    """Put a dead letter back in the queue with its tries at 0; it goes out before its contact's later messages
    (requeue_message)."""
    with _reported(), _client(ctx, database_url) as vic:
        row = vic.requeue_message(message_id=message_id)
    out.print(f"message {row.get('id', message_id)} is back in the queue")


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
