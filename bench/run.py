"""`make bench`: matching and search at scale, beside same-run baselines (../shared/BENCH.md).

    .venv/bin/python -m bench.run          # full: ≈ 10–15 min on 2 cores
    BENCH_QUICK=1 .venv/bin/python -m bench.run   # small sizes, short baselines: < 2 min

Starts its own throw-away PostgreSQL (`vic.pg_server`), migrates, and measures:
1. baselines: pgbench -S and -N (4 clients), an indexed primary-key lookup through the workload's path;
2. scaling: a new listing / a new request whose hard filters exactly PASSING rows of the other side
   pass, while both tables grow 10k → 100k → 1M;
3. realistic: Istanbul-shaped data, 100k requests and 100k listings, new listings and new requests from
   the same distribution: latency, fan-out, cost per recorded match;
4. search_portfolios as an agent and as service_role, a selective and a broad query, at 100k and 1M;
5. closings: dual-confirm closings per second with 1, 4 and 8 workers, errors and duplicates (bench/closing.py);
6. conversation: ingestion with dedupe (bench/ingest.py) and the inbound queue's claim + ack, batch 1 and 100,
   acknowledged one by one and per batch (bench/inbox.py), with 1, 4 and 8 workers.
Writes bench/results/<date>-<commit>.md (+ .png plot, + -plans.txt, + .json raw figures).
A missed target is reported, never a failure: the exit code is 0 unless the benchmark could not run.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import psycopg  # noqa: E402

from bench import closing, data, inbox, ingest, load, report  # noqa: E402
from bench.measure import (SERVICE_CLAIMS, Actor, Figure, Op, Side, capture_plans, claims, drain,  # noqa: E402
                           has_worker, heavy_reads, latency_under_load, measure, measure_each, pgbench,
                           pgbench_alternating, rows_examined, scans_in, worker_batches)
from vic.pg_server import PgServer  # noqa: E402
from vic.migrate import migrate  # noqa: E402

RESULTS = ROOT / "bench" / "results"
# past matches loaded per listing (the matches table grows with the data, as on a live platform)
HISTORY_PER_LISTING = {"realistic": 5, "scaling": 2}


# ------------------------------------------------------------------------------------- configuration
def _env_int(name: str, default: int) -> int:
    v = os.environ.get(name)
    return int(v) if v else default


def _env_sizes(name: str, default: list[int]) -> list[int]:
    v = os.environ.get(name)
    return [int(x) for x in v.split(",")] if v else default


QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
CONFIG = {
    "quick": QUICK,
    "pg": os.environ.get("BENCH_PG", "18"),
    "sizes": _env_sizes("BENCH_SIZES", [2_000, 5_000, 10_000] if QUICK else [10_000, 100_000, 1_000_000]),
    "realistic": _env_int("BENCH_REALISTIC", 5_000 if QUICK else 100_000),
    "search_min": _env_int("BENCH_SEARCH_MIN", 5_000 if QUICK else 100_000),
    "pgbench_seconds": _env_int("BENCH_PGBENCH_SECONDS", 3 if QUICK else 20),
    "pgbench_scale": _env_int("BENCH_PGBENCH_SCALE", 1 if QUICK else 10),
    "ops": max(200, _env_int("BENCH_OPS", 200)),
    # the RLS ratio's plain reads: pgbench blocks of this many seconds, this many per side (after a warm-up block)
    "read_block_s": _env_int("BENCH_READ_BLOCK_S", 1 if QUICK else 2),
    "read_blocks": _env_int("BENCH_READ_BLOCKS", 2 if QUICK else 5),
    "closings": max(200, _env_int("BENCH_CLOSINGS", 200 if QUICK else 500)),  # deals closed per worker count
    "ingest": _env_int("BENCH_INGEST", 300 if QUICK else 1000),  # messages per phase and worker count
    "warmup": _env_int("BENCH_WARMUP", 20 if QUICK else 30),
    # a figure stops when its time budget is spent, an operation when it hits the statement timeout
    # (reported as such): one pathological query must not stall the run for hours
    "budget_s": _env_int("BENCH_FIGURE_BUDGET_S", 10 if QUICK else 60),
    "op_timeout_s": _env_int("BENCH_OP_TIMEOUT_S", 5 if QUICK else 10),
    # match events: the worker's batch (writes per process_match_events transaction) and the steady write load
    "worker_batch": _env_int("BENCH_WORKER_BATCH", 25),
    "load_rate": _env_int("BENCH_LOAD_RATE", 20),  # writes per second while one worker drains
}

# the server: durability off (pg_server's defaults), memory for a 1M-row data set, no checkpoint mid-run
BENCH_SETTINGS = {
    "shared_buffers": "'1GB'",
    "maintenance_work_mem": "'512MB'",
    "max_wal_size": "'8GB'",
    "checkpoint_timeout": "'30min'",
}


class BenchServer(PgServer):
    def _initdb(self) -> None:
        super()._initdb()
        with open(self.data / "postgresql.conf", "a") as f:
            f.write("\n# vic bench\n")
            f.writelines(f"{k} = {v}\n" for k, v in BENCH_SETTINGS.items())


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------- the schema's API
def has_function(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute("select exists (select from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
                        "where n.nspname = 'public' and p.proname = %s)", (name,)).fetchone()[0]


class Api:
    """The operations the API offers, called with named arguments as PostgREST does."""

    def __init__(self, conn: psycopg.Connection):
        missing = [f for f in ("create_listing", "create_request", "search_portfolios") if not has_function(conn, f)]
        if missing:
            raise SystemExit(f"bench: the schema has no {', '.join(missing)} (the listing and request RPCs): nothing to measure")
        WORKER["on"] = has_worker(conn)

    def listing(self, p: dict) -> tuple[Actor, Op]:
        """create_listing as its agent, with the confidential row (owner, floor) when it has a floor."""
        owner = ("Mal Sahibi", "+905330000000") if p.get("min_price") else (None, None)
        args = dict(p, owner_name=owner[0], owner_phone=owner[1])
        sql = ("select id from public.create_listing(p_type => %(type)s, p_listing_type => %(listing_type)s, "
               "p_title => %(title)s, p_district => %(district)s, p_listed_price => %(listed_price)s, "
               "p_currency => %(currency)s, p_rooms => %(rooms)s, p_description => %(description)s, "
               "p_owner_name => %(owner_name)s, p_owner_phone => %(owner_phone)s, "
               "p_min_price => %(min_price)s)")
        return Actor("authenticated", p["agent"]), lambda c: c.execute(sql, args).fetchone()[0]

    def request(self, p: dict) -> tuple[Actor, Op]:
        """create_request as the agent of the customer, assigned to that agent."""
        args = dict(p, criteria=json.dumps(p["criteria"], ensure_ascii=False))
        sql = ("select id from public.create_request(p_request_type => %(request_type)s, "
               "p_criteria => %(criteria)s::jsonb, p_customer_id => %(customer)s, "
               "p_assigned_agent => %(agent)s)")
        return Actor("authenticated", p["agent"]), lambda c: c.execute(sql, args).fetchone()[0]

    def search(self, q: dict) -> Op:
        """search_portfolios, first page of 20, every row fetched; returns how many came back."""
        sql = ("select * from public.search_portfolios(p_query => %(query)s, p_district => %(district)s, "
               "p_type => %(type)s, p_min_price => %(min_price)s, p_max_price => %(max_price)s, "
               "p_currency => %(currency)s, p_listing_type => %(listing_type)s, p_limit => 20)")
        return lambda c: len(c.execute(sql, q).fetchall())


# With match events a write records an event and the worker matches later: the counters drain the
# events first (untimed, as the superuser, in the operation's transaction) so the fan-out is still counted.
WORKER = {"on": False}


def _drained(c: psycopg.Connection) -> None:
    if WORKER["on"]:
        drain(c)


def count_matches_of_listing(c: psycopg.Connection, pid) -> int:
    _drained(c)
    return c.execute("select count(*) from public.portfolio_request_matches where portfolio_id = %s",
                     (pid,)).fetchone()[0]


def count_matches_of_request(c: psycopg.Connection, rid) -> int:
    _drained(c)
    return c.execute("select count(*) from public.portfolio_request_matches where request_id = %s",
                     (rid,)).fetchone()[0]


def returned(_c: psycopg.Connection, n) -> int:
    return int(n)


# ------------------------------------------------------------------------------------- databases
def create_db(server: PgServer, name: str) -> str:
    with psycopg.connect(server.url(), autocommit=True) as c:
        c.execute(f"drop database if exists {name}")
        c.execute(f"create database {name}")
    url = server.url(name)
    migrate(url)
    return url


def drop_db(server: PgServer, name: str) -> None:
    with psycopg.connect(server.url(), autocommit=True) as c:
        c.execute(f"drop database if exists {name} with (force)")


def vacuum_analyze(conn: psycopg.Connection) -> None:
    t0 = time.monotonic()
    conn.execute("set statement_timeout = 0")
    conn.execute("vacuum analyze")
    log(f"  vacuum analyze {time.monotonic() - t0:.1f}s")
    conn.execute(f"set statement_timeout = '{CONFIG['op_timeout_s']}s'")


def pk_baseline(conn: psycopg.Connection, size: str, n_listings: int, ops: int, warmup: int) -> list[Figure]:
    """An indexed primary-key lookup: autocommit, and through the workload's envelope (service_role)."""
    rng = data.rng_for("pk", n_listings)
    ids = [data.listing_id(int(i)) for i in rng.integers(0, n_listings, ops)]
    figs = []
    fn = [lambda c, i=i: c.execute("select * from public.portfolios where id = %s", (i,)).fetchall() for i in ids]
    # plain: one statement, autocommit (the floor of the connection path)
    lat = []
    for f in fn[:warmup] + fn:
        t0 = time.perf_counter_ns()
        f(conn)
        lat.append((time.perf_counter_ns() - t0) / 1e6)
    figs.append(Figure("PK lookup, one statement", size, "postgres", lat[warmup:]))
    figs.append(measure(conn, "PK lookup in the workload envelope", size, Actor("service_role"), fn, None, warmup))
    return figs


def _plan_ms(plan: str) -> float:
    m = re.search(r"duration: ([0-9.]+) ms", plan)
    return float(m.group(1)) if m else 0.0


def analysed_plans(conn, actor, op, label: str, size: str, plans_out: list[str]) -> dict:
    plans = capture_plans(conn, actor, op)
    scans = scans_in(plans)
    plans_out.append(f"===== {label} at {size}: {len(plans)} statements, seq scans on big tables: "
                     f"{len(scans)}, rows removed by filters/rechecks: {rows_examined(plans)}\n")
    # kept in the file: the statements that took time or read rows (a search runs a small SQL function
    # per row, thousands of trivial plans)
    kept = [p for p in plans if _plan_ms(p) >= 0.5 or "Seq Scan" in p or "Rows Removed" in p][:500]
    plans_out.append(f"({len(kept)} of {len(plans)} plans kept: those of 0.5 ms or more, or with a scan "
                     f"or a filter)\n")
    plans_out.extend(p + "\n" for p in kept)
    return {"label": label, "size": size, "statements": len(plans), "scans": scans,
            "rows_removed": rows_examined(plans), "reads": heavy_reads(plans)}


# ------------------------------------------------------------------------------------- output floor
# What writing a matching operation's output costs with no matching at all: the same number of rows, written
# by plain INSERT statements into the same tables (their indexes, foreign-key checks and triggers included).
# If this alone is over the target, the target cannot be met without writing fewer rows.
FLOOR_LISTING_SQL = """
with p as (select request_id, agent, request_agent from pg_temp.floor_requests where k <= %(n)s),
m as (insert into public.portfolio_request_matches (portfolio_id, request_id, match_score, trigger_type, notified,
                                                    notified_agent_id)
      select %(listing)s, request_id, 3, 'portfolio', true, agent from p),
v as (insert into public.agent_visibility (portfolio_id, agent_id, visibility_level)
      select distinct %(listing)s, request_agent, 'partial' from p where request_agent <> %(listing_agent)s
      on conflict do nothing)
insert into public.pending_notifications (contact_id, kind, body, buttons)
select distinct agent, 'match', 'eşleşme', '[]'::jsonb from p
"""
FLOOR_REQUEST_SQL = """
with p as (select portfolio_id from pg_temp.floor_listings where k <= %(n)s),
m as (insert into public.portfolio_request_matches (portfolio_id, request_id, match_score, trigger_type, notified,
                                                    notified_agent_id)
      select portfolio_id, %(request)s, 3, 'request', true, %(agent)s from p),
v as (insert into public.agent_visibility (portfolio_id, agent_id, visibility_level)
      select portfolio_id, %(agent)s, 'partial' from p on conflict do nothing)
insert into public.pending_notifications (contact_id, kind, body, buttons)
values (%(agent)s, 'match', 'eşleşme', '[]'::jsonb)
"""


def output_floor(conn: psycopg.Connection, size: str, fig: Figure, side: str, warmup: int,
                 fk_checks: bool = True) -> Figure:
    """Plain INSERTs of the rows each operation of `fig` wrote (as many matches; for a new listing a grant and
    a notification per distinct request agent, for a new request a grant per listing and one notification),
    for one existing listing (or request) and partners it has no match with; as the superuser, rolled back.
    Without `fk_checks` the same INSERTs run with session_replication_role = replica, which skips the
    foreign-key checks (one query per row and key): what the ERD's foreign keys cost of the floor."""
    most = max(fig.outputs or [0]) + 1
    if side == "listing":
        listing, agent = conn.execute(
            "select id, agent_id from public.portfolios where status = 'active' order by id limit 1").fetchone()
        conn.execute("drop table if exists pg_temp.floor_requests")
        conn.execute(
            """create temp table floor_requests as
               select row_number() over (order by md5(r.id::text)) as k, r.id as request_id, r.assigned_agent as request_agent,
                      coalesce(r.assigned_agent, %s) as agent
               from public.requests r
               where not exists (select from public.portfolio_request_matches m where m.portfolio_id = %s and m.request_id = r.id)
               order by md5(r.id::text) limit %s""", (agent, listing, most))
        conn.execute("create index on pg_temp.floor_requests (k)")
        ops = [lambda c, n=n: c.execute(FLOOR_LISTING_SQL, dict(n=n, listing=listing, listing_agent=agent))
               for n in fig.outputs]
    else:
        request, agent = conn.execute(
            "select id, assigned_agent from public.requests where assigned_agent is not null order by id limit 1").fetchone()
        conn.execute("drop table if exists pg_temp.floor_listings")
        conn.execute(
            """create temp table floor_listings as
               select row_number() over (order by md5(l.id)) as k, l.id as portfolio_id
               from public.portfolios l
               where l.agent_id <> %s
                 and not exists (select from public.portfolio_request_matches m where m.request_id = %s and m.portfolio_id = l.id)
                 and not exists (select from public.agent_visibility v where v.agent_id = %s and v.portfolio_id = l.id)
               order by md5(l.id) limit %s""", (agent, request, agent, most))
        conn.execute("create index on pg_temp.floor_listings (k)")
        ops = [lambda c, n=n: c.execute(FLOOR_REQUEST_SQL, dict(n=n, request=request, agent=agent))
               for n in fig.outputs]
    if not fk_checks:
        ops = [lambda c, op=op: (c.execute("set local session_replication_role = replica"), op(c)) for op in ops]
    outputs = list(fig.outputs)
    name = f"output floor of a new {side}" + ("" if fk_checks else ", no foreign-key checks")
    floor = measure_each(conn, name, size, [(Actor("postgres"), op) for op in ops], None,
                         warmup, budget_s=CONFIG["budget_s"])
    floor.outputs = outputs[:floor.n]
    return floor


def output_floors(conn: psycopg.Connection, size: str, fig: Figure, side: str, warmup: int) -> list[Figure]:
    """The output floor of `fig`, with and without the foreign-key checks."""
    floors = [output_floor(conn, size, fig, side, warmup, fk_checks) for fk_checks in (True, False)]
    for f in floors:
        log(f"  {f.name}: p50 {f.p50:.2f} p95 {f.p95:.2f} ms")
    return floors


# ------------------------------------------------------------------------------------- realistic
def realistic(server: PgServer, out: dict) -> None:
    n = CONFIG["realistic"]
    ops, warmup = CONFIG["ops"], CONFIG["warmup"]
    size = f"{n:,} requests / {n:,} listings"
    log(f"realistic: loading {size}")
    url = create_db(server, "bench_realistic")
    with psycopg.connect(url, autocommit=True) as conn:
        t0 = time.monotonic()
        with load.bulk_mode(conn, log=log):
            load.load_agents(conn)
        load.load(url, conn, data.istanbul_listings, data.istanbul_requests, 0, n, HISTORY_PER_LISTING["realistic"],
                  log=log)
        log(f"  loaded in {time.monotonic() - t0:.1f}s")
        capacity(conn, out)  # before history_parties' update leaves a dead version of every past match
        load.history_parties(conn)
        vacuum_analyze(conn)
        check_passing(conn, out, n)
        api = Api(conn)
        out["baselines"].extend(pk_baseline(conn, size, n, ops, warmup))

        # new listings: the same distribution, active, from generator streams the load never used
        new_ls = data.istanbul_listings(0, ops, "realistic-new-listings")
        new_ls.status[:] = 0
        lops = [api.listing(data.new_listing_params(new_ls, j)) for j in range(ops)]
        fig = measure_each(conn, "new listing (Istanbul)", size, lops, count_matches_of_listing, warmup,
                           budget_s=CONFIG["budget_s"])
        out["realistic"].append(fig)
        log(f"  new listing p50 {fig.p50:.2f} p95 {fig.p95:.2f} ms, fan-out mean {np.mean(fig.outputs):.0f}")
        out["floor"].extend(output_floors(conn, size, fig, "listing", warmup))
        if WORKER["on"]:
            out["worker"].append(worker_batches(
                conn, "worker, new listings", size, lops,
                "select count(*) from public.portfolio_request_matches where portfolio_id = any(%s)",
                CONFIG["worker_batch"], CONFIG["budget_s"], floors=out["worker_floor"]))
            log_worker(out["worker"][-1])

        # new requests: filed by the agent of an existing customer of theirs, assigned to that agent
        new_rq = data.istanbul_requests(0, ops, "realistic-new-requests")
        # customers drawn from the whole data set (a check that scans contacts until it finds the customer
        # costs nothing for the first customers of the table and everything for the last ones)
        assigned = assigned_requests(data.istanbul_requests, n)
        picks = data.rng_for("realistic-customers").choice(assigned, size=ops, replace=False)
        rops = []
        for j in range(ops):
            c = data.customer_of_request(int(picks[j]))
            p = dict(data.new_request_params(new_rq, j), customer=data.customer_id(c),
                     agent=data.agent_id(data.agent_of_customer(c)))
            rops.append(api.request(p))
        fig = measure_each(conn, "new request (Istanbul)", size, rops, count_matches_of_request, warmup,
                           budget_s=CONFIG["budget_s"])
        out["realistic"].append(fig)
        log(f"  new request p50 {fig.p50:.2f} p95 {fig.p95:.2f} ms, fan-out mean {np.mean(fig.outputs):.0f}")
        out["floor"].extend(output_floors(conn, size, fig, "request", warmup))
        if WORKER["on"]:
            out["worker"].append(worker_batches(
                conn, "worker, new requests", size, rops,
                "select count(*) from public.portfolio_request_matches where request_id = any(%s::uuid[])",
                CONFIG["worker_batch"], CONFIG["budget_s"], floors=out["worker_floor"]))
            log_worker(out["worker"][-1])
        plain_reads(server, conn, url.rsplit('/', 1)[1].split('?')[0], out, size)
        if WORKER["on"]:  # last on this data set: its writes commit
            writes = [w for pair in zip(lops, rops) for w in pair]
            log(f"  latency under load: {len(writes)} writes at {CONFIG['load_rate']}/s, one worker")
            fig, stats = latency_under_load(url, [("", a, op) for a, op in writes], CONFIG["load_rate"], size,
                                            log=log)
            fig.notes += (f"; {stats['batches']} worker batches, {stats['events']} events, "
                          f"{stats['not_visible']} writes never visible")
            out["latency"].append(fig)
            out["latency_stats"] = stats
            log(f"  commit → visible: n {fig.n}, p50 {fig.p50:.1f} p95 {fig.p95:.1f} max {fig.max:.1f} ms; {stats}")
    drop_db(server, "bench_realistic")


def log_worker(fig: Figure) -> None:
    total = sum(fig.outputs)
    log(f"  {fig.name}: {len(fig.latencies_ms)} batches, {total} matches, "
        + (f"{sum(fig.latencies_ms) * 1000 / total:.1f} µs per match" if total else "no matches")
        + (f", {len(fig.errors)} errors: {fig.errors[:1]}" if fig.errors else ""))


# ------------------------------------------------------------------------------------- plain reads, capacity
# What PostgREST issues for the matches table (GET /portfolio_request_matches?...): an agent's newest 20 (the
# matches it was notified of), the matches of one listing, of one request.
READS = {
    "newest 20": "select * from public.portfolio_request_matches where notified_agent_id = %s "
                 "order by created_at desc limit 20",
    "by listing": "select * from public.portfolio_request_matches where portfolio_id = %s",
    "by request": "select * from public.portfolio_request_matches where request_id = %s",
}


def plain_reads(server: PgServer, conn: psycopg.Connection, dbname: str, out: dict, size: str) -> None:
    """The RLS ratio on plain table reads: each read as an agent who may read every row it returns (so that
    service_role returns the same rows; checked) and as service_role, through pgbench (measure.pgbench_alternating)."""
    # the listing with the most matches whose every matched request is unassigned or its agent's own
    listing, l_agent = conn.execute(
        """select p.id, p.agent_id from public.portfolios p
           join public.portfolio_request_matches m on m.portfolio_id = p.id
           join public.requests r on r.id = m.request_id
           group by p.id, p.agent_id having bool_and(r.assigned_agent is null or r.assigned_agent = p.agent_id)
           order by count(*) desc, p.id limit 1""").fetchone()
    request, r_agent = conn.execute(
        """select r.id, r.assigned_agent from public.requests r
           join public.portfolio_request_matches m on m.request_id = r.id
           where r.assigned_agent is not null group by r.id order by count(*) desc, r.id limit 1""").fetchone()
    n_agent = conn.execute(
        """select notified_agent_id from public.portfolio_request_matches where notified_agent_id is not null
           group by 1 order by count(*) desc, 1 limit 1""").fetchone()[0]
    parts = {"host": server.host, "port": server.port, "user": server.user}
    seconds, blocks = CONFIG["read_block_s"], CONFIG["read_blocks"]
    service = Side("service_role", "service_role", SERVICE_CLAIMS)
    for label, agent, arg in (("newest 20", n_agent, n_agent), ("by listing", l_agent, listing),
                              ("by request", r_agent, request)):
        sql = READS[label]
        seen = {}
        actors = (Actor("authenticated", str(agent)), Actor("service_role"))
        for actor in actors:
            actor.enter(conn)
            seen[actor.label] = sorted(str(r[0]) for r in conn.execute(sql, (arg,)).fetchall())
            conn.execute("rollback")
        figs = pgbench_alternating(server.bindir, parts, dbname, f"matches {label}", size,
                                   (Side("agent", "authenticated", claims(str(agent))), service), sql, str(arg),
                                   seconds, blocks)
        same = seen["agent"] == seen["service_role"]
        for f in figs:
            f.outputs, f.notes = [len(seen[f.role])], "same rows" if same else "DIFFERENT rows"
        out["reads"].extend(figs)
        # where the time goes, once each side (warm): planning and execution as EXPLAIN ANALYZE reports them
        for actor in actors:
            actor.enter(conn)
            plan = conn.execute("explain (analyze, format json) " + sql, (arg,)).fetchone()[0][0]
            conn.execute("rollback")
            out["read_plans"].append({"read": label, "as": actor.label, "planning_ms": plan["Planning Time"],
                                      "execution_ms": plan["Execution Time"]})
        log(f"  plain read {label}: agent p95 {figs[0].p95:.3f}, service_role p95 {figs[1].p95:.3f} ms, "
            f"{len(seen['agent'])} / {len(seen['service_role'])} rows, same: {same}")
    # what an agent's read pays before any row: the policy asks which agents the caller acts for, once per
    # statement; the same envelope with a statement that asks only that, and with one that asks nothing
    agent = Side("agent", "authenticated", claims(str(n_agent)))
    for name, sql in (("caller's identity", "select array(select guard.managed_agent_ids()) where %s::text is not null"),
                      ("envelope alone", "select 1 where %s::text is not null")):
        fig, = pgbench_alternating(server.bindir, parts, dbname, name, size, (agent,), sql, "x", seconds, blocks)
        out["identity"].append(fig)
    log(f"  caller's identity: p50 {out['identity'][-2].p50 - out['identity'][-1].p50:.3f} ms over the envelope")


def capacity(conn: psycopg.Connection, out: dict) -> None:
    """What a match row costs on disk (heap, indexes, total) as loaded (COPY, indexes built after: packed; a
    table the matcher grows row by row has emptier index pages), and the counts the projection uses."""
    r = conn.execute(
        """select (select count(*) from public.portfolio_request_matches),
                  pg_relation_size('public.portfolio_request_matches'),
                  pg_indexes_size('public.portfolio_request_matches'),
                  pg_total_relation_size('public.portfolio_request_matches'),
                  (select count(*) from public.portfolios where status = 'active'),
                  (select count(*) from public.requests where status <> 'closed'),
                  (select count(*) from public.portfolios), (select count(*) from public.requests)""").fetchone()
    keys = ("rows", "heap_bytes", "index_bytes", "total_bytes", "active_listings", "open_requests", "listings",
            "requests")
    out["capacity"] = dict(zip(keys, (int(x) for x in r)))
    log(f"  capacity: {out['capacity']}")


# ------------------------------------------------------------------------------------- scaling + search
SELECTIVE = dict(query="deniz manzaralı", district="Kadıköy", type="daire", min_price=9_000_000,
                 max_price=11_000_000, currency="TRY", listing_type="sale")
BROAD = dict(query="daire", district=None, type=None, min_price=None, max_price=None, currency=None,
             listing_type=None)
SEARCH_AGENT = data.agent_id(1)  # a plain agent of office 000


def assigned_requests(generate, n: int) -> np.ndarray:
    """Row numbers of the loaded requests (0..n-1) that are assigned to an agent."""
    return np.concatenate([part.start + np.flatnonzero(part.status == 1) for part in data.chunked(generate, 0, n)])


def probe_customer(n: int) -> int:
    """The customer the probe request is filed for: the last customer of the data set of size n whose request
    is assigned to a plain agent (the last rows of contacts, the worst case for a check that scans)."""
    for k in assigned_requests(data.scaling_requests, n)[::-1]:
        c = data.customer_of_request(int(k))
        if not data.is_broker(data.agent_of_customer(c)):
            return c
    raise AssertionError("no assigned request")


def scaling(server: PgServer, out: dict) -> None:
    ops, warmup = CONFIG["ops"], CONFIG["warmup"]
    url = create_db(server, "bench_scaling")
    plans_out: list[str] = out["plans_text"]
    with psycopg.connect(url, autocommit=True) as conn:
        with load.bulk_mode(conn, log=log):
            load.load_agents(conn)
        have = 0
        for n in CONFIG["sizes"]:
            size = f"{n:,}"
            log(f"scaling: growing to {n:,} requests and {n:,} listings")
            t0 = time.monotonic()
            load.load(url, conn, data.scaling_listings, data.scaling_requests, have, n, HISTORY_PER_LISTING["scaling"],
                      log=log)
            have = n
            log(f"  loaded in {time.monotonic() - t0:.1f}s")
            vacuum_analyze(conn)
            api = Api(conn)
            check_passing(conn, out, n)
            out["baselines"].extend(pk_baseline(conn, f"scaling {size}", n, ops, warmup))

            # the probe listing, as a plain agent (not the agent of any passing request's office)
            p = dict(data.PROBE_LISTING)
            p["agent"] = data.agent_id(5)
            actor, op = api.listing(p)
            fig = measure(conn, f"new listing ({data.PASSING} pass)", size, actor, [op] * ops,
                          count_matches_of_listing, warmup, budget_s=CONFIG["budget_s"])
            out["scaling"].append(fig)
            out["plans"].append(analysed_plans(conn, actor, op, "new listing (probe)", size, plans_out))
            if WORKER["on"]:
                worker_scaling(conn, out, "listing", size, actor, op, "select count(*) from public.portfolio_request_matches where portfolio_id = any(%s)", plans_out)
            log(f"  new listing p50 {fig.p50:.2f} p95 {fig.p95:.2f} ms, fan-out {set(fig.outputs)}")

            # the probe request, filed by a plain agent for its customer (who has an assigned request)
            c = probe_customer(n)
            q = dict(request_type=data.PROBE_REQUEST["request_type"], customer=data.customer_id(c),
                     agent=data.agent_id(data.agent_of_customer(c)),
                     criteria={k: v for k, v in data.PROBE_REQUEST.items() if k != "request_type"})
            actor, op = api.request(q)
            fig = measure(conn, f"new request ({data.PASSING} pass)", size, actor, [op] * ops,
                          count_matches_of_request, warmup, budget_s=CONFIG["budget_s"])
            out["scaling"].append(fig)
            out["plans"].append(analysed_plans(conn, actor, op, "new request (probe)", size, plans_out))
            if WORKER["on"]:
                worker_scaling(conn, out, "request", size, actor, op, "select count(*) from public.portfolio_request_matches where request_id = any(%s::uuid[])", plans_out)
            log(f"  new request p50 {fig.p50:.2f} p95 {fig.p95:.2f} ms, fan-out {set(fig.outputs)}")

            if n >= CONFIG["search_min"] or n == CONFIG["sizes"][-1]:
                search(conn, api, size, out, plans_out)
    drop_db(server, "bench_scaling")


def worker_scaling(conn, out: dict, side: str, size: str, actor: Actor, op: Op, count_sql: str,
                   plans_out: list[str]) -> None:
    """The worker's cost per match at a scaling step: batches of the probe write (each gets the same PASSING
    matches), process_match_events timed; and the plans of one probe write + its drain (the matcher's
    statements: index-driven, or a scan that grows with the table)."""
    fig = worker_batches(conn, f"worker, new {side}s ({data.PASSING} pass)", size, [(actor, op)] * CONFIG["ops"],
                         count_sql, CONFIG["worker_batch"], CONFIG["budget_s"])
    out["worker"].append(fig)
    log_worker(fig)

    def write_and_match(c, op=op):
        rid = op(c)
        c.execute("reset role")
        drain(c)
        return rid

    out["plans"].append(analysed_plans(conn, actor, write_and_match, f"new {side} (probe) + worker", size, plans_out))


def check_passing(conn: psycopg.Connection, out: dict, n: int) -> None:
    """The loaded data as the spec reads it: exactly PASSING rows pass each probe's hard filters."""
    lp, rp = data.PROBE_LISTING, data.PROBE_REQUEST
    reqs = conn.execute(
        """
        select count(*) from public.requests r
        where r.status <> 'closed' and r.request_type = 'buy' and coalesce(r.criteria->>'currency', 'TRY') = %s
          and (not r.criteria ? 'districts' or r.criteria->'districts' ? %s)
          and (not r.criteria ? 'types' or r.criteria->'types' ? %s)
          and (not r.criteria ? 'max_price' or (r.criteria->>'max_price')::bigint >= guard.floor_band(%s, %s))
          and (not r.criteria ? 'min_price' or (r.criteria->>'min_price')::bigint <= %s)
        """, (lp["currency"], lp["district"], lp["type"], lp["min_price"], lp["listed_price"],
              lp["listed_price"])).fetchone()[0]
    lists = conn.execute(
        """
        select count(*) from public.portfolios p left join public.portfolio_confidential c on c.portfolio_id = p.id
        where p.status = 'active' and p.listing_type = 'sale' and p.currency = %s and p.district = any(%s)
          and p.type = any(%s) and coalesce(guard.floor_band(c.min_price, p.listed_price), p.listed_price) <= %s
          and p.listed_price >= %s
        """, (rp["currency"], rp["districts"], rp["types"], rp["max_price"], rp["min_price"])).fetchone()[0]
    counts = conn.execute(
        """
        select (select count(*) from public.requests), (select count(*) from public.portfolios),
               (select count(*) from public.portfolios where search_vector is null),
               (select count(*) from public.portfolios p left join public.portfolio_confidential c on c.portfolio_id = p.id
                where p.match_floor is distinct from c.min_price)
        """).fetchone()
    keys = None
    if load.match_keys(conn):  # every open request and active listing has its keys, and nothing else has
        keys = conn.execute(
            """
            select (select count(*) from public.requests r where (r.status <> 'closed') <>
                      exists (select from private.request_match_keys k where k.request_id = r.id))
                 + (select count(*) from public.portfolios p where (p.status = 'active') <>
                      exists (select from private.listing_match_keys k where k.portfolio_id = p.id))
            """).fetchone()[0]
    out["checks"].append({"size": n, "requests": counts[0], "listings": counts[1], "requests_passing": reqs,
                          "listings_passing": lists, "listings_without_search_vector": counts[2],
                          "floor_copy_mismatches": counts[3], "match_key_mismatches": keys})
    log(f"  check: {counts[0]:,} requests ({reqs} pass the probe listing), {counts[1]:,} listings ({lists} pass "
        f"the probe request), {counts[2]:,} listings without search_vector, {counts[3]} floor copies wrong, "
        f"{keys} rows with wrong match keys")


def search(conn, api: Api, size: str, out: dict, plans_out: list[str]) -> None:
    ops, warmup = CONFIG["ops"], CONFIG["warmup"]
    for label, q in (("selective", SELECTIVE), ("broad", BROAD)):
        op = api.search(q)
        for actor in (Actor("authenticated", SEARCH_AGENT), Actor("service_role")):
            fig = measure(conn, f"search_portfolios {label}", size, actor, [op] * ops, returned, warmup,
                          budget_s=CONFIG["budget_s"] / 2)
            out["search"].append(fig)
            log(f"  search {label} as {actor.label}: n {fig.n}, p50 {fig.p50:.2f} p95 {fig.p95:.2f} ms, "
                f"{fig.outputs[0] if fig.outputs else '–'} rows, {len(fig.errors)} errors")
            if actor.role == "authenticated" and fig.n and fig.p50 < 1000:
                out["plans"].append(analysed_plans(conn, actor, op, f"search {label}", size, plans_out))


# ------------------------------------------------------------------------------------- main
def closings(server: PgServer, out: dict) -> None:
    n = CONFIG["closings"]
    log(f"closings: {n} deals per worker count (1, 4, 8)")
    url = create_db(server, "bench_closings")
    with psycopg.connect(url, autocommit=True) as conn:
        for r in closing.measure_closings(conn, url, n):
            out["closings"].append(r)
            log(f"  {r['workers']} workers: {r['per_second']:.0f} closings/s, p95 {r['p95']:.1f} ms, "
                f"{len(r['errors'])} errors, {r['duplicates']} not closed exactly once")
    drop_db(server, "bench_closings")


def conversation(server: PgServer, out: dict) -> None:
    """The conversation's queues: ingestion with dedupe (bench/ingest.py) and the inbound queue's claim + ack (bench/inbox.py),
    with 1, 4 and 8 workers, on a fresh database each."""
    n = CONFIG["ingest"]
    log(f"ingestion: {n} messages per phase and worker count (1, 4, 8)")
    url = create_db(server, "bench_ingest")
    with psycopg.connect(url, autocommit=True) as conn:
        for r in ingest.measure_ingest(conn, url, n):
            out["ingest"].append(r)
            log(f"  {r['workers']} workers, {r['phase']}: {r['per_second']:,.0f} msg/s, p95 {r['p95']:.2f} ms, "
                f"{len(r['errors'])} errors, {r['duplicates']} duplicates")
    drop_db(server, "bench_ingest")
    url = create_db(server, "bench_inbox")
    sizes = {1: 500, 100: 5_000} if QUICK else {1: 2_000, 100: 20_000}
    with psycopg.connect(url, autocommit=True) as conn:
        for acks in ("each", "batch"):
            log(f"inbox: claim + ack ({acks}), batch 1 and 100, 1/4/8 workers")
            for r in inbox.measure_inbox(conn, url, sizes, acks=acks):
                out["inbox"].append(r)
                log(f"  batch {r['batch']}, {r['workers']} workers, acks {r['acks']}: {r['per_second']:,.0f} msg/s, "
                    f"{len(r['errors'])} errors, {r['duplicates']} duplicates, {r['lost']} lost")
    drop_db(server, "bench_inbox")


def commit_info() -> tuple[str, bool]:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                                    capture_output=True, text=True).stdout.strip())
        return sha, dirty
    except (OSError, subprocess.CalledProcessError):
        return "unknown", False


def _interrupt(*_args) -> None:
    raise KeyboardInterrupt  # stop the server on the way out (finally)


def main() -> int:
    started = time.monotonic()
    sha, dirty = commit_info()
    out: dict = {"config": CONFIG, "baselines": [], "realistic": [], "floor": [], "scaling": [], "search": [], "plans": [],
                 "worker": [], "worker_floor": [], "latency": [], "reads": [], "identity": [], "read_plans": [],
                 "closings": [], "ingest": [], "inbox": [],
                 "plans_text": [], "checks": [], "commit": sha + ("-dirty" if dirty else ""),
                 "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "cores": os.cpu_count(),
                 "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                            f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB",
                 "settings": BENCH_SETTINGS}
    signal.signal(signal.SIGTERM, _interrupt)
    log(f"bench: {'QUICK' if QUICK else 'full'} run, {CONFIG}")
    server = BenchServer.start(CONFIG["pg"])
    try:
        out["pg_version"] = server.version
        with psycopg.connect(server.url(), autocommit=True) as c:
            c.execute("create database pgbench")
        log(f"baselines: pgbench -S / -N, scale {CONFIG['pgbench_scale']}, {CONFIG['pgbench_seconds']} s each")
        for r in pgbench(server.bindir, {"host": server.host, "port": server.port, "user": server.user}, "pgbench",
                         CONFIG["pgbench_scale"], CONFIG["pgbench_seconds"]):
            out["baselines"].append(r.figure())
            log(f"  {r.mode}: {r.tps:,.0f} TPS, p50 {np.percentile(r.latencies_ms, 50):.3f} ms")
        drop_db(server, "pgbench")
        realistic(server, out)
        scaling(server, out)
        closings(server, out)
        conversation(server, out)
    finally:
        server.stop()
    out["runtime_s"] = time.monotonic() - started
    paths = report.write(out, RESULTS)
    print(paths["markdown_text"])
    log(f"bench: {out['runtime_s'] / 60:.1f} min; wrote " + ", ".join(str(p) for k, p in paths.items()
                                                                       if k != "markdown_text"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
