"""Timing: one operation per transaction, through the path the API takes, rolled back after.

Every operation is `begin` → the PostgREST envelope (`set_config('role', …)`, `request.jwt.claims`) →
the statement; the clock stops when its rows are in, then (untimed) the output is counted as the
superuser and the transaction rolled back, so the data set stays the same from one operation to the next.
The primary-key baseline goes through exactly the same envelope on the same connection.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import psycopg


@dataclasses.dataclass
class Figure:
    """One measured figure: latencies in ms, and per operation what it wrote or returned."""

    name: str
    size: str
    role: str
    latencies_ms: list[float]
    outputs: list[int] = dataclasses.field(default_factory=list)  # matches written / rows returned
    notes: str = ""
    errors: list[str] = dataclasses.field(default_factory=list)  # operations that failed (not timed)
    cut: bool = False  # stopped by the figure's time budget before all its operations ran
    n_total: int | None = None  # when latencies_ms holds percentiles (0..100) of more operations

    @property
    def n(self) -> int:
        return self.n_total if self.n_total is not None else len(self.latencies_ms)

    def pct(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms else float("nan")

    @property
    def p50(self) -> float:
        return self.pct(50)

    @property
    def p95(self) -> float:
        return self.pct(95)

    @property
    def max(self) -> float:
        return max(self.latencies_ms) if self.latencies_ms else float("nan")

    def to_dict(self) -> dict:
        return {"name": self.name, "size": self.size, "role": self.role, "n": self.n, "p50": self.p50,
                "p95": self.p95, "max": self.max, "outputs": self.outputs, "latencies_ms": self.latencies_ms,
                "notes": self.notes, "errors": self.errors, "cut": self.cut}


# ------------------------------------------------------------------------------------- the envelope
def claims(contact_id: str) -> str:
    return json.dumps({"sub": contact_id, "role": "authenticated"})


SERVICE_CLAIMS = json.dumps({"role": "service_role"})


@dataclasses.dataclass
class Actor:
    """Who acts: an agent (authenticated + claims), service_role (the bot), or postgres (no envelope)."""

    role: str  # authenticated | service_role | postgres
    contact_id: str | None = None

    @property
    def label(self) -> str:
        return "agent" if self.role == "authenticated" else self.role

    def enter(self, conn: psycopg.Connection) -> None:
        conn.execute("begin")
        if self.role == "authenticated":
            conn.execute("select set_config('role', 'authenticated', true), "
                         "set_config('request.jwt.claims', %s, true)", (claims(self.contact_id),))
        elif self.role == "service_role":
            conn.execute("select set_config('role', 'service_role', true), "
                         "set_config('request.jwt.claims', %s, true)", (SERVICE_CLAIMS,))


# An operation: (conn) -> anything the counter needs (e.g. the new row's id), timed.
Op = Callable[[psycopg.Connection], object]
# A counter: (conn, op result) -> int, run untimed as the superuser before the rollback.
Counter = Callable[[psycopg.Connection, object], int]


class OpFailed(Exception):
    pass


def run_one(conn: psycopg.Connection, actor: Actor, op: Op, counter: Counter | None) -> tuple[float, int]:
    """(ms, output) of one operation; OpFailed (after the rollback) when the database raised an error."""
    t0 = time.perf_counter_ns()
    actor.enter(conn)
    try:
        result = op(conn)
    except psycopg.Error as e:
        conn.execute("rollback")
        raise OpFailed(f"{type(e).__name__}: {str(e).splitlines()[0]}") from e
    elapsed = (time.perf_counter_ns() - t0) / 1e6
    out = 0
    try:
        if counter is not None:
            conn.execute("reset role")
            out = counter(conn, result)
    finally:
        conn.execute("rollback")
    return elapsed, out


def measure(conn: psycopg.Connection, name: str, size: str, actor: Actor, ops: Sequence[Op],
            counter: Counter | None = None, warmup: int = 20, notes: str = "", budget_s: float = 60) -> Figure:
    """Run warm-up operations (unrecorded), then each of `ops` once; `ops` cycles for the warm-up."""
    return measure_each(conn, name, size, [(actor, op) for op in ops], counter, warmup, notes, budget_s)


def measure_each(conn: psycopg.Connection, name: str, size: str, actor_ops: Sequence[tuple[Actor, Op]],
                 counter: Counter | None = None, warmup: int = 20, notes: str = "",
                 budget_s: float = 60) -> Figure:
    """Like measure(), for operations that each have their own actor. Failed operations (a database
    error, the statement timeout) are counted in Figure.errors and left out of the latencies. A figure
    stops when its time budget is spent (warm-up: a fifth of it), so one pathological operation cannot
    stall the run; Figure.cut says so."""
    t_end = time.monotonic() + budget_s * 0.2
    for i in range(warmup):
        if time.monotonic() > t_end:
            break
        a, op = actor_ops[i % len(actor_ops)]
        with contextlib.suppress(OpFailed):
            run_one(conn, a, op, None)
    fig = Figure(name, size, actor_ops[0][0].label, [], [], notes)
    t_end = time.monotonic() + budget_s
    for a, op in actor_ops:
        if time.monotonic() > t_end:
            fig.cut = True
            break
        try:
            ms, out = run_one(conn, a, op, counter)
        except OpFailed as e:
            fig.errors.append(str(e))
            if len(fig.errors) >= 3 and all("QueryCanceled" in x for x in fig.errors[-3:]) and not fig.latencies_ms:
                fig.cut = True  # three statement timeouts in a row and nothing faster: no point going on
                break
            continue
        fig.latencies_ms.append(ms)
        fig.outputs.append(out)
    return fig


# ------------------------------------------------------------------------------------- pgbench
@dataclasses.dataclass
class PgbenchResult:
    mode: str  # select-only | simple-update
    clients: int
    seconds: int
    tps: float
    latencies_ms: np.ndarray

    def figure(self) -> Figure:
        flag = "-S" if self.mode == "select-only" else "-N"
        return Figure(f"pgbench {flag} ({self.mode}, {self.clients} clients, {self.seconds} s)", "", "postgres",
                      list(self.latencies_ms), [], f"{self.tps:,.0f} TPS")


def _pgbench_log(tmp: str) -> list[int]:
    """Per-transaction latencies (µs) from the log files pgbench -l wrote into tmp."""
    lat: list[int] = []
    for f in Path(tmp).glob("log.*"):
        with open(f) as fh:
            lat.extend(int(line.split()[2]) for line in fh)
    return lat


@dataclasses.dataclass
class Side:
    """One side of a ratio run through pgbench: a label, the role and JWT claims PostgREST would set."""

    label: str
    role: str  # authenticated | service_role
    claims: str


def pgbench_alternating(bindir: Path, url_parts: dict, dbname: str, name: str, size: str, sides: Sequence[Side],
                        sql: str, arg: str, seconds: int, blocks: int) -> list[Figure]:
    """The same read as each side, through `pgbench -M prepared` with one client: a compiled client that keeps
    its prepared plans, as PostgREST does, so the figure is the database's time and not a Python client's. Each
    transaction is what PostgREST sends for a GET: begin, the role and claims (`set_config`, local), the select
    (`%s` in sql becomes its one parameter), the end. The sides run one at a time, never side by side, in
    `blocks` alternating blocks of `seconds` each after one unrecorded warm-up block per side: a slow second of
    the shared machine then falls on both, and neither side's rhythm changes the other's (alternating operation
    by operation on two Python sessions made service_role's read more than 2× faster than alone). One Figure
    per side."""
    exe = str(bindir / "pgbench")
    conn = ["-h", url_parts["host"], "-p", str(url_parts["port"]), "-U", url_parts["user"]]
    env = {"PGSSLMODE": "disable", "PATH": "/usr/bin:/bin"}
    figs = {side.label: Figure(name, size, side.label, [], []) for side in sides}
    for block in range(blocks + 1):
        for side in sides:
            script = (f"begin;\nselect set_config('role', '{side.role}', true), "
                      f"set_config('request.jwt.claims', :claims, true);\n{sql.replace('%s', ':arg')};\nrollback;\n")
            with tempfile.TemporaryDirectory(prefix="vic-pgbench-") as tmp:
                (Path(tmp) / "read.sql").write_text(script)
                r = subprocess.run([exe, *conn, "-n", "-M", "prepared", "-c", "1", "-T", str(seconds),
                                    "-D", f"arg={arg}", "-D", f"claims={side.claims}", "-f", "read.sql",
                                    "-l", "--log-prefix=log", dbname], capture_output=True, text=True, env=env, cwd=tmp)
                if r.returncode:
                    raise RuntimeError(f"pgbench ({name}, {side.label}) failed:\n{r.stdout}{r.stderr}")
                if block:
                    figs[side.label].latencies_ms.extend(x / 1000.0 for x in _pgbench_log(tmp))
    return list(figs.values())


def pgbench(bindir: Path, url_parts: dict, dbname: str, scale: int, seconds: int, clients: int = 4,
            threads: int = 2) -> list[PgbenchResult]:
    """pgbench -i, then -S and -N with per-transaction logs (latency percentiles, not just the mean)."""
    exe = str(bindir / "pgbench")
    conn = ["-h", url_parts["host"], "-p", str(url_parts["port"]), "-U", url_parts["user"]]
    env = {"PGSSLMODE": "disable", "PATH": "/usr/bin:/bin"}
    r = subprocess.run([exe, *conn, "-i", "-q", "-s", str(scale), dbname], capture_output=True, text=True, env=env)
    if r.returncode:
        raise RuntimeError(f"pgbench -i failed:\n{r.stdout}{r.stderr}")
    results = []
    for flag, mode in (("-S", "select-only"), ("-N", "simple-update")):
        with tempfile.TemporaryDirectory(prefix="vic-pgbench-") as tmp:
            prefix = str(Path(tmp) / "log")
            r = subprocess.run([exe, *conn, flag, "-c", str(clients), "-j", str(threads), "-T", str(seconds),
                                "-l", f"--log-prefix={prefix}", dbname], capture_output=True, text=True,
                               env=env, cwd=tmp)
            if r.returncode:
                raise RuntimeError(f"pgbench {flag} failed:\n{r.stdout}{r.stderr}")
            m = re.search(r"tps = ([0-9.]+)", r.stdout)
            lat = _pgbench_log(tmp)
        results.append(PgbenchResult(mode, clients, seconds, float(m.group(1)) if m else float("nan"),
                                     np.array(lat, dtype=np.float64) / 1000.0))
    return results


# ------------------------------------------------------------------------------------- plans
SCAN_TABLES = ("requests", "portfolios", "portfolio_confidential")


def capture_plans(conn: psycopg.Connection, actor: Actor, op: Op) -> list[str]:
    """EXPLAIN ANALYZE of every statement the operation runs, triggers' statements included
    (auto_explain with nested statements, plans sent to this client as notices). Run it after the
    figure's measurements: a cold session's first calls may be planned differently (custom plans)."""
    plans: list[str] = []

    def on_notice(diag: psycopg.errors.Diagnostic) -> None:
        if diag.message_primary and "plan:" in diag.message_primary:
            plans.append(diag.message_primary)

    conn.add_notice_handler(on_notice)
    try:
        conn.execute("load 'auto_explain'")
        for k, v in (("log_min_duration", "0"), ("log_nested_statements", "on"), ("log_analyze", "on"),
                     ("log_timing", "off"), ("log_buffers", "on"), ("log_level", "notice")):
            conn.execute(f"set auto_explain.{k} = {v}")
        with contextlib.suppress(OpFailed):
            run_one(conn, actor, op, None)
    finally:
        conn.execute("set auto_explain.log_min_duration = -1")
        conn.remove_notice_handler(on_notice)
    return plans


def scans_in(plans: Sequence[str]) -> list[str]:
    """Executed seq scans of the big tables: '<table> ×<count> (<rows read> rows)'."""
    found: dict[str, list[int]] = {}
    for plan in plans:
        for line in plan.splitlines():
            m = re.search(r"Seq Scan on (?:public\.)?(\w+) .*\(actual rows=([0-9.]+) loops=(\d+)\)", line)
            if m and m.group(1) in SCAN_TABLES:
                found.setdefault(m.group(1), []).append(int(float(m.group(2)) * int(m.group(3))))
    return [f"{t} ×{len(v)} ({sum(v):,} rows)" for t, v in found.items()]


def rows_examined(plans: Sequence[str]) -> int:
    """Rows read then thrown away (filters and rechecks), summed over the plans: work beyond the output."""
    total = 0
    for plan in plans:
        for m in re.finditer(r"Rows Removed by (?:Filter|Index Recheck|Join Filter): (\d+)", plan):
            total += int(m.group(1))
    return total


def _query_text(plan: str, width: int = 70) -> str:
    """The first non-blank line of the statement's text."""
    m = re.search(r"Query Text:(.*?)\n(?=\S[^\n]*\(cost=)", plan, re.S)
    text = m.group(1) if m else ""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")[:width]


_SCAN = re.compile(r"(Seq Scan on \S+|Bitmap Index Scan on \S+|Index Scan using \S+ on \S+|Index Only Scan using \S+ on "
                   r"\S+|Bitmap Heap Scan on \S+).*\(actual rows=([0-9.]+) loops=(\d+)\)")


def heavy_reads(plans: Sequence[str], min_rows: int = 1000, k: int = 6) -> list[tuple[float, str, str]]:
    """Where an operation reads rows: every statement with a scan node that reads at least min_rows
    (rows returned + removed by its filter, times loops), as (ms, statement, nodes). A node is reported
    in the statement that runs it, never in the statements around it, so these are the real readers.
    The k statements that read the most."""
    found = []
    for plan in plans:
        m = re.search(r"duration: ([0-9.]+) ms", plan)
        lines = plan.splitlines()
        nodes, total = [], 0
        for n, line in enumerate(lines):
            sm = _SCAN.search(line)
            if not sm:
                continue
            rows, loops = float(sm.group(2)), int(sm.group(3))
            removed = 0
            for follow in lines[n + 1:]:
                if "->" in follow:
                    break
                rm = re.search(r"Rows Removed by Filter: (\d+)", follow)
                if rm:
                    removed = int(rm.group(1))
            read = int((rows + removed) * loops)
            if read >= min_rows:
                nodes.append(f"{sm.group(1)}: {read:,} rows read" + (f", {removed * loops:,} removed" if removed else ""))
                total += read
        if nodes and m:
            text = _query_text(plan)
            found.append((total, float(m.group(1)), text, "; ".join(nodes)))
    found.sort(reverse=True)
    return [(ms, text, nodes) for _, ms, text, nodes in found[:k]]


# ------------------------------------------------------------------------------------- the worker
def has_worker(conn: psycopg.Connection) -> bool:
    """Does the schema record match events drained by public.process_match_events?"""
    return conn.execute("select to_regprocedure('public.process_match_events(integer)') is not null").fetchone()[0]


def drain(conn: psycopg.Connection, batch: int = 500) -> int:
    """process_match_events until nothing is pending (in the caller's transaction); events processed."""
    total = 0
    while True:
        n = conn.execute("select public.process_match_events(%s)", (batch,)).fetchone()[0]
        if not n:
            return total
        total += n


# the tables the matcher writes; a row it inserted in the batch's transaction has created_at = now()
OUTPUT_TABLES = ("portfolio_request_matches", "agent_visibility", "pending_notifications")


def _output_floor(conn: psycopg.Connection) -> tuple[float, float]:
    """The batch's output floor, in the batch's own transaction after the worker ran (as the superuser): the
    rows it inserted into OUTPUT_TABLES are set aside, deleted, and written again by one plain INSERT … SELECT
    per table — timed with every trigger and foreign-key check (ms), then again with session_replication_role
    = replica, which skips the per-row foreign-key checks (ms). No matching at all: what writing the batch's
    output costs on this server, set-based as the worker writes it."""
    for t in OUTPUT_TABLES:
        conn.execute(f"create temp table floor_{t} on commit drop as select * from public.{t} where created_at = now()")
    conn.execute("set local session_replication_role = replica")
    for t in OUTPUT_TABLES:
        conn.execute(f"delete from public.{t} where created_at = now()")
    conn.execute("set local session_replication_role = origin")
    times = []
    for mode in ("origin", "replica"):
        conn.execute("savepoint output_floor")
        conn.execute(f"set local session_replication_role = {mode}")
        t0 = time.perf_counter_ns()
        for t in OUTPUT_TABLES:
            conn.execute(f"insert into public.{t} select * from floor_{t}")
        times.append((time.perf_counter_ns() - t0) / 1e6)
        conn.execute("rollback to savepoint output_floor")
    return times[0], times[1]


def worker_batches(conn: psycopg.Connection, name: str, size: str, actor_ops: Sequence[tuple[Actor, Op]],
                   count_sql: str, batch: int, budget_s: float = 60, floors: list | None = None) -> Figure:
    """The worker's cost per match, batched: in one transaction, `batch` writes (each as its own actor, as
    the API makes them), then — timed — process_match_events as service_role until nothing is pending;
    the matches it wrote for those rows are counted (`count_sql` takes the list of the writes' ids) and the
    transaction rolled back. Figure.latencies_ms: the worker's time per batch; outputs: matches per batch.
    With `floors`, each batch's output floor (_output_floor) is measured too and two figures are appended to
    it: "<name>: output floor" and "<name>: output floor, no foreign-key checks"."""
    fig = Figure(name, size, "service_role", [], [], f"batches of {batch} writes")
    floor_fk = Figure(f"{name}: output floor", size, "postgres", [], [], f"batches of {batch} writes")
    floor_no_fk = Figure(f"{name}: output floor, no foreign-key checks", size, "postgres", [], [],
                         f"batches of {batch} writes")
    t_end = time.monotonic() + budget_s
    for i in range(0, len(actor_ops), batch):
        if time.monotonic() > t_end:
            fig.cut = True
            break
        conn.execute("begin")
        try:
            ids = []
            for actor, op in actor_ops[i:i + batch]:
                if actor.role == "authenticated":
                    conn.execute("select set_config('role', 'authenticated', true), "
                                 "set_config('request.jwt.claims', %s, true)", (claims(actor.contact_id),))
                ids.append(op(conn))
                conn.execute("reset role")
            conn.execute("select set_config('role', 'service_role', true), "
                         "set_config('request.jwt.claims', %s, true)", (SERVICE_CLAIMS,))
            t0 = time.perf_counter_ns()
            drain(conn)
            ms = (time.perf_counter_ns() - t0) / 1e6
            conn.execute("reset role")
            matches = conn.execute(count_sql, (ids,)).fetchone()[0]
            floor = _output_floor(conn) if floors is not None else None
        except psycopg.Error as e:
            fig.errors.append(f"{type(e).__name__}: {str(e).splitlines()[0]}")
            continue
        finally:
            conn.execute("rollback")
        fig.latencies_ms.append(ms)
        fig.outputs.append(int(matches))
        if floor:
            for f, floor_ms in zip((floor_fk, floor_no_fk), floor):
                f.latencies_ms.append(floor_ms)
                f.outputs.append(int(matches))
    if floors is not None:
        floors.extend((floor_fk, floor_no_fk))
    return fig


def latency_under_load(url: str, writes: Sequence[tuple[str, Actor, Op]], rate: float, size: str,
                       settle_s: float = 30, log=print) -> tuple[Figure, dict]:
    """Commit → matches + notifications visible, one worker, steady writes (these COMMIT: run it last on a
    data set). A writer thread makes `writes` (kind, actor, op returning the new row's id) at `rate` per
    second, each its own committed transaction, and notes when its commit returned. One worker (autocommit,
    as service_role) runs process_match_events(500) in a loop, woken by LISTEN vic_match_events, polling every
    50 ms besides; after each batch it commits, notes the time, and (untimed, as the superuser) reads which
    events it processed: a write is visible once an event naming its row is processed and none naming it is
    pending (the matches and the notifications of an event are committed together). Latency = visible − commit."""
    committed: dict[str, float] = {}
    visible: dict[str, float] = {}
    errors: list[str] = []
    stop = threading.Event()
    stats = {"batches": 0, "events": 0, "polls": 0, "wakeups": 0}

    def writer() -> None:
        with psycopg.connect(url, autocommit=True) as c:
            t_start = time.monotonic()
            for k, (_kind, actor, op) in enumerate(writes):
                delay = t_start + k / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                try:
                    actor.enter(c)
                    rid = op(c)
                    c.execute("commit")
                    committed[str(rid)] = time.monotonic()
                except psycopg.Error as e:
                    c.execute("rollback")
                    errors.append(f"{type(e).__name__}: {str(e).splitlines()[0]}")

    def worker() -> None:
        with psycopg.connect(url, autocommit=True) as w, psycopg.connect(url, autocommit=True) as mon:
            w.execute("set role service_role")
            w.execute("select set_config('request.jwt.claims', %s, false)", (SERVICE_CLAIMS,))
            w.execute("listen vic_match_events")
            last = mon.execute("select coalesce(max(id), 0) from private.match_events").fetchone()[0]
            while not stop.is_set():
                n = w.execute("select public.process_match_events(500)").fetchone()[0]
                if not n:
                    got = list(w.notifies(timeout=0.05, stop_after=1))
                    stats["wakeups" if got else "polls"] += 1
                    continue
                t = time.monotonic()
                stats["batches"] += 1
                stats["events"] += n
                pending: set[str] = set()
                done: set[str] = set()
                contiguous = True  # `last`: every event up to it is processed (ids have gaps: rollbacks)
                for eid, pids, rids, processed in mon.execute(
                        "select id, coalesce(portfolio_ids, '{}'), coalesce(request_ids, '{}'), processed_at is not null "
                        "from private.match_events where id > %s order by id", (last,)):
                    names = {str(x) for x in list(pids) + list(rids)}
                    (done if processed else pending).update(names)
                    contiguous = contiguous and processed
                    if contiguous:
                        last = eid
                for rid in done - pending:
                    visible.setdefault(rid, t)

    wt = threading.Thread(target=worker, daemon=True)
    wt.start()
    writer_t = threading.Thread(target=writer)
    writer_t.start()
    writer_t.join()
    t_end = time.monotonic() + settle_s
    while time.monotonic() < t_end and any(r not in visible for r in committed):
        time.sleep(0.05)
    stop.set()
    wt.join(timeout=10)
    lat = [(visible[r] - t) * 1000 for r, t in committed.items() if r in visible]
    fig = Figure("commit → matches + notifications visible", size, "worker", lat, [],
                 f"{len(writes)} writes at {rate:g}/s, one worker", errors)
    stats["not_visible"] = sum(1 for r in committed if r not in visible)
    stats["writes"] = len(committed)
    return fig, stats
