"""Ingestion with dedupe (../shared/BENCH.md "Concurrency figures"): WhatsApp messages stored per second
through `ingest_message` with 1, 4 and 8 workers, p50/p95/max per delivery, and the errors and duplicates (both
must be 0).

Each worker is one connection of the bot's pool; every delivery is one transaction in the API's envelope
(`set_config('role', 'service_role')` and the JWT claims, the RPC, its row fetched), timed on the client. The
messages look like a day of an Istanbul bot: 400 contacts (a quarter pre-registered with transfer consent, the rest
new leads registered by their first message; a fifth reach us by bsuid, a third by WhatsApp's wa_id form of the
phone), 85% inbound, Turkish text of 20-300 characters, a few interactive replies, timestamps over the last hour.
Per worker count, three phases over fresh wa ids:

- `new`: N messages never seen (every answer must be is_new);
- `redelivered`: the same N again, as WhatsApp redelivers (every answer must be the stored id, not new);
- `racing`: N more new messages, each queued twice back to back, so that two workers deliver it at the same moment
  (exactly one answer new per message, both the same id): 2N deliveries.

`duplicates` counts what dedupe must prevent: a wa id stored more than once, answered with two ids, answered new
twice (or never), or a redelivery that moved its session's last_message_at. The sessions are checked too: one active
session per contact, at its latest message.

    measure_ingest(conn, url, per_run) -> [one dict per (workers, phase)]

Standalone, for a quick check (not wired into bench/run.py; `make bench` does that):

    .venv/bin/python -m bench.ingest                       # a throw-away PostgreSQL 18, N = 500
    BENCH_INGEST=2000 .venv/bin/python -m bench.ingest     # more messages per phase
    .venv/bin/python -m bench.ingest --url postgresql://…   # an existing, migrated database (it adds rows)

Run from the repository root (the venv of `make bench` or the tests' venv: numpy and psycopg are needed).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from psycopg.types.json import Jsonb

INGEST = ("select message_id, is_new from public.ingest_message(p_wa_message_id => %(wa)s, p_direction => %(direction)s,"
          " p_from => %(from)s, p_to => %(to)s, p_message_type => %(type)s, p_content => %(content)s,"
          " p_interactive_payload => %(payload)s, p_sent_at => %(at)s)")
ENVELOPE = """select set_config('role', 'service_role', true), set_config('request.jwt.claims', '{"role": "service_role"}', true)"""
OUR_NUMBER = "+902123450000"
CONTACTS = 400
WORDS = ("merhaba", "kadıköy'de", "3+1", "satılık", "daire", "arıyorum", "bütçem", "13", "milyon", "beşiktaş'ta",
         "kiralık", "var", "mı", "asansörlü", "otoparklı", "deniz", "manzaralı", "teşekkürler", "yarın", "görebilir",
         "miyiz", "fiyat", "pazarlık", "payı", "üsküdar", "ataşehir", "şişli", "metroya", "yakın", "bahçeli")


def _parties(rng: random.Random) -> list[str]:
    """The contacts as WhatsApp names them: a fifth by bsuid, a third of the phones in the wa_id form (no +)."""
    out = []
    for n in range(CONTACTS):
        if n % 5 == 4:
            out.append(f"TR.{rng.getrandbits(64):016x}")
        else:
            phone = f"+90532{n:07d}"
            out.append(phone.lstrip("+") if n % 3 == 0 else phone)
    return out


def prepare(conn: psycopg.Connection) -> list[str]:
    """A quarter of the phone contacts registered with transfer consent (the rest arrive as new leads); the parties."""
    parties = _parties(random.Random(20261204))
    phones = ["+" + p.lstrip("+") for p in parties if not p.startswith("TR.")]
    with conn.transaction():
        conn.execute("insert into public.contacts (phone, contact_type, consent_transfer) "
                     "select unnest(%s::text[]), 'customer', true on conflict do nothing", (phones[::4],))
    return parties


def messages(parties: list[str], n: int, tag: str, seed: int) -> list[dict[str, Any]]:
    """n webhooks with wa ids unique to `tag`: skewed over the contacts (some write a lot), the last hour."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    weights = [1 / (i + 1) ** 0.8 for i in range(len(parties))]
    out = []
    for i, party in enumerate(rng.choices(parties, weights=weights, k=n)):
        inbound = rng.random() < 0.85
        interactive = inbound and rng.random() < 0.1
        text = None if interactive else " ".join(rng.choices(WORDS, k=rng.randint(3, 45)))[:300]
        out.append({"wa": f"wamid.bench.{tag}.{i:07d}", "direction": "inbound" if inbound else "outbound",
                    "from": party if inbound else OUR_NUMBER, "to": OUR_NUMBER if inbound else party,
                    "type": "interactive" if interactive else "text", "content": text,
                    "payload": Jsonb({"button_reply": {"id": f"b{rng.randint(1, 3)}", "title": "Evet"}}) if interactive else None,
                    "at": now - dt.timedelta(seconds=rng.uniform(0, 3600))})
    return out


def run(url: str, workers: int, deliveries: list[dict[str, Any]]) -> dict:
    """Deliver the queue with `workers` connections; per delivery (wa id, message id, is_new), latency, errors."""
    queue = iter(deliveries)
    lock = threading.Lock()
    latencies: list[float] = []
    answers: list[tuple[str, str, bool]] = []
    errors: list[str] = []
    barrier = threading.Barrier(workers)

    def worker() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            barrier.wait()
            while True:
                with lock:
                    item = next(queue, None)
                if item is None:
                    return
                start = time.perf_counter()
                try:
                    with conn.transaction():
                        conn.execute(ENVELOPE)
                        mid, new = conn.execute(INGEST, item).fetchone()
                except psycopg.Error as e:
                    with lock:
                        errors.append(f"{item['wa']}: {e.sqlstate} {e.diag.message_primary}")
                    continue
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    latencies.append(elapsed)
                    answers.append((item["wa"], str(mid), new))

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    pct = (lambda q: float(np.percentile(latencies, q))) if latencies else (lambda q: float("nan"))
    return {"workers": workers, "deliveries": len(deliveries), "seconds": seconds,
            "per_second": len(latencies) / seconds, "p50": pct(50), "p95": pct(95), "max": pct(100),
            "errors": errors, "answers": answers}


def duplicates(conn: psycopg.Connection, answers: list[tuple[str, str, bool]], expect_new: int,
               stored: dict[str, str] | None = None) -> int:
    """What dedupe must prevent, for the wa ids of one phase: rows beyond one per wa id, a wa id answered with two ids
    (or another than `stored`, the first phase's), and answers new more or less than `expect_new` times per wa id."""
    by_wa: dict[str, list[tuple[str, bool]]] = {}
    for wa, mid, new in answers:
        by_wa.setdefault(wa, []).append((mid, new))
    rows = dict(conn.execute("select wa_message_id, count(*) from public.message_log where wa_message_id = any(%s)"
                             " group by 1", (list(by_wa),)).fetchall())
    bad = sum(count - 1 for count in rows.values())
    for wa, got in by_wa.items():
        ids = {mid for mid, _ in got}
        if len(ids) != 1 or (stored is not None and ids != {stored[wa]}):
            bad += 1
        if sum(new for _, new in got) != expect_new:
            bad += 1
    return bad


def sessions_consistent(conn: psycopg.Connection) -> bool:
    """One active session per contact with messages, at its latest message, holding all of them."""
    return conn.execute("""
        select not exists (
          select 1 from public.message_log m
          join public.sessions s on s.id = m.session_id
          where s.contact_id <> coalesce(m.from_contact, m.to_contact))
        and not exists (
          select 1 from (select coalesce(m.from_contact, m.to_contact) as contact, max(m.created_at) as latest
                         from public.message_log m group by 1) x
          left join public.sessions s on s.contact_id = x.contact and s.status = 'active'
          where s.last_message_at is distinct from x.latest)""").fetchone()[0]


def measure_ingest(conn: psycopg.Connection, url: str, per_run: int,
                   workers: tuple[int, ...] = (1, 4, 8)) -> list[dict]:
    """For each worker count: `per_run` new messages, the same again redelivered, and `per_run` more each delivered
    twice at once; one result per (workers, phase) with messages/s, p50/p95/max (ms), errors, duplicates."""
    parties = prepare(conn)
    run(url, 2, messages(parties, 100, "warm", seed=0))  # warm-up (BENCH.md): caches, plans, connections; unrecorded
    results = []
    for n in workers:
        fresh = messages(parties, per_run, f"w{n}", seed=n)
        racing = messages(parties, per_run, f"w{n}r", seed=100 + n)
        conn.execute("vacuum analyze public.message_log, public.sessions, public.contacts")
        first = run(url, n, fresh)
        stored = {wa: mid for wa, mid, _ in first["answers"]}
        moved = "select count(*), max(last_message_at), sum(extract(epoch from updated_at)) from public.sessions"
        before = conn.execute(moved).fetchone()
        again = run(url, n, fresh)
        sessions_moved = conn.execute(moved).fetchone() != before
        twice = run(url, n, [m for m in racing for _ in (0, 1)])
        for phase, r, expect, against in (("new", first, 1, None), ("redelivered", again, 0, stored),
                                          ("racing", twice, 1, None)):
            r["phase"] = phase
            r["duplicates"] = duplicates(conn, r.pop("answers"), expect, against) + (phase == "redelivered" and sessions_moved)
            results.append(r)
    results[-1]["sessions_consistent"] = sessions_consistent(conn)
    return results


def table(results: list[dict]) -> str:
    """The results as a markdown table."""
    lines = ["| workers | phase | deliveries | msg/s | p50 ms | p95 ms | max ms | errors | duplicates |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r['workers']} | {r['phase']} | {r['deliveries']} | {r['per_second']:,.0f} | {r['p50']:.2f} | "
                     f"{r['p95']:.2f} | {r['max']:.2f} | {len(r['errors'])} | {r['duplicates']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a migrated database to use (default: a throw-away PostgreSQL 18)")
    parser.add_argument("--n", type=int, default=int(os.environ.get("BENCH_INGEST", "500")),
                        help="messages per phase and worker count (env BENCH_INGEST; default 500)")
    parser.add_argument("--pg", choices=["18", "15"], default=os.environ.get("BENCH_PG", "18"))
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parents[1]
    sys.path[:0] = [str(root), str(root / "python_client")]
    server = None
    url = args.url
    if url is None:
        from vic.pg_server import PgServer
        from vic.migrate import migrate

        server = PgServer.start(args.pg)
        with psycopg.connect(server.url(), autocommit=True) as c:
            c.execute("create database bench_ingest")
        url = server.url("bench_ingest")
        migrate(url)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            version = conn.execute("show server_version").fetchone()[0]
            results = measure_ingest(conn, url, args.n)
    finally:
        if server is not None:
            server.stop()
    print(f"ingest_message, PostgreSQL {version}, {os.cpu_count()} cores, {args.n} messages per phase")
    print(table(results))
    print(f"sessions consistent: {results[-1]['sessions_consistent']}")
    for r in results:
        for e in r["errors"][:3]:
            print(f"error ({r['workers']} workers, {r['phase']}): {e}")
    return 0  # a benchmark reports; it never fails the build


if __name__ == "__main__":
    sys.exit(main())
