"""Bulk loading: COPY with the matching triggers off, then everything back on before measuring.

In the loading session `session_replication_role = replica` turns off every ordinary trigger and the
foreign-key checks (fine for generated data). The triggers that *derive* columns a row must have
(search vector, typed criteria, …) are switched to ENABLE ALWAYS for the load so those columns are
filled exactly as in production; the rest (matching, notifications, history, id counter) stay off.
Secondary indexes of the loaded tables are dropped before a big load and rebuilt after (faster than
growing them row by row). Afterwards every trigger is back to its own state, then `vacuum analyze`.
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence

import psycopg

from bench import data

# Triggers kept during a load: BEFORE ROW triggers that fill or check the row itself. Anything whose
# name or function says it reacts to the row (matching, notifying, auditing, granting, counting ids)
# is skipped: those are the costs measured later, with the triggers on.
SKIP = re.compile(r"match|notif|histor|audit|signal|visib|grant|counter|alloc|_id$|listing_id|next_id",
                  re.IGNORECASE)

LOADED_TABLES = ("public.contacts", "public.agent_profiles", "public.portfolios",
                 "public.portfolio_confidential", "public.requests", "public.portfolio_request_matches",
                 "public.pending_notifications")
BIG_TABLES = LOADED_TABLES[2:]  # their secondary indexes are rebuilt around a load
# State the skipped triggers keep besides the rows themselves, rebuilt by the loader with the schema's own
# function for the rows it loaded: (function, its tables).
MATCH_KEYS = ("private.refresh_match_keys(text[],uuid[])",
              ("private.request_match_keys", "private.listing_match_keys"))


def match_keys(conn: psycopg.Connection) -> bool:
    """Does the schema keep match keys (matching's side tables) that a load must fill?"""
    return conn.execute("select to_regprocedure(%s) is not null", (MATCH_KEYS[0],)).fetchone()[0]


def big_tables(conn: psycopg.Connection) -> tuple[str, ...]:
    return BIG_TABLES + (MATCH_KEYS[1] if match_keys(conn) else ())


def triggers(conn: psycopg.Connection, tables: Iterable[str]) -> list[dict]:
    rows = conn.execute(
        """
        select t.tgrelid::regclass::text, t.tgname, p.proname, t.tgenabled,
               (t.tgtype & 2) <> 0 as before, (t.tgtype & 1) <> 0 as per_row
        from pg_trigger t join pg_proc p on p.oid = t.tgfoid
        where not t.tgisinternal and t.tgrelid = any(%s::regclass[])
        order by 1, 2
        """, (list(tables),)).fetchall()
    return [dict(table=r[0], name=r[1], function=r[2], enabled=r[3], before=r[4], per_row=r[5]) for r in rows]


def keep_during_load(t: dict) -> bool:
    return t["before"] and t["per_row"] and not SKIP.search(t["name"]) and not SKIP.search(t["function"])


@contextlib.contextmanager
def bulk_triggers(conn: psycopg.Connection, tables: Iterable[str] = LOADED_TABLES, log=print) -> Iterator[None]:
    """The deriving triggers switched to ENABLE ALWAYS (they fire in replica mode too) while loading
    sessions run with session_replication_role = replica; every trigger restored afterwards."""
    trig = triggers(conn, tables)
    kept = [t for t in trig if keep_during_load(t) and t["enabled"] != "D"]
    skipped = [t for t in trig if t not in kept and t["enabled"] != "D"]
    log("  load: triggers kept " + (", ".join(f"{t['table']}.{t['name']}" for t in kept) or "none")
        + "; off " + (", ".join(f"{t['table']}.{t['name']}" for t in skipped) or "none"))
    for t in kept:
        conn.execute(f'alter table {t["table"]} enable always trigger "{t["name"]}"')
    try:
        yield
    finally:
        for t in kept:  # back to exactly what the schema said
            mode = {"O": "enable", "A": "enable always", "R": "enable replica"}[t["enabled"]]
            conn.execute(f'alter table {t["table"]} {mode} trigger "{t["name"]}"')
        assert [(t["name"], t["enabled"]) for t in triggers(conn, tables)] == \
            [(t["name"], t["enabled"]) for t in trig], "triggers not restored"


@contextlib.contextmanager
def bulk_mode(conn: psycopg.Connection, tables: Iterable[str] = LOADED_TABLES, log=print) -> Iterator[None]:
    """bulk_triggers, and this session in replica mode."""
    with bulk_triggers(conn, tables, log):
        conn.execute("set session_replication_role = replica")
        try:
            yield
        finally:
            conn.execute("reset session_replication_role")


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[], None]]:
    """A progress bar over the loading tasks on a terminal (stderr), nothing in a log; yields `advance()`."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(TextColumn("  load"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("load", total=total)
        yield lambda: bar.advance(task)


def parallel(url: str, tasks: Sequence[Callable[[psycopg.Connection], object]], workers: int = 2) -> None:
    """Run loading tasks on `workers` sessions of their own, each in replica mode (inside bulk_triggers).
    The server does the work (generated columns, triggers, index entries); two sessions use both cores."""
    local = threading.local()
    conns: list[psycopg.Connection] = []
    lock = threading.Lock()

    def session() -> psycopg.Connection:
        if not hasattr(local, "conn"):
            local.conn = psycopg.connect(url, autocommit=True)
            local.conn.execute("set session_replication_role = replica")
            local.conn.execute("set statement_timeout = 0")
            with lock:
                conns.append(local.conn)
        return local.conn

    try:
        with concurrent.futures.ThreadPoolExecutor(workers) as pool, _progress(len(tasks)) as advance:
            for f in concurrent.futures.as_completed([pool.submit(lambda t=t: t(session())) for t in tasks]):
                f.result()
                advance()
    finally:
        for c in conns:
            c.close()


@contextlib.contextmanager
def indexes_rebuilt(conn: psycopg.Connection, tables: Iterable[str], log=print, url: str | None = None
                    ) -> Iterator[None]:
    """Drop the secondary (non-constraint) indexes of `tables`, yield, recreate them as they were
    (on two sessions when `url` is given)."""
    rows = conn.execute(
        """
        select i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        from pg_index i
        where i.indrelid = any(%s::regclass[])
          and not exists (select from pg_constraint c where c.conindid = i.indexrelid)
        order by 1
        """, (list(tables),)).fetchall()
    for name, _ in rows:
        conn.execute(f"drop index {name}")
    try:
        yield
    finally:
        t0 = time.monotonic()
        if url:  # biggest first, two at a time
            parallel(url, [lambda c, d=d: c.execute(d) for _, d in rows])
        else:
            for _, definition in rows:
                conn.execute(definition)
        log(f"  load: rebuilt {len(rows)} indexes in {time.monotonic() - t0:.1f}s")


def _line(values: tuple) -> str:
    return "\t".join("\\N" if v is None else v for v in values)


def copy_rows(conn: psycopg.Connection, table: str, columns: str, rows: Iterable[tuple]) -> int:
    n = 0
    with conn.cursor().copy(f"copy {table} ({columns}) from stdin") as cp:
        buf: list[str] = []
        for r in rows:
            buf.append(_line(r))
            if len(buf) >= 20_000:
                cp.write("\n".join(buf) + "\n")
                n += len(buf)
                buf.clear()
        if buf:
            cp.write("\n".join(buf) + "\n")
            n += len(buf)
    return n


# ------------------------------------------------------------------------------------- what is loaded
def load_agents(conn: psycopg.Connection) -> None:
    copy_rows(conn, "public.contacts", data.CONTACT_COLUMNS, data.agent_rows())
    copy_rows(conn, "public.agent_profiles", "contact_id, role, office", data.agent_profile_rows())


def _chunks(first: int, last: int) -> Iterator[tuple[int, int]]:
    for start in range(first - first % data.CHUNK, last, data.CHUNK):
        yield max(first, start), min(last, start + data.CHUNK)


def tasks(generate_listings, generate_requests, first: int, last: int, history_per_listing: int) -> list:
    """Loading tasks for rows first..last-1 of both tables (listings with their confidential rows,
    customers, requests, past matches and notifications), one per chunk, to run with parallel()."""
    out: list = []
    for a, b in _chunks(first, last):
        out.append(lambda c, a=a, b=b: load_listings(c, data.chunked(generate_listings, a, b)))
        out.append(lambda c, a=a, b=b: load_requests(c, data.chunked(generate_requests, a, b), a, b))
        out.append(lambda c, a=a, b=b: load_history(c, a, b, history_per_listing))
    return out


def key_tasks(first: int, last: int) -> list:
    """Tasks filling the match keys of the loaded rows first..last-1 with the schema's own function (what
    the matching triggers do for each written row), one per chunk and side; run after tasks()."""
    out: list = []
    for a, b in _chunks(first, last):
        out.append(lambda c, a=a, b=b: c.execute(f"select {MATCH_KEYS[0].split('(')[0]}(%s, null)",
                                                 ([data.listing_id(i) for i in range(a, b)],)))
        out.append(lambda c, a=a, b=b: c.execute(f"select {MATCH_KEYS[0].split('(')[0]}(null, %s::uuid[])",
                                                 ([data.request_id(i) for i in range(a, b)],)))
    return out


def load(url: str, conn: psycopg.Connection, generate_listings, generate_requests, first: int, last: int,
         history_per_listing: int, log=print) -> None:
    """Rows first..last-1 of both tables, their history and (when the schema has them) their match keys,
    on two sessions, with the secondary indexes rebuilt after."""
    with bulk_triggers(conn, log=log), indexes_rebuilt(conn, big_tables(conn), log=log, url=url):
        parallel(url, tasks(generate_listings, generate_requests, first, last, history_per_listing))
        if match_keys(conn):
            t0 = time.monotonic()
            parallel(url, key_tasks(first, last))
            log(f"  load: match keys in {time.monotonic() - t0:.1f}s")


def load_listings(conn: psycopg.Connection, parts: Iterable[data.Listings]) -> int:
    n = 0
    for ls in parts:
        n += copy_rows(conn, "public.portfolios", "id, agent_id, type, listing_type, title, description, district, "
                       "rooms, listed_price, currency, status, match_floor", data.listing_rows(ls))
        copy_rows(conn, "public.portfolio_confidential", "portfolio_id, owner_name, owner_phone, min_price, "
                  "commission_rate", data.confidential_rows(ls))
    return n


def load_requests(conn: psycopg.Connection, parts: Iterable[data.Requests], first: int, last: int) -> int:
    copy_rows(conn, "public.contacts", data.CONTACT_COLUMNS, data.customer_rows(data.customer_of_request(first) + (first % 2), data.customer_of_request(last - 1) + 1))
    n = 0
    for rq in parts:
        n += copy_rows(conn, "public.requests", "id, customer_id, assigned_agent, request_type, criteria, status",
                       data.request_rows(rq))
    return n


def load_history(conn: psycopg.Connection, first: int, last: int, per_listing: int) -> int:
    """Past matches and delivered notifications for listings first..last-1 (data.match_rows); load the
    requests first."""
    n = 0
    for start in range(first - first % data.CHUNK, last, data.CHUNK):
        a, b = max(first, start), min(last, start + data.CHUNK)
        n += copy_rows(conn, "public.portfolio_request_matches", "portfolio_id, request_id, match_score, trigger_type, "
                       "notified, notified_agent_id, created_at, updated_at",
                       data.match_rows(start, a, b, per_listing))
        copy_rows(conn, "public.pending_notifications", "contact_id, kind, body, delivered_at, created_at",
                  data.notification_rows(start, a, b))
    return n


def history_parties(conn: psycopg.Connection) -> int:
    """The loaded past matches notified whom the matcher notifies (the request's assigned agent, else the
    listing's agent) instead of a random agent, so that an agent's "my newest matches" are rows it may read
    (the plain-read figures compare an agent with service_role on the same rows). No triggers (replica)."""
    conn.execute("set session_replication_role = replica")
    try:
        return conn.execute(
            """update public.portfolio_request_matches m set notified_agent_id = coalesce(r.assigned_agent, p.agent_id)
               from public.requests r, public.portfolios p
               where r.id = m.request_id and p.id = m.portfolio_id""").rowcount
    finally:
        conn.execute("reset session_replication_role")
