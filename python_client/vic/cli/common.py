"""What every command group shares: the global options (who acts, on which database, JSON or tables),
the client, value types that name their flag, error lines, and output in Istanbul time.

Global options (`--as`, `--service-role`, `--superuser`, `--database-url`, `--json`) are the root
command's; `VicGroup` moves them to the front wherever they are typed, so `vic --as X listing create …`
and `vic listing create … --as X` are the same command.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo

import psycopg
import typer
from psycopg.conninfo import conninfo_to_dict
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from vic import demo as demo_view
from vic import local
from vic.client import VicClient
from vic.errors import AccessDenied, VicError

try:  # typer vendors click from 0.26 on
    from typer._click import exceptions as click_errors
    from typer._click.globals import get_current_context
except ImportError:  # pragma: no cover - older typer on real click
    from click import exceptions as click_errors  # type: ignore[no-redef]
    from click.globals import get_current_context  # type: ignore[no-redef]

ISTANBUL = ZoneInfo("Europe/Istanbul")
# soft_wrap: an error stays on one line however narrow the terminal.
out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)
# events per matcher call when the CLI drains (each call is one transaction)
DRAIN_BATCH = 500

GLOBAL_HELP = ("Global options, anywhere on the line: --as CONTACT_ID, --service-role, --superuser, "
               "--database-url URL, --json (see vic --help).")


# ------------------------------------------------------------------------------------- who acts
@dataclass(frozen=True)
class Root:
    """The global options: who the commands act as, on which database, and how they print."""

    contact_id: str | None = None
    service_role: bool = False
    superuser: bool = False
    database_url: str | None = None
    as_json: bool = False

    @property
    def anon(self) -> bool:
        """No credentials given: act as nobody (PostgREST's anon), never silently as the owner."""
        return not (self.contact_id or self.service_role or self.superuser)

    def who(self) -> str:
        """The caller in a person's words, for refusals."""
        if self.contact_id:
            return f"contact {self.contact_id} (--as)"
        if self.service_role:
            return "the bot (--service-role)"
        if self.superuser:
            return "the database owner (--superuser)"
        return "nobody (no --as, --service-role or --superuser)"


def root(ctx: typer.Context | None = None) -> Root:
    """The global options of the command being run."""
    ctx = ctx or get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    return obj if isinstance(obj, Root) else Root()


def as_json() -> bool:
    return root().as_json


# ------------------------------------------------------------------------------------- errors
def fail(message: str) -> NoReturn:
    """One line `error: …` on stderr, exit 1."""
    err.print(f"[bold red]error:[/] {escape(' '.join(message.split()))}")
    raise typer.Exit(1)


# The SQL field a message names -> the CLI parameter that carries it, where the two differ (the one place
# for this mapping). Otherwise a field named like a parameter of the command (limit, batch, …) is that one.
FIELD_PARAMS: dict[str, tuple[str, ...]] = {
    "listed_price": ("price",),
    "min_price": ("floor", "min_price"),
    "closing_price": ("price",),
    "criteria.min_price": ("min_price",),
    "criteria.max_price": ("max_price",),
    "criteria.districts": ("district",),
    "criteria.types": ("type",),
    "criteria.rooms": ("rooms",),
    "criteria.currency": ("currency",),
    "wa_message_id": ("wa_id", "wa_message_id"),
    "content": ("text",),
    "message_type": ("type",),
    "interactive_payload": ("payload",),
    "sent_at": ("at",),
    "from": ("from_",),
    "scheduled_at": ("when",),
    "property_type": ("type",),
    "portfolio_id": ("portfolio_id", "listing"),
    "match_id": ("match_id", "match"),
    "customer_id": ("customer_id", "customer"),
    "request_id": ("request_id", "request"),
    "since": ("since_text",),
    "until": ("until_text",),
}


def _flag_of(param: Any) -> str:
    """How a person typed a parameter: its first option name, or an argument's METAVAR."""
    if getattr(param, "param_type_name", "") == "argument":
        return param.metavar or param.name.upper()
    opts = [o for o in param.opts if o.startswith("--")] or param.opts
    return opts[0]


def flag_for(field: str) -> str | None:
    """The CLI flag (or ARGUMENT) of the running command that carries the SQL field `field` (p_ prefix or not)."""
    ctx = get_current_context(silent=True)
    if ctx is None:
        return None
    params = {p.name: p for p in ctx.command.params}
    field = field.removeprefix("p_")
    for name in (*FIELD_PARAMS.get(field, ()), field):
        if name in params:
            return _flag_of(params[name])
    return None


_FIELD = re.compile(r"\b(p_)?(criteria\.)?[a-z][a-z_]*\b")
_PERMISSION = re.compile(r'permission denied for (function|table|schema|sequence|view) "?([\w.]+)"?')
_RLS = re.compile(r'new row violates row-level security policy (?:for|on) table "?(\w+)"?')


def describe(exc: VicError) -> str:
    """A database error in the user's terms: refusals say who may not do what; a field is named by its flag."""
    message = exc.one_line()
    if isinstance(exc, AccessDenied):
        who = root().who()
        anon_hint = ("; act as someone: --as CONTACT_ID, --service-role (the bot) or --superuser (the database "
                     "owner)") if root().anon else ""
        if m := _PERMISSION.search(exc.message):
            what = f"call {m[2]}" if m[1] == "function" else f"use the {m[2]} {m[1]}"
            return f"not allowed: {who} may not {what}{anon_hint}"
        if m := _RLS.search(exc.message):
            return f"not allowed: {who} may not write this row of {m[1]}{anon_hint}"
        return f"not allowed: {who}: {message}{anon_hint}"
    # a field named at the start of the message, or a p_… parameter anywhere, becomes its flag
    head = _FIELD.match(message)
    if head and not message[head.end():].startswith(" +") and (flag := flag_for(head[0])):
        message = flag + message[head.end():]
    return re.sub(r"\bp_[a-z_]+\b", lambda m: flag_for(m[0]) or m[0], message)


@contextlib.contextmanager
def reported() -> Iterator[None]:
    """Print a VicError as one line in the user's terms and exit 1."""
    try:
        yield
    except VicError as exc:
        fail(describe(exc))


# ------------------------------------------------------------------------------------- the root command
GLOBAL_VALUES = ("--as", "--database-url")
GLOBAL_FLAGS = ("--service-role", "--superuser", "--json")


def hoist(args: list[str]) -> list[str]:
    """The global options moved to the front, wherever they were typed (up to a `--`)."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg in GLOBAL_FLAGS or any(arg.startswith(f"{o}=") for o in GLOBAL_VALUES):
            front.append(arg)
        elif arg in GLOBAL_VALUES and i + 1 < len(args):
            front.extend(args[i:i + 2])
            i += 1
        else:
            rest.append(arg)
        i += 1
    return front + rest


# The value type of each parameter, by its name in the command functions: the one place where a value is
# read, so that a bad one is refused naming its flag before anything runs.
ID_PARAMS = {"contact_id", "agent_id", "assigned_agent", "customer_id", "request_id", "deal_id", "offer_id",
             "match_id", "showing_id", "task_id", "session_id", "source_session_id", "commission_id", "message_id",
             "message_ids", "media_ids", "contact_ids", "notification_id"}
AMOUNT_PARAMS = {"price", "floor", "min_price", "max_price", "amount"}
RATE_PARAMS = {"listing_rate", "buying_rate", "platform_rate"}
MOMENT_PARAMS = {"since_text", "until_text", "at"}


def _polish(command: Any) -> None:
    """Give every parameter of the tree its value check and a readable metavar (no TEXT or INTEGER tags)."""
    for param in getattr(command, "params", []):
        annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
        check: _Type | None = None
        if param.name in ID_PARAMS:
            check = UUID
        elif param.name in AMOUNT_PARAMS:
            check = AMOUNT
        elif param.name in RATE_PARAMS:
            check = RATE
        elif param.name in MOMENT_PARAMS:
            check = MOMENT
        elif param.name == "when":
            check = WHEN
        elif annotation is int:
            check = INT
        if check is not None and param.callback is None:
            param.callback = check
        if getattr(param, "is_flag", False):
            param.metavar = ""  # a flag takes no value: no <bool> tag
        elif param.metavar is None and param.param_type_name == "option":
            param.metavar = {UUID: "ID", AMOUNT: "AMOUNT", RATE: "PERCENT", MOMENT: "WHEN", INT: "N"}.get(
                check) or ("NUMBER" if annotation is float else param.name.rstrip("_").upper())
    help_option = command.get_help_option

    def quiet_help(ctx: Any) -> Any:
        option = help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = quiet_help
    for sub in getattr(command, "commands", {}).values():
        _polish(sub)


class VicGroup(TyperGroup):
    """The root command: global options anywhere, the groups in the order of the product, and every usage
    error (a missing option, a bad value) as one line `error: …`, exit 1, instead of a usage box."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # the order they were added in: the map of the product

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, *a: Any,
             standalone_mode: bool = True, **extra: Any) -> Any:
        argv = hoist(list(sys.argv[1:] if args is None else args))
        _polish(self)
        # rich reads COLUMNS when a console is made; a run reads it again (tests run many in one process)
        columns = os.environ.get("COLUMNS", "")
        out._width = int(columns) if columns.isdigit() else None
        try:
            rv = super().main(argv, "vic", *a, standalone_mode=False, **extra)
        except click_errors.NoArgsIsHelpError as exc:  # `vic`, `vic listing`: the help, not an error
            out.print(exc.ctx.get_help(), markup=False, highlight=False)
            code = 0
        except click_errors.UsageError as exc:
            code = _usage_line(exc)
        except click_errors.ClickException as exc:
            err.print(f"[bold red]error:[/] {escape(exc.format_message())}")
            code = 1
        except typer.Abort:
            err.print("[bold red]error:[/] cancelled; nothing changed")
            code = 1
        except BrokenPipeError:  # `vic … | head`: the reader has gone, so has the need to print
            sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - nothing more can be written
            code = 1
        except Exception as exc:  # noqa: BLE001 - no traceback ever reaches the user
            err.print(f"[bold red]error:[/] {escape(type(exc).__name__)}: {escape(' '.join(str(exc).split()))}")
            code = 1
        else:  # a command's own return value is None; typer.Exit(n) comes back as n
            code = rv if isinstance(rv, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


def _usage_line(exc: Any) -> int:
    """A usage error as one line naming the flag: `error: --price: '12,5' is not an amount (vic listing create --help)`."""
    message = exc.format_message() if not isinstance(exc, click_errors.BadParameter) else exc.message
    param = getattr(exc, "param", None)
    if isinstance(exc, click_errors.MissingParameter) and param is not None:
        message = f"{_flag_of(param)} is missing"
    elif param is not None and isinstance(exc, click_errors.BadParameter):
        message = f"{_flag_of(param)}: {message}"
    message = re.sub(r"^Invalid value for '([^']+)': ", r"\1: ", message)
    where = f" (see {exc.ctx.command_path} --help)" if getattr(exc, "ctx", None) else ""
    err.print(f"[bold red]error:[/] {escape(' '.join(message.split()))}{escape(where)}")
    return 1


# ------------------------------------------------------------------------------------- value types
class _Type:
    """A value type whose refusal names the flag (the usage line adds it) and the value as typed; it checks
    each value after typer has read it (as a parameter callback)."""

    name = "value"

    def __call__(self, ctx: Any, param: Any, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, list | tuple):
            return [self(ctx, param, v) for v in value]
        try:
            return self.parse(value.strip() if isinstance(value, str) else value)
        except ValueError as exc:
            raise click_errors.BadParameter(str(exc), ctx=ctx, param=param) from None

    def parse(self, value: Any) -> Any:
        raise NotImplementedError


class UuidType(_Type):
    name = "uuid"

    def parse(self, text: str) -> str:
        try:
            return str(uuid.UUID(text))
        except ValueError:
            # not echoed: a phone number pasted here must not reach a log
            raise ValueError("not an id (a uuid like 00000000-0000-4000-8000-000000000001)") from None


# 12500000, 12.500.000 (Turkish grouping) or 12_500_000; a sign is the database's to refuse, naming the field
_AMOUNT = re.compile(r"-?(?:[0-9]+|[0-9]{1,3}(?:[._][0-9]{3})+)")
MAX_BIGINT = 2**63 - 1


class AmountType(_Type):
    name = "amount"

    def parse(self, text: str) -> int:
        if not _AMOUNT.fullmatch(text):
            if re.fullmatch(r"[0-9]{1,3}(?:,[0-9]{3})+", text):
                raise ValueError(f"{text} is not an amount; write {text.replace(',', '.')}")
            raise ValueError(f"{text!r} is not an amount; write whole units like 12500000 or 12.500.000")
        value = int(re.sub(r"[._]", "", text))
        if abs(value) > MAX_BIGINT:
            raise ValueError(f"{text} is far too large an amount")
        return value


class IntType(_Type):
    """A whole number that fits a SQL integer: the database says whether it is in its range."""

    name = "integer"

    def parse(self, value: Any) -> int:
        if isinstance(value, str) and not re.fullmatch(r"[+-]?[0-9]+", value):
            raise ValueError(f"{value!r} is not a whole number")
        if abs(int(value)) > 2**31 - 1:
            raise ValueError(f"{value} is far too large a number")
        return int(value)


# 45, 45.5 or 45,5 (Turkish decimal comma)
_RATE = re.compile(r"[0-9]{1,3}(?:[.,][0-9]+)?")


class RateType(_Type):
    name = "percent"

    def parse(self, text: str) -> Decimal:
        if not _RATE.fullmatch(text):
            raise ValueError(f"{text!r} is not a percentage; write e.g. 45 or 45,5")
        try:
            return Decimal(text.replace(",", "."))
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            raise ValueError(f"{text!r} is not a percentage") from None


def _iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace(" ", "T", 1) if re.match(r"\d{4}-\d\d-\d\d \d", text) else text)


class MomentType(_Type):
    """A date or a date and time (ISO 8601); Istanbul time unless it carries an offset."""

    name = "moment"

    def parse(self, text: str) -> datetime:
        try:
            moment = _iso(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a date or time; write 2026-11-01 or 2026-11-01T09:30") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=ISTANBUL)


class WhenType(_Type):
    """A date and a time of day (ISO 8601), Istanbul time unless it carries an offset: a date alone or a word
    (tomorrow) does not say when a visit starts."""

    name = "when"

    def parse(self, text: str) -> datetime:
        if not re.fullmatch(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d.*", text):
            raise ValueError(f"{text!r} is not a date and time; write 2026-12-01T14:30 (Istanbul time)")
        try:
            moment = _iso(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a date and time; write 2026-12-01T14:30 (Istanbul time)") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=ISTANBUL)


UUID, AMOUNT, INT, RATE, MOMENT, WHEN = UuidType(), AmountType(), IntType(), RateType(), MomentType(), WhenType()


def amount_option(help: str, *names: str) -> Any:
    return typer.Option(*names, metavar="AMOUNT",
                        help=f"{help}, in whole units: 9000000 or 9.000.000.", show_default=False)


def int_option(help: str, *names: str, metavar: str = "N") -> Any:
    return typer.Option(*names, metavar=metavar, help=help, show_default=False)


def uuid_option(help: str, *names: str, metavar: str = "ID") -> Any:
    return typer.Option(*names, metavar=metavar, help=help, show_default=False)


def uuid_argument(metavar: str, help: str) -> Any:
    return typer.Argument(metavar=metavar, help=help, show_default=False)


def moment_option(help: str, *names: str) -> Any:
    return typer.Option(*names, metavar="WHEN", help=help, show_default=False)


# a duration as people write it: "90", "5 minutes", "1 day 2 hours", "2 weeks"
DURATION = re.compile(r"(\d+(\.\d+)?\s*(seconds?|secs?|minutes?|mins?|hours?|days?|weeks?|months?|years?)\s*)+", re.I)


def interval(text: str | None, unit: str, flag: str) -> timedelta | str | None:
    """Whole numbers are `unit`s (minutes, days); "5 minutes", "1 day 2 hours" go to the database as written;
    anything else is refused here, naming the flag."""
    if text is None:
        return None
    text = text.strip()
    if text.isdigit():
        try:
            return timedelta(**{unit: int(text)})
        except OverflowError:
            fail(f"{flag}: {text} {unit} is far too long")
    if not DURATION.fullmatch(text) or len(text) > 100:
        fail(f"{flag}: {text[:50]!r} is not a duration; write a number of {unit}, or e.g. '5 minutes', '1 day 2 hours'")
    return text


# ------------------------------------------------------------------------------------- arguments shared by groups
ContactIdArg = Annotated[str, uuid_argument("CONTACT_ID", "The contact's id (uuid).")]
OptionalContactArg = Annotated[
    str | None, typer.Argument(metavar="[CONTACT_ID]",
                               help="The contact's id (uuid); default: the acting contact.", show_default=False),
]
PortfolioIdArg = Annotated[
    str, typer.Argument(metavar="PORTFOLIO_ID", help="The listing, e.g. 2026-001.", show_default=False)
]
RequestIdArg = Annotated[str, uuid_argument("REQUEST_ID", "The request (uuid).")]
DealIdArg = Annotated[str, uuid_argument("DEAL_ID", "The deal (uuid).")]


# ------------------------------------------------------------------------------------- the database and the client
def _check_url(url: str, flag: str) -> str:
    try:
        conninfo_to_dict(url)
    except psycopg.Error:
        fail(f"{flag}: not a PostgreSQL URL; write postgresql://user:password@host:5432/dbname")
    if not re.match(r"(postgres(ql)?://|\w+=)", url.strip()):
        fail(f"{flag}: not a PostgreSQL URL; write postgresql://user:password@host:5432/dbname")
    return url


def target(ctx: typer.Context | None = None) -> str:
    """The database URL: --database-url (or VIC_DATABASE_URL), else the local server's."""
    url = root(ctx).database_url
    if url:
        return _check_url(url, "--database-url")
    found = local.url()
    if not found:
        fail("the local database is not running: start it with `vic db up`, "
             "or pass --database-url (or set VIC_DATABASE_URL)")
    return found


def _supabase_configured() -> bool:
    return bool(os.environ.get("VIC_SUPABASE_URL") and os.environ.get("VIC_SUPABASE_KEY"))


def make_client(url: str | None, *, acting_as: str | None = None, service_role: bool = False,
                anon: bool = False) -> VicClient:
    """A client through `VicClient.from_config` (the transport the configuration picks)."""
    return VicClient.from_config(database_url=url, acting_as=acting_as, service_role=service_role, anon=anon)


def client(ctx: typer.Context | None = None) -> VicClient:
    """A client acting as the global options say: a contact (--as), the bot (--service-role), the database
    owner (--superuser), or else nobody (anon). An --as naming no contact is refused before anything runs."""
    r = root(ctx)
    if r.database_url is None and _supabase_configured():
        if r.superuser:
            fail("--superuser needs a database URL (--database-url): the Supabase API has no owner")
        url = None
    else:
        url = target(ctx)
    with reported():
        # through the Supabase API the configured key and token decide who acts (the flags must agree with them)
        vic = make_client(url, acting_as=r.contact_id, service_role=r.service_role, anon=r.anon and url is not None)
        if r.contact_id:
            try:
                me = vic.whoami()
            except BaseException:
                vic.close()
                raise
            if me.get("authority") is None:
                vic.close()
                fail(f"--as {r.contact_id}: no such contact")
    return vic


def drain(ctx: typer.Context | None = None) -> int | None:
    """Run the matcher until no match event is pending (public.process_match_events); returns how many
    events it processed, or None when nobody here may run it. As the bot with --service-role; else as the
    database URL's own user (the owner, `postgres` locally) when the CLI has a database URL: the write was
    the caller's, the matching is the database's (what `vic worker` does within a second otherwise)."""
    r = root(ctx)
    if r.database_url is None and _supabase_configured() and not r.service_role:
        return None
    total = 0
    try:
        url = None if r.database_url is None and _supabase_configured() else target(ctx)
        with make_client(url, service_role=r.service_role) as vic:
            while n := vic.process_match_events(max=DRAIN_BATCH):
                total += n
    except VicError:  # not allowed here (or not configured for it): the worker matches within a second
        return None
    return total


@contextlib.contextmanager
def matching_client(ctx: typer.Context | None = None) -> Iterator[VicClient]:
    """`client` for a command that writes listings or requests: after the write, the matcher runs, so
    the matches, notifications and visibility it makes are there at once without a worker (`vic worker`
    matches them otherwise, within about a second)."""
    with client(ctx) as vic:
        yield vic
    if drain(ctx) is None:
        err.print("[dim]matched when the matcher runs (`vic worker`, or `vic match drain` as the owner)[/]")


# ------------------------------------------------------------------------------------- output
def cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        # a moment as an Istanbul agent reads it, its offset kept: 2026-12-04 16:01:02+03:00
        return (value.astimezone(ISTANBUL) if value.tzinfo else value).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dict | list):
        return json.dumps(jsonable(value), ensure_ascii=False)
    return str(value)


def local_time(moment: datetime | None) -> str:
    """A moment as an Istanbul agent reads it: 2026-12-04 16:01."""
    return "—" if moment is None else moment.astimezone(ISTANBUL).strftime("%Y-%m-%d %H:%M")


def jsonable(value: Any) -> Any:
    """A row's value as JSON: moments in Istanbul time with their offset, whole amounts as integers."""
    if isinstance(value, datetime):
        return (value.astimezone(ISTANBUL) if value.tzinfo else value).isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # uuid, date


def print_json(value: Any, *, one_line: bool = False) -> None:
    out.print(json.dumps(jsonable(value), ensure_ascii=False, indent=None if one_line else 2),
              markup=False, highlight=False, soft_wrap=True)


def emit(data: Any, render: Callable[[], None]) -> None:
    """`data` as JSON with --json, else `render()` (a table or a line)."""
    if as_json():
        print_json(data)
    else:
        render()


def say(line: str, data: Any = None) -> None:
    """A line for a person, or `data` as JSON with --json (nothing when there is none)."""
    if as_json():
        if data is not None:
            print_json(data)
    else:
        out.print(escape(line))


def new_table(title: str) -> Table:
    return Table(title=escape(title), title_justify="left")


def show_row(title: str, row: Mapping[str, Any]) -> None:
    """One row as a two-column table, a field per line (JSON with --json)."""
    if as_json():
        print_json(row)
        return
    t = new_table(title)
    t.add_column("field", no_wrap=True)
    t.add_column("value", overflow="fold")
    for key, value in row.items():
        t.add_row(escape(key), escape(cell(value)))
    out.print(t)


_NUMBERLIKE = re.compile(r"[\d.,:+\-–— ]+( [₺$€£]| [A-Z]{3})?")


def _atom(values: Sequence[str]) -> bool:
    """Whether a column holds values a person copies or compares whole (ids, amounts, times): they stay on one
    line, and the text columns wrap around them."""
    return all((" " not in v and len(v) <= 40) or (_NUMBERLIKE.fullmatch(v) and len(v) <= 30) for v in values)


def show_rows(title: str, columns: Mapping[str, str | Callable[[Mapping[str, Any]], Any]],
              rows: Sequence[Mapping[str, Any]], *, right: Sequence[str] = (), empty: str = "none") -> None:
    """Rows as a table that fits the terminal: `columns` maps each header to its field (or a function of the
    row); `right` headers align right. Ids, amounts and times stay whole; text wraps. With --json, the rows
    as the database returned them."""
    if as_json():
        print_json(list(rows))
        return
    if not rows:
        out.print(escape(empty))
        return
    cells = [[cell(field(row) if callable(field) else row.get(field)) for field in columns.values()] for row in rows]
    atoms = [_atom([c[i] for c in cells]) for i in range(len(columns))]
    longest = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(columns)]
    room = min(out.width, 120) - 3 * len(columns) - 1  # borders: "│ " before each cell, " │" after the last
    # text columns keep at least 12 characters, the atoms their whole length, while the terminal has room
    roomy = sum(n if atom else min(12, n) for n, atom in zip(longest, atoms)) <= room
    whole = sum(n for n, atom in zip(longest, atoms) if atom) + sum(1 for a in atoms if not a) <= room
    t = new_table(title)
    for i, header in enumerate(columns):
        t.add_column(header, justify="right" if header in right else "left", overflow="fold",
                     no_wrap=atoms[i] and whole and roomy,
                     min_width=min(12, longest[i]) if roomy and not atoms[i] else None)
    for values in cells:
        t.add_row(*(escape(v) for v in values))
    out.print(t)


def money(amount: Any, currency: str | None) -> str:
    return demo_view.money(amount, currency or "TRY")


def price(card: Mapping[str, Any]) -> str:
    """The exact price when the card shows it, else the price band: 10.000.000–15.000.000 ₺."""
    currency = card.get("currency") or ""
    if card.get("listed_price") is not None:
        return demo_view.money(card["listed_price"], currency)
    if card.get("price_band_min") is None:
        return "—"
    low = demo_view.money(card["price_band_min"], currency).rsplit(" ", 1)[0]
    return f"{low}–{demo_view.money(card.get('price_band_max'), currency)}"


def _listing(card: Mapping[str, Any]) -> str:
    """What the listing is and where: daire 3+1 for sale, Kadıköy (and its status when not active)."""
    what = " ".join(str(v) for v in (card.get("type"), card.get("rooms")) if v)
    status = "" if card.get("status") in (None, "active") else f" ({card['status']})"
    return f"{what} for {card.get('listing_type') or '—'}, {card.get('district') or '—'}{status}"


CARD_COLUMNS: dict[str, Any] = {  # header -> card field, or how to show it
    "id": "id", "level": "visibility_level", "listing": _listing, "price": price,
    "title / agent": lambda c: " · ".join(str(v) for v in (c.get("title"), c.get("agent_name"), c.get("agent_phone"))
                                          if v),
}


def show_cards(rows: Sequence[Mapping[str, Any]], title: str = "Listing cards", *, rank: bool = False) -> None:
    """Listing cards, one per row: hidden fields print as —; with `rank`, the search rank first."""
    columns = ({"rank": lambda c: f"{c['rank']:.3f}" if c.get("rank") is not None else None} if rank else {})
    show_rows(title, {**columns, **CARD_COLUMNS}, rows, right=("rank",), empty="no cards")


REQUEST_FIELDS = ("id", "customer_id", "assigned_agent", "request_type", "criteria", "status", "source_session_id",
                  "created_at", "updated_at")


def show_request(row: Mapping[str, Any]) -> None:
    """A requests row: its own fields only."""
    show_row(f"request {row.get('id', '')}", {k: row[k] for k in REQUEST_FIELDS if k in row})


Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


@contextlib.contextmanager
def progress(what: str, total: float | None = None) -> Iterator[Callable[..., None]]:
    """A progress bar on stderr while long work runs (only on a terminal: pipes and logs stay clean). Yields
    `step(description=None, advance=0)` to rename the work or move the bar."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(what, total=total)

        def step(description: str | None = None, advance: float = 0) -> None:
            bar.update(task, description=description or bar.tasks[0].description, advance=advance)

        yield step


# ------------------------------------------------------------------------------------- read commands (list_*)
# Paging of the list reads; a flag not given is the database's default.
Limit = Annotated[int | None, int_option("At most this many rows (1-500); the database's default: 50.", "--limit")]
Offset = Annotated[int | None, int_option("Skip this many first (0-100000).", "--offset")]
