"""Transports: how a `VicClient` reaches the RPC functions of schema `public`.

A transport calls one function by name with named arguments and returns its rows as dicts. It
knows nothing about the functions themselves; `vic.client.VicClient` maps one method to each.

- `PsycopgTransport` talks to PostgreSQL directly and acts exactly as PostgREST does: each call
  is one transaction that sets the role (`authenticated` or `service_role`) and the JWT claims
  (`request.jwt.claims`) with `set local`, so RLS, grants and `auth.uid()` see the same caller
  as they would behind the Supabase API. See docs/access.md, "Acting identity".
- A supabase-py transport (`client.rpc(function, args).execute().data`) comes later; it fits the
  same `Transport` protocol, and args are keyed by the SQL parameter names (`p_…`) for that reason:
  PostgREST matches named arguments by those names.

Parameters are never logged, and never formatted into SQL text: they carry phone numbers and
owners' names. A dict (any Mapping) is sent as `jsonb` (a request's `criteria`), a float as `numeric`
(a commission rate; PostgreSQL casts numeric to real or double precision implicitly, not back), lists as arrays.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from vic.errors import InvalidInput, from_psycopg
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
    - neither: the connection's own user, e.g. `postgres` as the dashboard admin in the SQL editor.

    The connection opens on the first call and is reused; every call is its own transaction, so the
    role and claims never outlive it, and an error rolls back everything the call wrote.
    """

    def __init__(self, url: str, acting_as: str | uuid.UUID | None = None, service_role: bool = False) -> None:
        if acting_as is not None and service_role:
            raise InvalidInput("act either as a contact or as service_role, not both")
        if acting_as is not None:
            try:
                acting_as = str(uuid.UUID(str(acting_as)))
            except ValueError:
                # The value itself is not echoed: a phone number pasted here must not reach a log.
                raise InvalidInput("the acting contact must be a contact id (a uuid)") from None
        self.url = url
        self.acting_as: str | None = acting_as
        self.service_role = service_role
        self._conn: psycopg.Connection | None = None

    # --------------------------------------------------------------------------- identity
    def _identity(self) -> tuple[str, dict[str, str]] | None:
        """(role, claims) to set for each call, or None to stay the connection's own user."""
        if self.acting_as is not None:
            return "authenticated", {"sub": self.acting_as, "role": "authenticated"}
        if self.service_role:
            return "service_role", {"role": "service_role"}
        return None

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            if self._conn is not None:
                self._conn.close()
            self._conn = connect(self.url)  # autocommit: each call opens its own transaction below
            self._conn.row_factory = dict_row  # type: ignore[assignment]
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
        """A Mapping becomes `jsonb` (psycopg adapts no dict by itself), a float `numeric` (psycopg would send
        double precision, which a numeric parameter does not accept); anything else is left to psycopg."""
        if isinstance(value, Mapping):
            return Jsonb(dict(value))
        if isinstance(value, float):
            return Decimal(repr(value))
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
