"""A local HTTP endpoint that speaks PostgREST's RPC protocol for our functions, over the test database.

No PostgREST binary is installable here, so the client suite reaches the real test PostgreSQL through this
stand-in when it runs on `SupabaseTransport` (supabase-py). It does exactly this and no more:

- `POST /<database>/rest/v1/rpc/<function>`: the project URL of each test database is
  `http://127.0.0.1:<port>/<database>` (one endpoint per test process serves every database of the run's
  server), under which supabase-py calls `rest/v1/rpc/<function>` as on a Supabase project;
- the `apikey` header must be one of the project's keys (an HS256 JWT signed with the project's JWT secret,
  role `anon` or `service_role`, as Supabase's legacy keys are); else 401 with the gateway's body;
- `Authorization: Bearer <JWT>` is verified (HS256, the same secret, `exp` with PostgREST's 30 s of leeway);
  an invalid or expired token is 401 `PGRST301`; without the header the request is `anon`;
- in one transaction (read only for a stable or immutable function, as PostgREST does): `search_path`
  "public", "extensions" (Supabase's), `role` from the token's `role` claim (`anon` when absent) and
  `request.jwt.claims` from its claims, with `set_config(…, true)` exactly as PostgREST (= `set local`);
- the JSON body's keys are the named arguments: the function is the one of that name in `public` whose
  parameters include every key and every parameter without a default (else 404 `PGRST202`), and the
  arguments are bound as PostgREST binds them: `json_to_record(<body>) as _(<name> <type>, …)` with the
  parameter types from pg_proc (`regtype`), then `public.<function>(<name> := …)`;
- the answer is PostgREST's: a JSON array of the rows for a set-returning function, one object for a
  function returning a single row, the value itself for a scalar function (`json_agg` of the rows);
- an error is PostgREST's body `{"code", "details", "hint", "message"}` with its HTTP status for the
  SQLSTATE (`pgrst_status`, the table of PostgREST 12's Error.hs; VCxxx is 400 as any other custom code).

It connects as the server's superuser, as `PsycopgTransport` does in tests (PostgREST connects as
`authenticator`); the role switch above is what the functions see. Not served: GET, filters, `select=`,
`Prefer` headers, tables, single unnamed parameters, and everything else PostgREST does.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import jwt
import psycopg
from psycopg import sql

from vic.pg_server import PgServer

JWT_SECRET = "vic-test-jwt-secret-not-a-real-one-32+chars"  # a test secret, as `supabase start` prints one
ANON_ROLE = "anon"  # PostgREST's db-anon-role on Supabase
EXTRA_SEARCH_PATH = '"public", "extensions"'  # search_path PostgREST sets on Supabase (db-extra-search-path)
ROUTE = re.compile(r"^/(?P<db>[A-Za-z0-9_]+)/rest/v1/rpc/(?P<function>[A-Za-z_][A-Za-z0-9_]*)$")


def pgrst_status(sqlstate: str, authenticated: bool) -> int:
    """PostgREST's HTTP status for a PostgreSQL error (PostgREST 12, src/PostgREST/Error.hs, pgErrorStatus)."""
    exact = {"23503": 409, "23505": 409, "25006": 405, "21000": 500, "53400": 500, "57P01": 503, "P0001": 400,
             "42883": 404, "42P01": 404, "42P17": 500, "42501": 403 if authenticated else 401}
    if sqlstate in exact:
        return exact[sqlstate]
    by_class = {"08": 503, "09": 500, "0L": 403, "0P": 403, "25": 500, "28": 403, "2D": 500, "38": 500, "39": 500,
                "3B": 500, "40": 500, "53": 503, "54": 500, "55": 500, "57": 500, "58": 500, "F0": 500, "HV": 500,
                "P0": 500, "XX": 500}
    if sqlstate[:2] in by_class:
        return by_class[sqlstate[:2]]
    if sqlstate.startswith("PT") and sqlstate[2:].isdigit():
        return int(sqlstate[2:])
    return 400


def sign(claims: dict[str, Any], secret: str = JWT_SECRET) -> str:
    """An HS256 JWT with these claims, as Supabase Auth signs a session's access token."""
    return jwt.encode(claims, secret, algorithm="HS256")


@dataclass(frozen=True)
class Routine:
    """What PostgREST's schema cache holds about one function, as far as an RPC call needs it."""

    name: str
    params: tuple[tuple[str, str], ...]  # input parameters (name, regtype), in order
    required: frozenset[str]  # parameters without a default
    setof: bool
    scalar: bool  # returns neither a row type nor OUT/TABLE columns
    read_only: bool  # stable or immutable: PostgREST runs it in a read-only transaction


class PostgrestEndpoint:
    """The endpoint, in a thread of this process; `project_url(db_url)` is the Supabase URL of a database."""

    def __init__(self, server: PgServer, secret: str = JWT_SECRET) -> None:
        self.server = server
        self.secret = secret
        self.anon_key = sign({"iss": "supabase-demo", "role": "anon", "exp": 1983812996}, secret)
        self.service_role_key = sign({"iss": "supabase-demo", "role": "service_role", "exp": 1983812996}, secret)
        self._pools: dict[str, list[psycopg.Connection]] = {}
        self._routines: dict[tuple[str, int], dict[str, list[Routine]]] = {}
        self._database_of: dict[int, int] = {}  # id(connection) -> oid of its database
        self._lock = threading.Lock()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, name="postgrest-endpoint", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._http.server_address[1]

    def project_url(self, db_url: str) -> str:
        return f"http://127.0.0.1:{self.port}/{urlsplit(db_url).path.lstrip('/')}"

    def token(self, contact_id: str, *, role: str = "authenticated", expires_in: int = 3600, **claims: Any) -> str:
        """A signed-in user's access token: `sub` the contact id, as Supabase Auth issues one."""
        now = int(time.time())
        return sign({"sub": contact_id, "role": role, "aud": "authenticated", "iat": now, "exp": now + expires_in,
                     **claims}, self.secret)

    def forget(self, dbname: str) -> None:
        """Close the connections to a database (before it is dropped)."""
        with self._lock:
            conns = self._pools.pop(dbname, [])
            for key in [k for k in self._routines if k[0] == dbname]:
                del self._routines[key]
        for conn in conns:
            self._database_of.pop(id(conn), None)
            conn.close()

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        for dbname in list(self._pools):
            self.forget(dbname)

    # ------------------------------------------------------------------------------------------ database
    @contextlib.contextmanager
    def _connection(self, dbname: str):
        """A pooled connection to `dbname`. One whose server process is gone (the database was dropped and
        made again under the same name by the next test) is replaced before use."""
        with self._lock:
            pool = self._pools.setdefault(dbname, [])
            conn = pool.pop() if pool else None
        if conn is not None:
            try:
                conn.execute("select")
            except psycopg.OperationalError:
                self._database_of.pop(id(conn), None)
                conn.close()
                conn = None
        if conn is None or conn.closed:
            conn = psycopg.connect(self.server.url(dbname), autocommit=True)
            # the schema cache is per database: a database made again under the same name is another one
            (self._database_of[id(conn)],) = conn.execute(
                "select oid from pg_database where datname = current_database()").fetchone()
        try:
            yield conn
        finally:
            if not (conn.closed or conn.broken):
                with self._lock:
                    self._pools.setdefault(dbname, []).append(conn)

    def _routines_of(self, conn: psycopg.Connection, dbname: str) -> dict[str, list[Routine]]:
        key = (dbname, self._database_of[id(conn)])
        with self._lock:
            cached = self._routines.get(key)
        if cached is not None:
            return cached
        found: dict[str, list[Routine]] = {}
        rows = conn.execute(
            """
            select p.proname, p.proretset, p.provolatile,
                   (t.typtype = 'c' or coalesce(p.proargmodes::text[] && '{t,b,o}', false)) as composite,
                   coalesce(array(select a.name from unnest(p.proargnames, coalesce(p.proallargtypes, p.proargtypes::oid[]),
                                                      coalesce(p.proargmodes::text[], array_fill('i'::text, array[p.pronargs])))
                                           with ordinality as a(name, type, mode, idx)
                                  where a.mode in ('i', 'b', 'v') order by a.idx), '{}'),
                   coalesce(array(select a.type::regtype::text
                                  from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]),
                                              coalesce(p.proargmodes::text[], array_fill('i'::text, array[p.pronargs])))
                                           with ordinality as a(type, mode, idx)
                                  where a.mode in ('i', 'b', 'v') order by a.idx), '{}'),
                   p.pronargdefaults
            from pg_proc p join pg_type t on t.oid = p.prorettype
            where p.pronamespace = 'public'::regnamespace and p.prokind = 'f' and p.prorettype <> 'trigger'::regtype
            """
        ).fetchall()
        for name, setof, volatility, composite, names, types, ndefaults in rows:
            found.setdefault(name, []).append(Routine(
                name=name, params=tuple(zip(names, types, strict=True)),
                required=frozenset(names[: len(names) - ndefaults]), setof=setof, scalar=not composite,
                read_only=volatility in ("s", "i")))
        with self._lock:
            self._routines[key] = found
        return found

    @staticmethod
    def statement(routine: Routine, keys: set[str]) -> sql.Composed:
        """PostgREST 12's RPC query (Query/QueryBuilder.hs callPlanToQuery, Statements.hs prepareCall)."""
        fn = sql.Identifier("public", routine.name)
        params = [(n, t) for n, t in routine.params if n in keys]
        args = sql.SQL(", ").join(sql.SQL("{} := pgrst_body.{}").format(sql.Identifier(n), sql.Identifier(n))
                                  for n, _ in params)
        if routine.scalar:
            call = sql.SQL("(select {}({}) pgrst_scalar) pgrst_call").format(fn, args)
            selected = sql.SQL("pgrst_call.pgrst_scalar")
        else:
            call = sql.SQL("{}({}) pgrst_call").format(fn, args)
            selected = sql.SQL("pgrst_call.*")
        if params:
            typed = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t)) for n, t in params)
            names = sql.SQL(", ").join(sql.Identifier(n) for n, _ in params)
            source = sql.SQL(
                "select {selected} from (select %s::json as json_data) pgrst_payload, "
                "lateral (select {names} from json_to_record(pgrst_payload.json_data) as _({typed}) limit 1) pgrst_body, "
                "lateral {call}"
            ).format(selected=selected, names=names, typed=typed, call=call)
        else:
            source = sql.SQL("select {selected} from {call}").format(selected=selected, call=call)
        if routine.scalar:
            body = "coalesce(json_agg(_postgrest_t.pgrst_scalar), '[]')" if routine.setof \
                else "coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null')"
        else:
            body = "coalesce(json_agg(_postgrest_t), '[]')" if routine.setof \
                else "coalesce(json_agg(_postgrest_t)->0, 'null')"
        return sql.SQL("with pgrst_source as ({source}) select ({body})::text from (select * from pgrst_source) _postgrest_t") \
            .format(source=source, body=sql.SQL(body))

    def call(self, dbname: str, function: str, body: bytes, claims: dict[str, Any]) -> tuple[int, dict | str]:
        """(HTTP status, JSON text of the answer or an error body) for one RPC call."""
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return 400, _error("PGRST102", "Empty or invalid json")
        if not isinstance(payload, dict):
            return 400, _error("PGRST102", "Empty or invalid json")  # (arrays would be a bulk call: not served)
        keys = set(payload)
        role = claims["role"]
        with self._connection(dbname) as conn:
            candidates = [r for r in self._routines_of(conn, dbname).get(function, [])
                          if r.required <= keys <= {n for n, _ in r.params}]
            if len(candidates) != 1:
                listed = ", ".join(sorted(keys))
                return 404, _error(
                    "PGRST202", f"Could not find the function public.{function}({listed}) in the schema cache",
                    f"Searched for the function public.{function} with parameter{'s' if len(keys) > 1 else ''} "
                    f"{listed} or with a single unnamed json/jsonb parameter, but no matches were found in the "
                    "schema cache.")
            routine = candidates[0]
            try:
                with conn.transaction():
                    if routine.read_only:
                        conn.execute("set transaction read only")
                    conn.execute(
                        "select set_config('search_path', %s, true), set_config('role', %s, true), "
                        "set_config('request.jwt.claims', %s, true), set_config('request.method', 'POST', true), "
                        "set_config('request.path', %s, true)",
                        (EXTRA_SEARCH_PATH, role, json.dumps(claims), f"/rpc/{function}"))
                    query = self.statement(routine, keys)
                    params = (body.decode(),) if any(n in keys for n, _ in routine.params) else ()
                    (answer,) = conn.execute(query, params).fetchone()
                return 200, answer
            except psycopg.Error as exc:
                diag = exc.diag
                if diag.sqlstate is None:
                    return 503, _error("PGRST000", "Database connection error. Retrying the connection.")
                return pgrst_status(diag.sqlstate, role != ANON_ROLE), {
                    "code": diag.sqlstate, "details": diag.message_detail, "hint": diag.message_hint,
                    "message": diag.message_primary}

    # ------------------------------------------------------------------------------------------ HTTP
    def authenticate(self, headers) -> tuple[int, dict] | dict[str, Any]:
        """The JWT claims of a request (role set), or (status, error body) when the key or token is refused."""
        apikey = headers.get("apikey")
        if not apikey:
            return 401, {"message": "No API key found in request", "hint": "No `apikey` request header or url param was found."}
        try:
            key_claims = jwt.decode(apikey, self.secret, algorithms=["HS256"], options={"verify_aud": False})
        except jwt.InvalidTokenError:
            key_claims = {}
        if key_claims.get("role") not in ("anon", "service_role"):
            return 401, {"message": "Invalid API key", "hint": "Double check your Supabase `anon` or `service_role` API key."}
        authorization = headers.get("Authorization", "")
        if not authorization:
            return {"role": ANON_ROLE}
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return 401, _error("PGRST301", "JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts; got 1)")
        try:
            claims = jwt.decode(token, self.secret, algorithms=["HS256"], leeway=30, options={"verify_aud": False})
        except jwt.ExpiredSignatureError:
            return 401, _error("PGRST301", "JWT expired")
        except jwt.InvalidSignatureError:
            return 401, _error("PGRST301", "JWSError JWSInvalidSignature")
        except jwt.InvalidTokenError as exc:
            return 401, _error("PGRST301", f"JWSError {type(exc).__name__}")
        role = claims.get("role")
        return {**claims, "role": role if isinstance(role, str) and role else ANON_ROLE}


def _error(code: str, message: str, details: str | None = None, hint: str | None = None) -> dict[str, Any]:
    return {"code": code, "details": details, "hint": hint, "message": message}


def _handler(endpoint: PostgrestEndpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the client reuses its connection

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass  # no access log: the tests' output stays the tests'

        def _send(self, status: int, body: dict | str, extra: dict[str, str] | None = None) -> None:
            data = (body if isinstance(body, str) else json.dumps(body)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            route = ROUTE.match(urlsplit(self.path).path)
            if route is None:
                return self._send(404, _error("PGRST125", "Invalid path specified in request URL"))
            auth = endpoint.authenticate(self.headers)
            if isinstance(auth, tuple):
                return self._send(*auth, {"WWW-Authenticate": "Bearer"})
            status, answer = endpoint.call(route["db"], route["function"], body, auth)
            self._send(status, answer, {"WWW-Authenticate": "Bearer"} if status == 401 else None)

        def _not_served(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._send(405, _error("PGRST117", f"Unsupported HTTP method: {self.command}"))

        do_GET = do_PUT = do_PATCH = do_DELETE = _not_served

    return Handler
