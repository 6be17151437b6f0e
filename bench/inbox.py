"""The inbound message queue under concurrency (../shared/BENCH.md "Concurrency figures"; target: claim + ack
≥ 5,000 msg/s at batch 100 with 4 workers): messages claimed and acknowledged per second with batch 1 and 100 and
1, 4 and 8 workers, p50/p95/max per claim, and the errors, duplicates and lost messages (all must be 0).

Each worker is a thread with its own connection acting as the bot (service_role, as PostgREST does: role and JWT
claims set in each transaction). It loops: `claim_messages(worker, batch, lease)` in its own transaction (timed),
then acknowledges each message it got (`ack_message`), until the figure's messages are all processed. Acks are
sent either one transaction each (`acks="each"`, what a worker that acknowledges every message as soon as it is
handled does; begin, envelope, ack and commit pipelined into one round trip) or the whole batch by one
`ack_messages` call (`acks="batch"`, a worker that handles its batch and then acknowledges it; a crash in between
hands the whole batch out again after the lease). Both are one RPC per transaction, as through PostgREST. The ack
column is per message (a batch ack's time divided by its messages). Every figure gets
its own waiting messages (loaded set-based, then `vacuum analyze`), spread over many contacts and interleaved in
time as real traffic is; the processed messages of earlier figures stay in the table, as history does. After each
figure the database is checked: every message processed once, none left waiting, none dead.

Standalone (not part of `make bench` until bench/run.py calls `measure_inbox`):

    .venv/bin/python -m bench.inbox                        # a throw-away PostgreSQL 18 (embedded), migrated
    BENCH_PG=15 .venv/bin/python -m bench.inbox            # Debian's PostgreSQL 15 (after `make deps`)
    .venv/bin/python -m bench.inbox --database-url URL     # an existing migrated test database (it gets bench rows)
    .venv/bin/python -m bench.inbox --quick                # fewer messages, to develop
    .venv/bin/python -m bench.inbox --acks batch --baseline 10

`--baseline SECONDS` also runs pgbench -N (4 clients) on the throw-away server, for the stretch target
(≥ 0.5 × pgbench -N TPS with batch 1). It prints a markdown table.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parents[1]
CONTACT_PREFIX = "00000000-0000-4000-be10-"
BOT = json.dumps({"role": "service_role"})
TARGET = {"batch": 100, "workers": 4, "per_second": 5000}


def _contact(n: int) -> str:
    return f"{CONTACT_PREFIX}{n:012d}"


def prepare_contacts(conn: psycopg.Connection, contacts: int) -> None:
    """`contacts` customers who write to the bot (ids from CONTACT_PREFIX), with transfer consent (their text is
    stored); kept if they exist."""
    conn.execute(
        "insert into public.contacts (id, phone, contact_type, consent_transfer)"
        " select (%s || lpad(i::text, 12, '0'))::uuid, '+90534' || lpad(i::text, 7, '0'), 'customer', true"
        " from generate_series(1, %s) as i on conflict do nothing", (CONTACT_PREFIX, contacts))


def load_messages(conn: psycopg.Connection, figure: str, messages: int, contacts: int) -> None:
    """`messages` waiting inbound messages for one figure: message i from contact (i × 7919 mod contacts), received
    one millisecond apart, so each contact writes a few times, interleaved with everyone else."""
    conn.execute(
        "insert into public.message_log (from_contact, direction, message_type, content, wa_message_id, created_at)"
        " select (%(prefix)s || lpad((1 + (i::bigint * 7919) %% %(contacts)s)::text, 12, '0'))::uuid, 'inbound', 'text',"
        "        'Merhaba, Kadıköy''de 3+1 satılık daire arıyorum', 'wamid.bench.' || %(figure)s || '.' || i,"
        "        now() - interval '1 hour' + i * interval '1 millisecond'"
        " from generate_series(1, %(messages)s) as i",
        {"prefix": CONTACT_PREFIX, "contacts": contacts, "figure": figure, "messages": messages})
    conn.execute("vacuum analyze public.message_log")


def _waiting(conn: psycopg.Connection) -> int:
    return conn.execute("select count(*) from public.message_log where direction = 'inbound'"
                        " and processed_at is null and dead_at is null").fetchone()[0]


def run(url: str, workers: int, batch: int, figure: str, *, acks: str = "each", lease: str = "1 minute",
        deadline_s: float = 600.0) -> dict:
    """Drain the waiting messages with `workers` threads claiming `batch` at a time; messages per second, latency
    per claim and per ack (ms), errors and duplicates."""
    lock = threading.Lock()
    claims_ms: list[float] = []
    acks_ms: list[float] = []
    acked: list[str] = []
    errors: list[str] = []
    stop = threading.Event()

    def worker(name: str) -> None:
        mine_claims: list[float] = []
        mine_acks: list[float] = []
        mine: list[str] = []
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                idle_since = None
                while not stop.is_set():
                    t0 = time.perf_counter()
                    with conn.transaction():
                        conn.execute("select set_config('role', 'service_role', true),"
                                     " set_config('request.jwt.claims', %s, true)", (BOT,))
                        rows = conn.execute("select id from public.claim_messages(%s, %s, %s::interval)",
                                            (name, batch, lease)).fetchall()
                    mine_claims.append((time.perf_counter() - t0) * 1000)
                    if not rows:
                        # the queue looks empty: the others may still hold messages that come back
                        idle_since = idle_since or time.monotonic()
                        if _waiting(conn) == 0:
                            return
                        time.sleep(0.002)
                        continue
                    idle_since = None
                    if acks == "batch":
                        t0 = time.perf_counter()
                        with conn.pipeline(), conn.transaction():
                            conn.execute("select set_config('role', 'service_role', true),"
                                         " set_config('request.jwt.claims', %s, true)", (BOT,))
                            conn.execute("select count(*) from public.ack_messages(%s, %s)",
                                         ([m for (m,) in rows], name))
                        mine_acks.append((time.perf_counter() - t0) * 1000 / len(rows))
                        mine.extend(str(m) for (m,) in rows)
                    else:
                        for (message,) in rows:
                            t0 = time.perf_counter()
                            with conn.pipeline(), conn.transaction():  # one round trip: begin, envelope, ack, commit
                                conn.execute("select set_config('role', 'service_role', true),"
                                             " set_config('request.jwt.claims', %s, true)", (BOT,))
                                conn.execute("select 1 from public.ack_message(%s, %s)", (message, name))
                            mine_acks.append((time.perf_counter() - t0) * 1000)
                            mine.append(str(message))
        except psycopg.Error as e:
            with lock:
                errors.append(f"{name}: {e.sqlstate} {e}")
        finally:
            with lock:
                claims_ms.extend(mine_claims)
                acks_ms.extend(mine_acks)
                acked.extend(mine)

    threads = [threading.Thread(target=worker, args=(f"bench-{figure}-w{i}",)) for i in range(workers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, deadline_s - (time.perf_counter() - started)))
        if t.is_alive():
            stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started

    def pct(values: list[float], q: float) -> float:
        return float(np.percentile(values, q)) if values else float("nan")

    return {"figure": figure, "batch": batch, "workers": workers, "acks": acks, "messages": len(acked),
            "seconds": elapsed, "per_second": len(acked) / elapsed if elapsed else float("nan"),
            "claims": len(claims_ms), "claim_p50": pct(claims_ms, 50), "claim_p95": pct(claims_ms, 95),
            "claim_max": max(claims_ms, default=float("nan")), "ack_p50": pct(acks_ms, 50), "ack_p95": pct(acks_ms, 95),
            "errors": errors, "duplicates": len(acked) - len(set(acked)), "timed_out": stop.is_set()}


def check(conn: psycopg.Connection, figure: str, expected: int) -> dict:
    """The figure's messages in the database: processed, still waiting (lost), dead."""
    processed, waiting, dead = conn.execute(
        "select count(processed_at), count(*) filter (where processed_at is null and dead_at is null), count(dead_at)"
        " from public.message_log where wa_message_id like %s", (f"wamid.bench.{figure}.%",)).fetchone()
    return {"processed": processed, "lost": expected - processed, "waiting": waiting, "dead": dead}


def measure_inbox(conn: psycopg.Connection, url: str, messages: dict[int, int] | None = None,
                  workers: tuple[int, ...] = (1, 4, 8), contacts: int = 5000, acks: str = "each") -> list[dict]:
    """One result per (batch, workers): batch 1 and 100 by default, `messages[batch]` messages each (at least 200
    claims per figure at batch 1; 200 batches at batch 100). `conn` is a superuser connection to the migrated
    database at `url` (autocommit)."""
    messages = messages or {1: 2000, 100: 20000}
    prepare_contacts(conn, contacts)
    results = []
    for batch, n in messages.items():
        for w in workers:
            figure = f"b{batch}w{w}{acks[0]}{int(time.time() * 1000) % 10**8}"
            load_messages(conn, figure, n, contacts)
            # warm-up: one claim and release, unrecorded, so the first timed claim does not pay for the cache
            with conn.transaction():
                for (m,) in conn.execute("select id from public.claim_messages('bench-warmup', %s)", (batch,)).fetchall():
                    conn.execute("select public.release_message(%s, 'bench-warmup')", (m,))
            result = run(url, w, batch, figure, acks=acks)
            result.update(check(conn, figure, n))
            results.append(result)
    return results


def markdown(results: list[dict], pgbench_n: float | None = None) -> str:
    lines = ["| batch | workers | acks | messages | msg/s | claims | claim p50 ms | claim p95 ms | claim max ms | "
             "ack p50 ms | errors | duplicates | lost | dead | target |",
             "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        target = ""
        if r["batch"] == TARGET["batch"] and r["workers"] == TARGET["workers"]:
            target = f"≥ {TARGET['per_second']:,}: {'yes' if r['per_second'] >= TARGET['per_second'] else '**NO**'}"
        elif r["batch"] == 1 and pgbench_n:
            target = f"≥ 0.5 × pgbench -N ({pgbench_n:,.0f}): {r['per_second'] / pgbench_n:.2f}×"
        lines.append(f"| {r['batch']} | {r['workers']} | {r['acks']} | {r['messages']:,} | {r['per_second']:,.0f} | "
                     f"{r['claims']:,} | {r['claim_p50']:.2f} | {r['claim_p95']:.2f} | {r['claim_max']:.1f} | "
                     f"{r['ack_p50']:.3f} | {len(r['errors'])} | {r['duplicates']} | {r['lost']} | {r['dead']} | {target} |")
    return "\n".join(lines)


def main() -> int:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "python_client"))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a migrated database (default: a throw-away server)")
    parser.add_argument("--acks", choices=("each", "batch", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="fewer messages per figure")
    parser.add_argument("--contacts", type=int, default=5000)
    parser.add_argument("--baseline", type=int, default=0, metavar="SECONDS",
                        help="run pgbench -N this long on the throw-away server first")
    args = parser.parse_args()
    messages = {1: 600, 100: 6000} if args.quick else {1: 3000, 100: 30000}
    server = None
    pgbench_n = None
    url = args.database_url
    if url is None:
        from bench.run import BenchServer
        from vic.migrate import migrate

        server = BenchServer.start(os.environ.get("BENCH_PG", "18"))
    try:
        if server is not None:
            if args.baseline:
                from bench.measure import pgbench

                with psycopg.connect(server.url(), autocommit=True) as c:
                    c.execute("create database pgbench")
                for r in pgbench(server.bindir, {"host": server.host, "port": server.port, "user": server.user},
                                 "pgbench", 10, args.baseline):
                    if r.mode == "simple-update":
                        pgbench_n = r.tps
                print(f"pgbench -N: {pgbench_n:,.0f} TPS", file=sys.stderr)
            with psycopg.connect(server.url(), autocommit=True) as c:
                c.execute("create database bench_inbox")
            url = server.url("bench_inbox")
            migrate(url)
        results = []
        with psycopg.connect(url, autocommit=True) as conn:
            version = conn.execute("show server_version").fetchone()[0]
            for mode in (("each", "batch") if args.acks == "both" else (args.acks,)):
                for r in measure_inbox(conn, url, messages, contacts=args.contacts, acks=mode):
                    print(f"  batch {r['batch']}, {r['workers']} workers, acks {mode}: {r['per_second']:,.0f} msg/s,"
                          f" claim p95 {r['claim_p95']:.2f} ms, errors {len(r['errors'])}, duplicates {r['duplicates']},"
                          f" lost {r['lost']}", file=sys.stderr)
                    results.append(r)
    finally:
        if server is not None:
            server.stop()
    print(f"PostgreSQL {version}, {os.cpu_count()} cores\n")
    print(markdown(results, pgbench_n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
