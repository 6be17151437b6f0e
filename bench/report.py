"""The results: a markdown table (stdout and bench/results/<date>-<commit>.md), a PNG plot beside it,
the matching plans (-plans.txt) and every latency (.json)."""
from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np

from bench.measure import Figure

TARGET_GROWTH = 2.0  # p95 at the largest size / p95 at the smallest
TARGET_MS = 25.0  # selective search p95 (../shared/BENCH.md)
TARGET_WRITE_MS = 10.0  # realistic p95 per new listing / request (the write records an event)
TARGET_BROAD_MS = 50.0  # broad search ('daire') p95
TARGET_MATCH_US = 30.0  # the worker's cost per recorded match, batched
TARGET_VISIBLE_MS = 1000.0  # commit → matches + notifications visible, one worker, steady load
TARGET_RLS = 1.5  # plain table reads: agent p95 ÷ service_role p95
SERIES = ("baselines", "realistic", "floor", "scaling", "search", "worker", "worker_floor", "latency", "reads",
          "identity")


def _ms(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.2f}" if x < 100 else f"{x:.0f}"


def _count(x: float) -> str:
    """12,345 / 1.2M / 4.5G."""
    return f"{x / 1e9:.1f}G" if x >= 1e9 else f"{x / 1e6:.1f}M" if x >= 1e6 else f"{x:,.0f}"


def _bytes(x: float) -> str:
    for unit, k in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if x >= k:
            return f"{x / k:.1f} {unit}"
    return f"{x / 2**10:.0f} KiB"


def _ratio(a: float, b: float | None) -> str:
    if not b or math.isnan(a) or math.isnan(b):
        return "–"
    return f"{a / b:.1f}×"


def _cells(f: Figure) -> str:
    """'p50 | p95 | max' cells; when nothing finished because every operation timed out, say so."""
    if not f.latencies_ms and f.errors and all("QueryCanceled" in e for e in f.errors):
        return "timeout | timeout | timeout"
    return f"{_ms(f.p50)} | {_ms(f.p95)} | {_ms(f.max)}"


def _div(a: float, b: float) -> str:
    return "–" if not b or math.isnan(a) or math.isnan(b) else f"{a / b:.2f}"


def _first(f: Figure) -> str:
    return str(f.outputs[0]) if f.outputs else "–"


def _n(f: Figure) -> str:
    return f"{f.n}{' †' if f.cut else ''}"


def _yes(ok: bool | None) -> str:
    return "–" if ok is None else ("**yes**" if ok else "**NO**")


def _num(s: str) -> int:
    """'1,000,000' or 'scaling 10,000' or '100,000 requests / …' -> 1000000 / 10000 / 100000."""
    for tok in s.replace("scaling ", "").split():
        t = tok.replace(",", "")
        if t.isdigit():
            return int(t)
    return 0


def fit(fig: Figure) -> tuple[float, float] | None:
    """Least squares latency = fixed + per_match × matches; None when the fan-out does not vary."""
    if not fig.outputs:
        return None
    x = np.array(fig.outputs, dtype=float)
    y = np.array(fig.latencies_ms)
    if len(x) < 3 or np.ptp(x) == 0:
        return None
    slope, intercept = np.polyfit(x, y, 1)
    return float(intercept), float(slope)


def write(out: dict, results_dir: Path) -> dict:
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    base = results_dir / f"{stamp}-{out['commit']}{'-quick' if out['config']['quick'] else ''}"
    md = markdown(out, base.name + ".png")
    paths = {"markdown": base.with_suffix(".md"), "plot": base.with_suffix(".png"),
             "plans": Path(str(base) + "-plans.txt"), "json": base.with_suffix(".json")}
    paths["markdown"].write_text(md)
    paths["plans"].write_text("".join(out["plans_text"]))
    raw = {k: v for k, v in out.items() if k != "plans_text"}
    for k in SERIES:
        raw[k] = [f.to_dict() for f in out.get(k, [])]
    for d in raw["baselines"]:
        if d["n"] > 1000:  # pgbench's per-transaction latencies: percentiles 0..100 are enough
            d["latencies_ms"] = [float(x) for x in np.percentile(d["latencies_ms"], np.arange(101))]
    paths["json"].write_text(json.dumps(raw, indent=1, default=str))
    plot(out, paths["plot"])
    paths["markdown_text"] = md
    return paths


def _pk_for(out: dict, size: str) -> float | None:
    for f in out["baselines"]:
        if f.name == "PK lookup in the workload envelope" and (f.size == size or f.size == f"scaling {size}"):
            return f.p95
    return None


def _pgbench(out: dict, flag: str) -> Figure | None:
    return next((f for f in out["baselines"] if f.name.startswith(f"pgbench {flag}")), None)


def _output_cells(f: Figure) -> str:
    """The fan-out (p50 / mean / max), cost per match and fixed cost cells of a realistic figure or its floor."""
    fo = np.array(f.outputs or [0])
    per = (np.sum(f.latencies_ms) / fo.sum()) if fo.sum() else float("nan")
    lin = fit(f)
    return (f"{np.median(fo):.0f} / {fo.mean():.0f} / {fo.max()} | "
            + (f"{lin[1] * 1000:.1f} µs (fit)" if lin else "–") + f"; {per * 1000:.0f} µs (total ÷ matches) | "
            + (f"{lin[0]:.2f} ms" if lin else "–"))


def markdown(out: dict, plot_name: str) -> str:
    cfg = out["config"]
    n_bench = _pgbench(out, "-N")
    nb95 = n_bench.p95 if n_bench else None
    lines: list[str] = []
    add = lines.append
    add(f"# VIC benchmark: matching and search — {out['date']}, commit {out['commit']}"
        + (" (QUICK mode: small sizes, not for comparison)" if cfg["quick"] else ""))
    add("")
    add("| | |")
    add("|---|---|")
    add(f"| date | {out['date']} |")
    add(f"| machine | {out['machine']} |")
    add(f"| PostgreSQL | {out.get('pg_version', '?')} (`BENCH_PG={cfg['pg']}`), "
        + ", ".join(f"{k}={v.strip(chr(39))}" for k, v in out["settings"].items()) + ", fsync off |")
    add(f"| commit | {out['commit']} |")
    add("| operations | `create_listing` / `create_request` as an agent, `search_portfolios` as an agent and as "
        "service_role, through the PostgREST envelope |")
    add(f"| operations per figure | {cfg['ops']} (after {cfg['warmup']} warm-up), each its own transaction, "
        f"rolled back; † = fewer, the figure's {cfg['budget_s']} s time budget ran out (search: half); "
        f"statement timeout {cfg['op_timeout_s']} s (a timed-out operation counts as an error) |")
    add(f"| runtime | {out.get('runtime_s', 0) / 60:.1f} min |")
    add("")
    add("Latencies in ms, measured by the client around `begin` + the PostgREST envelope (`set_config('role')`, "
        "`request.jwt.claims`) + the call; ×PK = p95 ÷ the p95 of an indexed primary-key lookup through the same "
        "envelope on the same data set; ×-N = p95 ÷ pgbench -N p95 (same server, same run).")
    add("")

    # --------------------------------------------------------------- baselines
    add("## Baselines")
    add("")
    add("| baseline | data set | n | p50 | p95 | max | |")
    add("|---|---|---:|---:|---:|---:|---|")
    for f in out["baselines"]:
        add(f"| {f.name} | {f.size or '–'} | {f.n:,} | {f.p50:.3f} | {f.p95:.3f} | {_ms(f.max)} | {f.notes} |")
    add("")

    targets: list[tuple[str, str, bool | None]] = []

    # --------------------------------------------------------------- scaling
    add(f"## Scaling: {cfg['sizes'][0]:,} → {cfg['sizes'][-1]:,} rows on each side, "
        f"the passing rows held fixed")
    add("")
    add("The new listing passes the hard filters of exactly 50 open requests, the new request those of exactly 50 "
        "active listings; every other row fails them the way real rows do (another district, currency or type, "
        "a budget too low or a price too high, closed/inactive, rent vs sale). Both tables grow together.")
    add("")
    add("| figure | rows per table | n | errors | p50 | p95 | max | ×PK | ×-N | fan-out |")
    add("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for f in out["scaling"]:
        fo = sorted(set(f.outputs))
        add(f"| {f.name} | {f.size} | {_n(f)} | {len(f.errors)} | {_cells(f)} | "
            f"{_ratio(f.p95, _pk_for(out, f.size))} | {_ratio(f.p95, nb95)} | {', '.join(map(str, fo))} |")
    add("")
    for kind in ("new listing", "new request"):
        figs = [f for f in out["scaling"] if f.name.startswith(kind)]
        if len(figs) >= 2:
            # growth anywhere in the range: the largest p95 at a size over the p95 at any smaller size
            g, a, b = max((figs[j].p95 / figs[i].p95, figs[i], figs[j])
                          for i in range(len(figs)) for j in range(i + 1, len(figs)))
            ok = g < TARGET_GROWTH
            steps = " → ".join(f"{_ms(f.p95)}" for f in figs)
            add(f"- {kind}: p95 by size {steps} ms; the most it grows is {g:.2f}× ({a.size} → {b.size}; "
                f"end to end {figs[-1].p95 / figs[0].p95:.2f}×), target < {TARGET_GROWTH:.0f}×: {_yes(ok)}")
            targets.append((f"scaling {kind}: p95 grows < 2× from {figs[0].size} to {figs[-1].size}",
                            f"{g:.2f}× ({a.size} → {b.size})", ok))
    add("")

    # --------------------------------------------------------------- realistic
    add(f"## Realistic: Istanbul distribution, {cfg['realistic']:,} requests and {cfg['realistic']:,} listings")
    add("")
    add("| figure | n | errors | p50 | p95 | max | ×PK | ×-N | fan-out p50 / mean / max | cost per match | "
        f"fixed cost | p95 ≤ {TARGET_WRITE_MS:.0f} ms |")
    add("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|")
    for f in out["realistic"]:
        ok = f.p95 <= TARGET_WRITE_MS
        targets.append((f"realistic {f.name}: write p95 ≤ {TARGET_WRITE_MS:.0f} ms", f"{f.p95:.2f} ms", ok))
        add(f"| {f.name} | {_n(f)} | {len(f.errors)} | {_cells(f)} | {_ratio(f.p95, _pk_for(out, f.size))} | "
            f"{_ratio(f.p95, nb95)} | {_output_cells(f)} | {_yes(ok)} |")
    add("")
    if out.get("worker"):
        add("With match events the write records an event and the worker matches later: the latency is the write's, "
            "the fan-out is what the worker wrote for it (drained untimed before counting, same transaction); cost per "
            "match here is the write's latency against that fan-out (flat: the write no longer depends on it). The "
            "worker's own cost is in the next table.")
    else:
        add("Cost per match: the slope of latency against matches written (least squares over the operations), "
            "and total time ÷ total matches; fixed cost: the fit's intercept (an operation that matches nothing).")
    add("")
    if out.get("worker"):
        add("### The worker's cost per match, batched")
        add("")
        add(f"In one transaction, {out['worker'][0].notes} (each as its agent, as the API makes them), then — timed — "
            "`process_match_events` as service_role until nothing is pending: matches, score changes, removals, "
            "visibility grants and notifications of the batch; the matches it wrote are counted, and the transaction "
            "is rolled back. µs per match = the worker's time ÷ the matches it wrote.")
        add("")
        add("At the scaling steps the same with the probe write (each gets exactly 50 matches): the worker's cost "
            "per match should stay nearly flat as the tables grow (target: grows < 2×, like the writes).")
        add("")
        add(f"| figure | data set | batches | errors | worker ms per batch p50 / p95 / max | matches per batch p50 / max | "
            f"µs per match (total ÷ total) | µs per match, batch p50 / p95 | ≤ {TARGET_MATCH_US:.0f} µs |")
        add("|---|---|---:|---:|---|---|---:|---|---|")

        def per_match(f: Figure) -> float:
            total = sum(f.outputs)
            return sum(f.latencies_ms) * 1000 / total if total else float("nan")

        notes: list[str] = []
        floors = {f.name: f for f in out.get("worker_floor", [])}

        def floor_note(f: Figure) -> str:
            fk = floors.get(f"{f.name}: output floor")
            return f" (output floor {per_match(fk):.1f} µs)" if fk and fk.latencies_ms else ""

        for f in out["worker"]:
            per = per_match(f)
            each = [ms * 1000 / m for ms, m in zip(f.latencies_ms, f.outputs) if m]
            realistic = "pass)" not in f.name
            ok = (per <= TARGET_MATCH_US) if realistic and not math.isnan(per) else None
            if realistic:
                targets.append((f"{f.name}: cost per recorded match ≤ {TARGET_MATCH_US:.0f} µs (batched)",
                                f"{per:.1f} µs{floor_note(f)}", ok))
            add(f"| {f.name} | {f.size} | {_n(f)} | {len(f.errors)} | {_cells(f).replace(' | ', ' / ')} | "
                f"{np.median(f.outputs or [0]):.0f} / {max(f.outputs or [0])} | {per:.1f} µs | "
                + (f"{np.percentile(each, 50):.1f} / {np.percentile(each, 95):.1f} µs" if each else "–")
                + f" | {_yes(ok)} |")
        add("")
        if floors:
            add("The worker's output floor: in each batch's own transaction, after the worker ran, the rows it inserted "
                "(matches, visibility grants, notifications) are set aside, deleted and written again by one plain "
                "`INSERT … SELECT` per table, as the superuser: once with every trigger and foreign-key check, once "
                "with `session_replication_role = replica`, which skips the per-row foreign-key checks (one query per "
                "inserted row and key). No matching at all: what writing the same output, set-based, costs on this "
                "server. The worker cannot be cheaper per match than its floor without writing fewer rows.")
            add("")
            add("| figure | output floor µs per match | without foreign-key checks | the ERD's foreign keys | "
                "the matcher above its floor | worker ÷ floor |")
            add("|---|---:|---:|---:|---:|---:|")
            for f in out["worker"]:
                fk, no_fk = floors.get(f"{f.name}: output floor"), floors.get(
                    f"{f.name}: output floor, no foreign-key checks")
                if not (fk and no_fk and fk.latencies_ms):
                    continue
                w, a, b = per_match(f), per_match(fk), per_match(no_fk)
                add(f"| {f.name} | {a:.1f} µs | {b:.1f} µs | {a - b:.1f} µs | {w - a:.1f} µs | {w / a:.2f}× |")
                if w > TARGET_MATCH_US and a > TARGET_MATCH_US:
                    notes.append(f"- {f.name}: {w:.1f} µs per match against a target of {TARGET_MATCH_US:.0f} µs; "
                                 f"writing the same rows alone costs {a:.1f} µs per match, {a - b:.1f} µs of it the "
                                 f"foreign-key checks the ERD's keys require ({b:.1f} µs without them). The target is "
                                 f"below the output floor: no matcher meets it while it writes these rows with these "
                                 f"keys; the matching itself adds {w - a:.1f} µs per match.")
            add("")
            lines.extend(notes)
            if notes:
                add("")
        for kind in ("new listings", "new requests"):
            figs = [f for f in out["worker"] if f.name.startswith(f"worker, {kind} (")]
            if len(figs) >= 2 and all(sum(f.outputs) for f in figs):
                g, a, b = max((per_match(figs[j]) / per_match(figs[i]), figs[i], figs[j])
                              for i in range(len(figs)) for j in range(i + 1, len(figs)))
                ok = g < TARGET_GROWTH
                steps = " → ".join(f"{per_match(f):.1f}" for f in figs)
                add(f"- worker, {kind}: µs per match by size {steps}; the most it grows is {g:.2f}× "
                    f"({a.size} → {b.size}), target < {TARGET_GROWTH:.0f}×: {_yes(ok)}")
                targets.append((f"scaling worker, {kind}: µs per match grows < 2× from {figs[0].size} to "
                                f"{figs[-1].size}", f"{g:.2f}× ({a.size} → {b.size})", ok))
        add("")
    if out.get("latency"):
        add("### Commit → matches and notifications visible, one worker, steady writes")
        add("")
        add("A writer thread commits new listings and new requests alternately at a steady rate, each its own "
            "transaction as its agent; one worker (service_role, autocommit) runs `process_match_events(500)` in a "
            "loop, woken by `LISTEN vic_match_events` and polling every 50 ms besides. Latency = the moment the "
            "worker's commit returned with every event naming the write's row processed − the moment the write's "
            "commit returned (both on the client's clock).")
        add("")
        add(f"| figure | data set | n | errors | p50 | p95 | max | | ≤ {TARGET_VISIBLE_MS:.0f} ms |")
        add("|---|---|---:|---:|---:|---:|---:|---|---|")
        for f in out["latency"]:
            ok = f.p95 <= TARGET_VISIBLE_MS if f.latencies_ms else None
            targets.append((f"{f.name}: p95 ≤ {TARGET_VISIBLE_MS:.0f} ms", f"{f.p95:.0f} ms", ok))
            add(f"| {f.name} | {f.size} | {_n(f)} | {len(f.errors)} | {_cells(f)} | {f.notes} | {_yes(ok)} |")
        add("")
    if out.get("floor"):
        add("Output floor: the rows each measured operation wrote (as many matches; for a new listing a visibility "
            "grant and a notification per distinct request agent, for a new request a grant per listing and one "
            "notification), written by plain INSERT statements with no matching at all, into the same tables with "
            "their indexes, foreign-key checks and triggers, as the superuser, each rolled back. It is what writing "
            "the output costs on this server; an operation cannot be faster than its floor without writing fewer rows. "
            "The rows marked *no foreign-key checks* are the same INSERTs with session_replication_role = replica, "
            "which skips PostgreSQL's per-row foreign-key checks (one query per inserted row and key): the "
            "difference is what the ERD's foreign keys on the output tables cost.")
        add("")
        add("| floor | n | p50 | p95 | max | fan-out p50 / mean / max | cost per match | fixed cost | "
            "share of the operation's p95 |")
        add("|---|---:|---:|---:|---:|---|---:|---:|---:|")
        for f in out["floor"]:
            op = next((g for g in out["realistic"] if g.name.split(" (")[0] in f.name), None)
            add(f"| {f.name} | {_n(f)} | {_cells(f)} | {_output_cells(f)} | "
                + (f"{f.p95 / op.p95:.0%}" if op else "–") + " |")
        add("")
        for side in ("listing", "request"):
            with_fk = next((f for f in out["floor"] if f.name == f"output floor of a new {side}"), None)
            no_fk = next((f for f in out["floor"] if f.name.startswith(f"output floor of a new {side},")), None)
            if with_fk and with_fk.p95 >= TARGET_MS and not out.get("worker"):
                add(f"- A new {side}: writing its output alone has a p95 of {with_fk.p95:.0f} ms, over the "
                    f"{TARGET_MS:.0f} ms target, so no matcher can meet it while every matching pair is written in "
                    f"the same transaction"
                    + (f"; without the foreign-key checks the same rows take {no_fk.p95:.0f} ms." if no_fk else "."))
        add("")

    # --------------------------------------------------------------- search
    add("## search_portfolios")
    add("")
    add("Selective: `" + "deniz manzaralı` + Kadıköy + daire + 9–11M TRY, sale; broad: `daire` alone. "
        "As an agent (`authenticated`, claims sub = a plain agent) and as `service_role`; limit 20.")
    add("")
    add("| query | listings | as | n | errors | p50 | p95 | max | rows | ×PK | target | met |")
    add("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for f in out["search"]:
        limit = TARGET_MS if "selective" in f.name else TARGET_BROAD_MS
        ok = (f.p95 <= limit) if f.role == "agent" and f.latencies_ms else None
        if ok is not None:
            targets.append((f"search {f.name.split()[-1]} at {f.size} listings (agent): p95 ≤ {limit:.0f} ms",
                            f"{f.p95:.2f} ms", ok))
        add(f"| {f.name.split()[-1]} | {f.size} | {f.role} | {_n(f)} | {len(f.errors)} | {_cells(f)} | "
            f"{_first(f)} | {_ratio(f.p95, _pk_for(out, f.size))} | "
            f"{f'p95 ≤ {limit:.0f} ms' if ok is not None else '–'} | {_yes(ok)} |")
    add("")
    if out["search"]:
        add("RLS overhead (same query, agent ÷ service_role):")
        add("")
        add("| query | listings | p50 ratio | p95 ratio | rows agent / service_role |")
        add("|---|---:|---:|---:|---|")
        by = {(f.name, f.size, f.role): f for f in out["search"]}
        for (name, size, role), f in by.items():
            if role != "agent" or (name, size, "service_role") not in by:
                continue
            s = by[(name, size, "service_role")]
            add(f"| {name.split()[-1]} | {size} | {_div(f.p50, s.p50)} | {_div(f.p95, s.p95)} | "
                f"{_first(f)} / {_first(s)} |")
        add("")

    # --------------------------------------------------------------- plain reads (RLS)
    if out.get("reads"):
        add("## RLS on plain table reads of portfolio_request_matches")
        add("")
        add("The reads PostgREST issues for the matches table, as an agent (`authenticated`, JWT claims) who may read "
            "every row the read returns, and as `service_role` (no policy): *newest 20* = `where notified_agent_id = "
            "<agent> order by created_at desc limit 20` (the agent's feed), *by listing* = `where portfolio_id = <its "
            "listing>` (one whose matched requests are unassigned or its own), *by request* = `where request_id = "
            "<its assigned request>`. The run checks that both return the same rows. Each read runs as PostgREST sends it "
            "(begin; the role and claims with `set_config`; the select as a prepared statement; end) through "
            "`pgbench -M prepared` with one client, a compiled client that keeps its plans, so the figures are the "
            "database's time; the sides run one at a time in alternating blocks of a few seconds (after a warm-up "
            "block each), so a slow second of the shared machine falls on both and neither warms the other's caches.")
        add("")
        add("| read | data set | as | n | errors | p50 | p95 | max | rows | ×PK |")
        add("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for f in out["reads"]:
            add(f"| {f.name.removeprefix('matches ')} | {f.size} | {f.role} | {_n(f)} | {len(f.errors)} | {_cells(f)} "
                f"| {_first(f)} | {_ratio(f.p95, _pk_for(out, f.size))} |")
        add("")
        add(f"| read | data set | p50 ratio | p95 ratio | rows agent / service_role | ≤ {TARGET_RLS}× (p95) |")
        add("|---|---|---:|---:|---|---|")
        by = {(f.name, f.size, f.role): f for f in out["reads"]}
        for (name, size, role), f in by.items():
            s_ = by.get((name, size, "service_role"))
            if role != "agent" or not s_:
                continue
            ok = (f.p95 / s_.p95 <= TARGET_RLS and f.notes == "same rows") if s_.p95 else None
            idf = {g.name: g for g in out.get("identity", [])}
            floor = ""
            if idf.get("caller's identity") and idf.get("envelope alone") and s_.p95:
                cost = idf["caller's identity"].p50 - idf["envelope alone"].p50
                floor = f" (identity floor {(s_.p95 + cost) / s_.p95:.2f}×)"
            targets.append((f"RLS ratio, plain read {name.removeprefix('matches ')} ({size}): p95 ≤ {TARGET_RLS}×",
                            f"{_div(f.p95, s_.p95)}×{floor}", ok))
            add(f"| {name.removeprefix('matches ')} | {size} | {_div(f.p50, s_.p50)} | {_div(f.p95, s_.p95)} | "
                f"{_first(f)} / {_first(s_)} ({f.notes}) | {_yes(ok)} |")
        add("")
        ident = {f.name: f for f in out.get("identity", [])}
        asked, alone = ident.get("caller's identity"), ident.get("envelope alone")
        if asked and alone and asked.latencies_ms and alone.latencies_ms:
            cost = asked.p50 - alone.p50
            add(f"What every agent's read pays before its first row: the policy asks which agents the caller acts "
                f"for — `guard.managed_agent_ids()`, once per statement, as an init plan (`guard.is_staff()` only when "
                f"a row is not one of them) — which, measured alone in the same envelope as the agent (`select "
                f"array(select guard.managed_agent_ids())` against `select 1`, {_n(asked)} each), costs "
                f"**{cost * 1000:.0f} µs** (p50). service_role asks nothing. Each row then costs a comparison with "
                f"that array, so an agent's read cannot be cheaper than service_role's plus that:")
            add("")
            add("| read | service_role p50 | + the caller's identity | ratio floor (p50) | measured p50 ratio | "
                "the rest (agent − service_role − identity) |")
            add("|---|---:|---:|---:|---:|---:|")
            for (name, size, role), f in by.items():
                s_ = by.get((name, size, "service_role"))
                if role != "agent" or not s_:
                    continue
                add(f"| {name.removeprefix('matches ')} | {s_.p50:.3f} ms | {cost:.3f} ms | "
                    f"{(s_.p50 + cost) / s_.p50:.2f}× | {f.p50 / s_.p50:.2f}× | "
                    f"{(f.p50 - s_.p50 - cost) * 1000:.0f} µs for {_first(f)} rows |")
            add("")
        plans = out.get("read_plans") or []
        if plans:
            add("Where one read's time goes on the server (EXPLAIN ANALYZE, warm, once per side): the policy makes the "
                "agent's statement longer to plan; a client that keeps prepared plans (PostgREST does) pays the "
                "planning once per connection, one that does not pays it every time.")
            add("")
            add("| read | as | planning ms | execution ms |")
            add("|---|---|---:|---:|")
            for r in plans:
                add(f"| {r['read']} | {r['as']} | {r['planning_ms']:.3f} | {r['execution_ms']:.3f} |")
            add("")

    # --------------------------------------------------------------- capacity
    cap = out.get("capacity")
    if cap and cap.get("rows"):
        add("## Capacity inputs (docs/matching.md, Capacity)")
        add("")
        per_heap, per_idx, per_total = (cap[k] / cap["rows"] for k in ("heap_bytes", "index_bytes", "total_bytes"))
        add(f"`portfolio_request_matches` on the realistic data set as loaded (COPY, indexes built after it): "
            f"{cap['rows']:,} rows, heap {_bytes(cap['heap_bytes'])}, indexes {_bytes(cap['index_bytes'])}, total "
            f"{_bytes(cap['total_bytes'])}: **{per_heap:.0f} B heap + {per_idx:.0f} B indexes = "
            f"{per_total:.0f} B per match row**.")
        add("")
        fans = {f.name: np.mean(f.outputs) for f in out["realistic"] if f.outputs}
        fl = next((v for k, v in fans.items() if "listing" in k), None)
        fr = next((v for k, v in fans.items() if "request" in k), None)
        if fl and fr:
            est_l = fl * cap["active_listings"]  # every active listing has as many partners as a new one, on average
            est_r = fr * cap["open_requests"]
            est = (est_l + est_r) / 2
            add(f"Projected full match set at {cap['listings']:,} × {cap['requests']:,}: mean fan-out of a new listing "
                f"{fl:.0f} × {cap['active_listings']:,} active listings = {_count(est_l)}; of a new request "
                f"{fr:.0f} × {cap['open_requests']:,} open requests = {_count(est_r)}; mean {_count(est)} rows, "
                f"{_bytes(est * per_total)}. Fan-out grows with the other side, so rows grow with the square "
                f"of the size: at 10× (same distribution) ×100 = {_count(est * 100)} rows, "
                f"{_bytes(est * 100 * per_total)}.")
            add("")
            out["capacity"]["projected_rows"] = est

    # --------------------------------------------------------------- conversation
    if out.get("ingest"):
        from bench import ingest
        add("## Ingestion: WhatsApp webhooks stored once (ingest_message)")
        add("")
        add("Per worker count: new messages, the same redelivered, and new ones each delivered twice at the same "
            "moment (bench/ingest.py); duplicates = a wa id stored twice, answered with two ids or new twice, or a "
            "redelivery that moved its session (must be 0).")
        add("")
        add(ingest.table(out["ingest"]))
        add("")
        targets.append(("ingestion: errors and duplicates with 1, 4, 8 workers",
                        str(sum(len(r["errors"]) + r["duplicates"] for r in out["ingest"])),
                        all(not r["errors"] and r["duplicates"] == 0 for r in out["ingest"])))
    if out.get("inbox"):
        from bench import inbox
        n_bench = _pgbench(out, "-N")
        add("## The inbound queue: claim + ack (claim_messages, ack_message / ack_messages)")
        add("")
        add("Each worker claims a batch in one transaction, then acknowledges: *each* = one `ack_message` "
            "transaction per message, *batch* = one `ack_messages` call for the batch (bench/inbox.py). Messages/s "
            "from the first claim to the last ack; duplicates, lost and dead must be 0.")
        add("")
        add(inbox.markdown(out["inbox"], float(n_bench.notes.split()[0].replace(",", "")) if n_bench else None))
        add("")
        best = max((r for r in out["inbox"] if r["batch"] == inbox.TARGET["batch"]
                    and r["workers"] == inbox.TARGET["workers"]), key=lambda r: r["per_second"], default=None)
        if best:
            targets.append((f"message claim + ack, batch {inbox.TARGET['batch']}, {inbox.TARGET['workers']} workers: "
                            f"≥ {inbox.TARGET['per_second']:,} msg/s",
                            f"{best['per_second']:,.0f} msg/s (acks {best['acks']})",
                            best["per_second"] >= inbox.TARGET["per_second"]))
        targets.append(("inbox: errors, duplicates and lost messages",
                        str(sum(len(r["errors"]) + r["duplicates"] + r["lost"] for r in out["inbox"])),
                        all(not r["errors"] and not r["duplicates"] and not r["lost"] for r in out["inbox"])))

    # --------------------------------------------------------------- closings
    if out.get("closings"):
        pg_n = _pgbench(out, "-N")
        add("## Closings: dual confirm under concurrency")
        add("")
        add("Each worker confirms both sides of the next closing deal (two transactions, as its listing and its "
            "buying agent); the second confirmation closes it: listing sold, request closed, three commission rows, "
            "contract. Latency is per closing (both confirmations).")
        add("")
        add("| workers | deals | closings/s | p50 | p95 | errors | not closed exactly once |")
        add("|---:|---:|---:|---:|---:|---:|---:|")
        for r in out["closings"]:
            add(f"| {r['workers']} | {r['deals']} | {r['per_second']:.0f} | {_ms(r['p50'])} | {_ms(r['p95'])} | "
                f"{len(r['errors'])} | {r['duplicates']} |")
        add("")
        if pg_n:
            add(f"Same-run baseline: pgbench -N, {pg_n.notes} with 4 clients (p95 {pg_n.p95:.3f} ms).")
            add("")
        targets.append(("closings: errors and duplicates with 1, 4, 8 workers",
                        str(sum(len(r["errors"]) + r["duplicates"] for r in out["closings"])),
                        all(not r["errors"] and r["duplicates"] == 0 for r in out["closings"])))

    # --------------------------------------------------------------- errors
    failed = [f for k in ("scaling", "realistic", "search", "worker", "latency", "reads") for f in out.get(k, [])
              if f.errors]
    if failed:
        add("## Operations that failed (left out of the latencies)")
        add("")
        for f in failed:
            msgs: dict[str, int] = {}
            for e in f.errors:
                msgs[e] = msgs.get(e, 0) + 1
            for m, k in msgs.items():
                add(f"- {f.name} at {f.size}, as {f.role}: {k} × `{m}`")
        add("")

    # --------------------------------------------------------------- plans
    add("## What the matching does (EXPLAIN ANALYZE of every statement it runs, auto_explain)")
    add("")
    add("One more operation after each figure's measurements (warm session, cached plans), under auto_explain "
        "with nested statements, so trigger and RLS statements are included.")
    add("")
    add("| operation | size | statements | seq scans on requests/portfolios/confidential | rows removed by "
        "filters |")
    add("|---|---:|---:|---|---:|")
    for p in out["plans"]:
        scans = "; ".join(p["scans"]) if p["scans"] else "none"
        add(f"| {p['label']} | {p['size']} | {p['statements']} | {scans} | {p['rows_removed']:,} |")
    add("")
    last = out["plans"][-1]["size"] if out["plans"] else None
    for p in out["plans"]:
        if p.get("reads") and p["size"] == last:
            add(f"Where *{p['label']}* reads rows at {p['size']} (statements with a scan reading ≥ 1,000 rows; "
                f"times under auto_explain's instrumentation):")
            add("")
            for ms, q, nodes in p["reads"]:
                add(f"- {ms:.1f} ms `{q}…` — {nodes}")
            add("")
    add("Full plans in the `-plans.txt` file beside this one.")
    add("")
    add("Data checks (the spec's hard filters applied in plain SQL to the loaded rows):")
    add("")
    for c in out["checks"]:
        add(f"- {c['requests']:,} requests, {c['requests_passing']} pass the probe listing; {c['listings']:,} "
            f"listings, {c['listings_passing']} pass the probe request; {c['listings_without_search_vector']:,} "
            f"listings without search_vector, {c.get('floor_copy_mismatches', '?')} listings whose match_floor "
            f"differs from the confidential floor"
            + (f", {c['match_key_mismatches']} rows whose match keys are missing or stray"
               if c.get("match_key_mismatches") is not None else ""))
    add("")

    # --------------------------------------------------------------- targets
    add("## Targets")
    add("")
    add("| target | measured | met |")
    add("|---|---:|---|")
    for name, value, ok in targets:
        add(f"| {name} | {value} | {_yes(ok)} |")
    add("")
    add(f"![latency vs size]({plot_name})")
    add("")
    return "\n".join(lines)


def plot(out: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5))
    series = {}
    for f in out["scaling"]:
        series.setdefault(f.name, []).append((_num(f.size), f.p50, f.p95))
    for f in out["search"]:
        series.setdefault(f"{f.name} ({f.role})", []).append((_num(f.size), f.p50, f.p95))
    for i, (name, pts) in enumerate(series.items()):
        pts.sort()
        x = [p[0] for p in pts]
        color = f"C{i}"
        ax1.plot(x, [p[2] for p in pts], "o-", color=color, label=f"{name} p95")
        ax1.plot(x, [p[1] for p in pts], "o--", color=color, alpha=0.5, label=f"{name} p50")
    ax1.axhline(TARGET_MS, color="grey", lw=0.8, ls=":")
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    ax1.set_xlabel("rows per table (requests = listings)")
    ax1.set_ylabel("latency, ms")
    ax1.set_title("Scaling (50 rows pass the hard filters) and search")
    ax1.legend(fontsize=6.5, loc="upper left")
    ax1.grid(True, which="both", alpha=0.3)
    for i, f in enumerate(out["realistic"]):
        ax2.scatter(f.outputs, f.latencies_ms, s=8, alpha=0.6, color=f"C{i}", label=f.name)
        lin = fit(f)
        if lin:
            xs = np.linspace(0, max(f.outputs), 50)
            ax2.plot(xs, lin[0] + lin[1] * xs, color=f"C{i}", lw=1)
    for f in out.get("floor", []):
        ax2.scatter(f.outputs, f.latencies_ms, s=6, alpha=0.5, marker="+" if "no foreign-key" in f.name else "x",
                    color="C1" if "request" in f.name else "C0", label=f.name)
    ax2.axhline(TARGET_MS, color="grey", lw=0.8, ls=":")
    ax2.set_xlabel("matches written by the operation (fan-out)")
    ax2.set_ylabel("latency, ms")
    ax2.set_title(f"Realistic ({out['config']['realistic']:,} × {out['config']['realistic']:,}): cost vs output")
    ax2.legend(fontsize=8)
    ax2.grid(True, alpha=0.3)
    fig.suptitle(f"VIC bench {out['date']} {out['commit']} — PostgreSQL {out.get('pg_version', '?')}, "
                 f"{out['cores']} cores", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def load_json(path: Path) -> dict:
    """A run's .json back as the dict write() takes (to re-render its table and plot)."""
    raw = json.loads(path.read_text())
    out = dict(raw)
    for k in SERIES:
        raw.setdefault(k, [])  # runs before the output floor have none
        out[k] = [Figure(d["name"], d["size"], d["role"], d["latencies_ms"], d["outputs"], d.get("notes", ""),
                         d.get("errors", []), d.get("cut", False)) for d in raw[k]]
        for f, d in zip(out[k], raw[k]):
            if len(f.latencies_ms) != d["n"]:  # pgbench: percentiles 0..100 kept (or, older, none)
                f.n_total = d["n"]
                if not f.latencies_ms:  # 101 points whose p50, p95 and max are the recorded ones
                    f.latencies_ms = [d["p50"]] * 51 + [d["p95"]] * 45 + [d["max"]] * 5
    out["plans_text"] = []
    return out


if __name__ == "__main__":  # python -m bench.report bench/results/<run>.json: re-render its .md and .png
    import sys

    src = Path(sys.argv[1])
    run = load_json(src)
    md = markdown(run, src.with_suffix(".png").name)
    src.with_suffix(".md").write_text(md)
    plot(run, src.with_suffix(".png"))
    print(md)
