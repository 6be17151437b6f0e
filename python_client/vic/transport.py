"""Transports: how a `VicClient` reaches the RPC functions of schema `public`.

A transport calls one function by name with named arguments and returns its rows as dicts. It
knows nothing about the functions themselves; `vic.client.VicClient` maps one method to each.
Both transports give the same rows (the same Python values and types) and raise the same
`vic.errors` classes with the same sqlstate, message, detail and hint:

- `PsycopgTransport` talks to PostgreSQL directly and acts exactly as PostgREST does: each call
  is one transaction that sets the role (`authenticated`, `service_role` or `anon`) and the JWT
  claims (`request.jwt.claims`) with `set local`, so RLS, grants and `auth.uid()` see the same
  caller as they would behind the Supabase API. See docs/access.md, "Acting identity".
- `SupabaseTransport` goes through the Supabase API with supabase-py
  (`create_client(url, key).rpc(function, args).execute()`), as the user of an access token or
  as the key's own role; PostgREST then does the `set local` above. PostgREST answers JSON, so the
  rows are turned back into what psycopg returns in one place, `from_json`, by the result types
  the functions declare (`vic.result_types`, generated from the catalog and checked by a test).
  docs/transports.md says which to use when.

Args are keyed by the SQL parameter names (`p_…`): PostgREST matches named arguments by those names.
Parameters are never logged, and never formatted into SQL text or URLs: they carry phone numbers
and owners' names. A dict (any Mapping) is sent as `jsonb` (a request's `criteria`), a number as its
text for PostgreSQL to read as the parameter's type (what PostgREST does with JSON), lists as arrays.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import json
import re
import ssl
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

import httpx
import psycopg
from psycopg import sql
from psycopg.adapt import Transformer
from psycopg.pq import Format
from psycopg.rows import dict_row
from psycopg.types.datetime import TimestamptzBinaryLoader, TimestamptzLoader
from psycopg.types.json import Jsonb

from vic import result_types
from vic.errors import ConnectionFailed, InvalidInput, VicError, from_postgrest, from_psycopg, redact_url
from vic.migrate import connect


@runtime_checkable
class Transport(Protocol):
    """Calls `public.<function>` with named arguments; returns the rows as dicts."""

    def call(self, function: str, args: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Call `public.<function>(<name> => <value>, …)`; args are keyed by SQL parameter name
        (`p_phone`, …) and every one is passed, so leave out what should take its SQL default."""
        ...

    def close(self) -> None:
        """Release the connection (idempotent)."""
        ...


class PsycopgTransport:
    """A psycopg connection that acts as a contact, as service_role, or as its own user.

    - `acting_as=<contact id>`: `set local role authenticated` and claims
      `{"sub": <id>, "role": "authenticated"}`: what PostgREST does for a signed-in user.
    - `service_role=True`: `set local role service_role` and claims `{"role": "service_role"}`:
      the bot backend with the service key (bypasses row-level security).
    - `anon=True`: `set local role anon` and claims `{"role": "anon"}`: nobody, what PostgREST does
      for a request with the anon key and no user token.
    - none of them: the connection's own user, e.g. `postgres` as the dashboard admin in the SQL editor.

    The connection opens on the first call and is reused; every call is its own transaction, so the
    role and claims never outlive it, and an error rolls back everything the call wrote.
    """

    def __init__(
        self, url: str, acting_as: str | uuid.UUID | None = None, service_role: bool = False, anon: bool = False
    ) -> None:
        if acting_as is not None and service_role:
            raise InvalidInput("act either as a contact or as service_role, not both")
        if anon and (acting_as is not None or service_role):
            raise InvalidInput("act as anon (nobody) or as someone, not both")
        if acting_as is not None:
            try:
                acting_as = str(uuid.UUID(str(acting_as)))
            except ValueError:
                # The value itself is not echoed: a phone number pasted here must not reach a log.
                raise InvalidInput("the acting contact must be a contact id (a uuid)") from None
        self.url = url
        self.acting_as: str | None = acting_as
        self.service_role = service_role
        self.anon = anon
        self._conn: psycopg.Connection | None = None

    # --------------------------------------------------------------------------- identity
    def _identity(self) -> tuple[str, dict[str, str]] | None:
        """(role, claims) to set for each call, or None to stay the connection's own user."""
        if self.acting_as is not None:
            return "authenticated", {"sub": self.acting_as, "role": "authenticated"}
        if self.service_role:
            return "service_role", {"role": "service_role"}
        if self.anon:
            return "anon", {"role": "anon"}
        return None

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            if self._conn is not None:
                self._conn.close()
            self._conn = connect(self.url)  # autocommit: each call opens its own transaction below
            self._conn.row_factory = dict_row  # type: ignore[assignment]
            # timestamptz in UTC whatever the session's TimeZone, as SupabaseTransport reads them
            self._conn.adapters.register_loader("timestamptz", UtcTimestamptzLoader)
            self._conn.adapters.register_loader("timestamptz", UtcTimestamptzBinaryLoader)
        return self._conn

    # --------------------------------------------------------------------------- calls
    @staticmethod
    def statement(function: str, names: list[str]) -> sql.Composed:
        """`select * from public.<function>(<name> => %s, …)`, identifiers quoted by psycopg."""
        args = sql.SQL(", ").join(
            sql.SQL("{} => {}").format(sql.Identifier(name), sql.Placeholder()) for name in names
        )
        return sql.SQL("select * from {}({})").format(sql.Identifier("public", function), args)

    @staticmethod
    def adapt(value: Any) -> Any:
        """A Mapping becomes `jsonb` (psycopg adapts no dict by itself); a number is sent as its text, untyped
        like a str, so that PostgreSQL reads it as the parameter's type (an int as integer or bigint, a float
        or Decimal as numeric), as PostgREST does with a JSON number: 10**12 for an integer parameter is
        then "out of range for type integer" on both transports, not a missing function. Anything else is
        left to psycopg."""
        if isinstance(value, Mapping):
            return Jsonb(dict(value))
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return str(Decimal(repr(value)))
        if isinstance(value, Decimal):
            return str(value)
        return value

    def call(self, function: str, args: Mapping[str, Any]) -> list[dict[str, Any]]:
        names = list(args)
        query = self.statement(function, names)
        conn = self._connection()
        identity = self._identity()
        try:
            with conn.transaction(), conn.cursor() as cur:
                if identity is not None:
                    role, claims = identity
                    cur.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
                    cur.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(claims),))
                cur.execute(query, [self.adapt(args[name]) for name in names])
                return list(cur.fetchall()) if cur.description else []
        except psycopg.Error as exc:
            # `from None`: a logged traceback would print the psycopg error, whose text carries
            # PostgreSQL's DETAIL ("Key (phone)=(+90…) already exists"); the VicError keeps the
            # sqlstate, and shows a detail only for the project's own codes (errors.VicError.one_line).
            raise from_psycopg(exc) from None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> PsycopgTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class UtcTimestamptzLoader(TimestamptzLoader):
    """timestamptz as an aware datetime in UTC (tzinfo datetime.timezone.utc) on both transports: the same
    instant psycopg reads in the session's TimeZone, in the one zone the Supabase API's JSON can be read in."""

    def load(self, data: Any) -> dt.datetime:
        value = super().load(data)
        return value.astimezone(dt.timezone.utc) if value.tzinfo is not None else value


class UtcTimestamptzBinaryLoader(TimestamptzBinaryLoader):
    def load(self, data: Any) -> dt.datetime:
        value = super().load(data)
        return value.astimezone(dt.timezone.utc) if value.tzinfo is not None else value


# ------------------------------------------------------------------------------------------------ Supabase
class SupabaseTransport:
    """The Supabase API (PostgREST behind the project URL) through supabase-py.

    `key` is the project's API key (the `apikey` header): the anon (publishable) key for users, the
    service_role (secret) key for the bot. `access_token` is a signed-in user's session token (a JWT
    whose `sub` is the contact id); it is sent as `Authorization: Bearer …`, and without one the key
    itself is, so the call runs as the key's role. PostgREST verifies the token, sets the role and
    `request.jwt.claims` for the transaction, and calls `public.<function>` with the named args.

    HTTP/1.1 on purpose: with HTTP/2, the hpack library logs request headers it does not deem sensitive
    (the `apikey`, a service_role key included) at DEBUG.
    The connection opens on the first call and is reused; `close` releases it.
    """

    def __init__(self, url: str, key: str, access_token: str | None = None, *, timeout: float = 30.0) -> None:
        if not re.match(r"^https?://[^/\s]+", url or ""):
            raise InvalidInput("the Supabase URL must be the project's http(s) URL, e.g. https://<project>.supabase.co")
        if not key:
            raise InvalidInput("the Supabase key is empty: give the project's anon or service_role key")
        self.url = url
        self.key = key
        self.access_token = access_token
        self.timeout = timeout
        self._http: httpx.Client | None = None
        self._client: Any = None
        self._last: httpx.Response | None = None

    def _supabase(self) -> Any:
        if self._client is None:
            from supabase import ClientOptions, create_client  # imported when first used: it takes a while

            self._http = httpx.Client(http2=False, timeout=self.timeout, follow_redirects=True,
                                      verify=_ssl_context(), event_hooks={"response": [self._keep]})
            options = ClientOptions(
                headers={"Authorization": f"Bearer {self.access_token or self.key}"},
                auto_refresh_token=False, persist_session=False, httpx_client=self._http,
            )
            self._client = create_client(self.url, self.key, options)
        return self._client

    def _keep(self, response: httpx.Response) -> None:
        # supabase-py parses JSON numbers as floats; a numeric keeps its exact text (2.50) only in the body
        response.read()
        self._last = response

    def call(self, function: str, args: Mapping[str, Any]) -> list[dict[str, Any]]:
        from postgrest.exceptions import APIError

        params = {name: to_json(value) for name, value in args.items()}
        client = self._supabase()
        self._last = None
        try:
            client.rpc(function, params).execute()
        except APIError as exc:
            status = self._last.status_code if self._last is not None else None
            raise from_postgrest(exc.json(), status) from None
        except httpx.HTTPError as exc:
            # the URL has no parameter in it (an RPC is a POST with a JSON body), only the function name
            raise ConnectionFailed(f"cannot reach {redact_url(self.url)}: {type(exc).__name__}: {exc}") from None
        assert self._last is not None
        body = self._last.content
        return rows_from_json(function, parse_json(body) if body.strip() else None)

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
        self._http = self._client = self._last = None

    def __enter__(self) -> SupabaseTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # one default context for every transport: building it (loading the CA store) is the slow part
    return ssl.create_default_context()


def to_json(value: Any) -> Any:
    """A client argument as JSON for PostgREST, which casts it to the parameter's type the way
    PostgreSQL reads text: the same values `PsycopgTransport.adapt` sends."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        # numeric as psycopg sends it (Decimal(repr(value))); NaN and infinities have no JSON number
        return value if value == value and abs(value) != float("inf") else str(Decimal(repr(value)))
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return f"{value.days} days {value.seconds} seconds {value.microseconds} microseconds"
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return [to_json(v) for v in value]
    return value


def parse_json(text: str | bytes) -> Any:
    """JSON with every number as a Decimal of its exact text (2.50 stays 2.50, -0 stays -0): `from_json`
    reads each by its declared type."""
    return json.loads(text, parse_float=Decimal, parse_int=Decimal)


def rows_from_json(function: str, data: Any) -> list[dict[str, Any]]:
    """PostgREST's answer as the rows `PsycopgTransport` returns for `select * from public.<function>(…)`:
    a setof function answers an array, a single composite an object, a scalar function its value (the
    column is then named after the function, as `select *` names it)."""
    scalar = result_types.SCALARS.get(function)
    if scalar is not None:
        setof = scalar.startswith("setof ")
        type_name = scalar.removeprefix("setof ")
        return [{function: from_json(type_name, v)} for v in (data if setof else [data])]
    columns = result_types.COLUMNS.get(function)
    if columns is None:
        raise VicError(f"{function}: its result types are not in vic/result_types.py (regenerate it, see docs/transports.md)")
    rows = [data] if isinstance(data, dict) else data or []
    try:
        return [{name: from_json(columns[name], value) for name, value in row.items()} for row in rows]
    except KeyError as missing:
        raise VicError(f"{function}: column {missing} is not in vic/result_types.py (regenerate it, see docs/transports.md)") from None


_LOADERS = Transformer()  # psycopg's own text loaders, without a connection (timestamptz in UTC)


@functools.cache
def _loader(type_name: str) -> Any:
    info = psycopg.adapters.types.get(type_name)
    # a type psycopg has no loader for (an enum, tsvector, …) comes back as its text, as over psycopg
    return _LOADERS.get_loader(info.oid if info is not None else 0, Format.TEXT)


def from_json(type_name: str, value: Any) -> Any:
    """One JSON value of PostgreSQL type `type_name` (as `regtype` spells it) as psycopg returns that type:
    to_json writes each scalar as its text (ISO 8601 for times), which psycopg's text loader reads."""
    if value is None:
        return None
    if type_name.endswith("[]"):
        return [from_json(type_name[:-2], v) for v in value]
    if type_name in ("json", "jsonb"):
        return _json_floats(value)
    if isinstance(value, bool):
        return value
    return _loader(type_name).load(str(value).encode())


def _json_floats(value: Any) -> Any:
    """A json/jsonb value with its numbers as psycopg's json loader (json.loads) makes them: an integer
    literal an int, any other a float."""
    if isinstance(value, Decimal):
        return int(value) if value.as_tuple().exponent == 0 and value.is_finite() else float(value)
    if isinstance(value, list):
        return [_json_floats(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_floats(v) for k, v in value.items()}
    return value


def jwt_claims(token: str) -> dict[str, Any] | None:
    """The claims of a JWT, NOT verified (the API verifies them): only to check which identity a
    configuration names. None when `token` is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


def key_role(key: str) -> str | None:
    """The role a Supabase API key acts as without a user token: anon or service_role (None: unknown)."""
    if key.startswith("sb_publishable_"):
        return "anon"
    if key.startswith("sb_secret_"):
        return "service_role"
    role = (jwt_claims(key) or {}).get("role")
    return role if isinstance(role, str) else None


# ------------------------------------------------------------------------------------------------ result types
def declared_result_types(conn: psycopg.Connection) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """(columns, scalars) of every function of schema public, as the catalog declares them: for a function
    returning rows, its columns in order (OUT/TABLE parameters, or the attributes of its row type) with
    their types; for a function returning a scalar, its type (`setof …` for a set). Domains are read
    as their base type; types are spelled as `regtype` does (psycopg's type registry knows them so)."""
    fns = conn.execute(
        """
        select p.proname, p.proretset, p.prorettype::regtype::text, t.typtype, t.typrelid,
               coalesce(p.proargnames, '{}'), coalesce(p.proargmodes::text[], '{}'),
               coalesce(p.proallargtypes::regtype[]::text[], '{}')
        from pg_proc p join pg_type t on t.oid = p.prorettype
        where p.pronamespace = 'public'::regnamespace and p.prokind = 'f'
          and p.prorettype not in ('trigger'::regtype, 'event_trigger'::regtype)
          and not exists (select 1 from pg_depend d
                          where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
        order by p.proname, p.oid
        """
    ).fetchall()
    columns: dict[str, dict[str, str]] = {}
    scalars: dict[str, str] = {}
    for name, setof, rettype, typtype, typrelid, argnames, argmodes, argtypes in fns:
        if name in columns or name in scalars:
            raise VicError(f"public.{name} is overloaded: PostgREST could not tell the overloads apart by name")
        if any(m in ("o", "b", "t") for m in argmodes):
            columns[name] = {n: _base_type(conn, t) for n, m, t in zip(argnames, argmodes, argtypes, strict=True)
                             if m in ("o", "b", "t")}
        elif typtype == "c":
            attrs = conn.execute(
                """select attname, atttypid::regtype::text from pg_attribute
                   where attrelid = %s and attnum > 0 and not attisdropped order by attnum""", (typrelid,)
            ).fetchall()
            columns[name] = {n: _base_type(conn, t) for n, t in attrs}
        else:
            scalars[name] = ("setof " if setof else "") + _base_type(conn, rettype)
    return columns, scalars


def _base_type(conn: psycopg.Connection, type_name: str) -> str:
    """A domain's base type (arrays of domains included), else the type itself."""
    (base,) = conn.execute(
        """with recursive d(oid) as (select %s::regtype::oid
                                     union all select t.typbasetype from pg_type t join d on t.oid = d.oid
                                     where t.typtype = 'd')
           select format_type(oid, null)::regtype::text from d
           where (select typtype from pg_type where pg_type.oid = d.oid) <> 'd'""", (type_name,)
    ).fetchone()
    return base


def render_result_types(columns: Mapping[str, Mapping[str, str]], scalars: Mapping[str, str]) -> str:
    """The text of python_client/vic/result_types.py for these result types."""
    out = [
        '"""The result types the RPC functions of schema public declare: what `SupabaseTransport` reads',
        "PostgREST's JSON by (vic.transport.from_json), so that both transports return the same Python values.",
        "",
        "Generated from the migrated catalog (vic.transport.declared_result_types); tests/test_transports.py",
        "fails when it differs from the schema, and rewrites it when run with VIC_WRITE_RESULT_TYPES=1.",
        '"""',
        "",
        "# function -> {column: type}, for functions returning rows (a table's row type, OUT or TABLE columns)",
        "COLUMNS: dict[str, dict[str, str]] = {",
    ]
    for name, cols in columns.items():
        out.append(f"    {json.dumps(name)}: {{")
        out.extend(f"        {json.dumps(col)}: {json.dumps(typ)}," for col, typ in cols.items())
        out.append("    },")
    out += ["}", "", "# function -> type, for functions returning a scalar (`setof <type>` for a set of them)",
            "SCALARS: dict[str, str] = {"]
    out.extend(f"    {json.dumps(name)}: {json.dumps(typ)}," for name, typ in scalars.items())
    out += ["}", ""]
    return "\n".join(out)
