"""Closings under concurrency (../shared/BENCH.md "Concurrency figures"): dual-confirm closings per second
with 1, 4 and 8 workers, and the errors and duplicates (both must be 0).

Each worker holds two connections, one acting as the deal's listing agent and one as its buying agent (as
PostgREST does: role authenticated and JWT claims), takes the next closing deal from a shared queue and
confirms both sides through `confirm_closing`, each in its own transaction; the second confirmation closes
the deal (listing sold, request closed, commission rows, full visibility, contract). The deals are prepared
before, set-based, and walked to `closing` through the status machine; their requests match no listing, so
the figure is the closing alone. After each run the database is checked: every deal closed once, with one set
of three commission rows adding up to its total and one contract.
"""
from __future__ import annotations

import itertools
import json
import threading
import time

import numpy as np
import psycopg

# 8 listing agents of one office and 8 buying agents of another; deal i is worked by pair i % 8
LISTING = [f"00000000-0000-4000-be00-{n:012d}" for n in range(1, 9)]
BUYING = [f"00000000-0000-4000-be01-{n:012d}" for n in range(1, 9)]
CUSTOMER = "00000000-0000-4000-be02-000000000001"


PREPARE = [
    """
    create temporary table bench_new (n int, portfolio_id text, request_id uuid default gen_random_uuid())
      on commit drop""",
    """
    insert into bench_new (n) select g from generate_series(1, %(deals)s) g""",
    """
    with l as (
      insert into public.portfolios (agent_id, type, listing_type, title, district, rooms, listed_price)
      select (%(listing)s::uuid[])[1 + n %% 8], 'daire', 'sale', 'Bench kapanış ' || n, 'Kadıköy', '3+1', 9000000 + n
      from bench_new returning id, title)
    update bench_new b set portfolio_id = l.id from l where l.title = 'Bench kapanış ' || b.n""",
    """
    insert into public.portfolio_confidential (portfolio_id, commission_rate) select portfolio_id, 2.00 from bench_new""",
    """
    -- requests that no listing fits (budget 1): the figure is the closing, not matching
    insert into public.requests (id, customer_id, assigned_agent, request_type, criteria)
    select request_id, %(customer)s, (%(buying)s::uuid[])[1 + n %% 8], 'buy', '{"max_price": 1}' from bench_new""",
    """
    insert into public.deals (portfolio_id, customer_id, buying_agent_id, request_id)
    select portfolio_id, %(customer)s, (%(buying)s::uuid[])[1 + n %% 8], request_id from bench_new""",
    """
    update public.deals set status = 'showing' where status = 'matched' and customer_id = %(customer)s""",
    """
    insert into public.deal_negotiations (deal_id, from_contact_id, to_contact_id, amount)
    select id, buying_agent_id, listing_agent_id, 8900000 from public.deals
    where status = 'showing' and customer_id = %(customer)s""",
    """
    update public.deal_negotiations n set status = 'accepted' from public.deals d
    where d.id = n.deal_id and d.status = 'negotiating' and n.status = 'pending'""",
    """
    update public.deals set status = 'closing' where status = 'agreed' and customer_id = %(customer)s""",
]


def prepare(conn: psycopg.Connection, deals: int) -> None:
    """`deals` cross-agent deals in status closing (a listing, a request and a deal each)."""
    agents = [(a, f"+9053295{n:05d}", "Moda Emlak") for n, a in enumerate(LISTING)]
    agents += [(a, f"+9053296{n:05d}", "Boğaziçi Gayrimenkul") for n, a in enumerate(BUYING)]
    with conn.transaction():
        conn.execute("insert into public.contacts (id, phone, contact_type, display_name) values (%s, '+905559500001', "
                     "'customer', 'Bench Müşteri') on conflict do nothing", (CUSTOMER,))
        for agent, phone, office in agents:
            conn.execute("insert into public.contacts (id, phone, contact_type, display_name) values (%s, %s, 'agent', "
                         "'Bench Danışman') on conflict do nothing", (agent, phone))
            conn.execute("insert into public.agent_profiles (contact_id, role, office) values (%s, 'agent', %s) "
                         "on conflict do nothing", (agent, office))
        params = {"deals": deals, "listing": LISTING, "buying": BUYING, "customer": CUSTOMER}
        for statement in PREPARE:
            conn.execute(statement, params)


def _ready(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    return [(str(d), str(la), str(ba)) for d, la, ba in conn.execute(
        "select id, listing_agent_id, buying_agent_id from public.deals where status = 'closing' and customer_id = %s "
        "order by portfolio_id", (CUSTOMER,))]


def _confirm(conn: psycopg.Connection, agent: str, deal: str) -> str:
    with conn.transaction():
        conn.execute("select set_config('role', 'authenticated', true), set_config('request.jwt.claims', %s, true)",
                     (json.dumps({"sub": agent, "role": "authenticated"}),))
        return conn.execute("select outcome from public.confirm_closing(%s)", (deal,)).fetchone()[0]


def run(url: str, workers: int, deals: list[tuple[str, str, str]]) -> dict:
    """Close `deals` with `workers` threads; closings per second, latency per closing, errors."""
    queue = iter(deals)
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []

    def worker() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            while True:
                with lock:
                    item = next(queue, None)
                if item is None:
                    return
                deal, listing_agent, buying_agent = item
                start = time.perf_counter()
                try:
                    outcomes = [_confirm(conn, listing_agent, deal), _confirm(conn, buying_agent, deal)]
                    if outcomes != ["confirmed", "closed"]:
                        raise RuntimeError(f"outcomes {outcomes}")
                except (psycopg.Error, RuntimeError) as e:
                    with lock:
                        errors.append(f"{deal}: {e}")
                    continue
                with lock:
                    latencies.append((time.perf_counter() - start) * 1000)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {"workers": workers, "deals": len(deals), "seconds": elapsed, "per_second": len(latencies) / elapsed,
            "p50": float(np.percentile(latencies, 50)) if latencies else float("nan"),
            "p95": float(np.percentile(latencies, 95)) if latencies else float("nan"),
            "errors": errors}


def duplicates(conn: psycopg.Connection, deal_ids: list[str]) -> int:
    """Deals of the run not closed exactly once: not closed, not three commission rows adding up to the total,
    or not one contract."""
    return conn.execute("""
        select count(*) from public.deals d
        where d.id = any(%s::uuid[])
          and (d.status <> 'closed'
               or (select count(*) from public.platform_commissions c where c.deal_id = d.id) <> 3
               or (select sum(c.amount) from public.platform_commissions c where c.deal_id = d.id) <> d.commission_total
               or (select count(*) from public.documents x where x.deal_id = d.id and x.type = 'contract') <> 1)""",
                        (deal_ids,)).fetchone()[0]


def measure_closings(conn: psycopg.Connection, url: str, per_run: int, workers: tuple[int, ...] = (1, 4, 8)) -> list[dict]:
    """Prepare per_run deals for each worker count, close them, check them; one result per worker count."""
    prepare(conn, per_run * len(workers))
    conn.execute("vacuum analyze public.deals, public.deal_confirmations, public.platform_commissions")
    ready = _ready(conn)
    results = []
    for n, batch in zip(workers, itertools.batched(ready, per_run) if hasattr(itertools, "batched")
                        else (ready[i:i + per_run] for i in range(0, len(ready), per_run))):
        result = run(url, n, list(batch))
        result["duplicates"] = duplicates(conn, [d for d, _, _ in batch])
        results.append(result)
    return results
