"""`vic worker`: drains the match events and runs the periodic jobs, until SIGINT or SIGTERM.

The work itself is SQL (docs/matching.md, "Who runs the matcher"); this loop only calls it:

- `public.process_match_events(batch)` in its own transaction, again and again until it returns 0,
  whenever a notification arrives on channel `vic_match_events` (one per writing statement) and
  every `poll` seconds as a fallback (a notification sent while this worker was down is not
  kept by PostgreSQL; the events are: the first drain takes them all);
- `public.stale_deals(stale_after)` (counted) and `public.open_followups(stale_after, remind_after)`
  every `jobs_every` seconds;
- after each batch, `public.match_event_lag()`: events still pending and the age of the oldest.

Two connections: one only LISTENs (autocommit), the other calls the functions through
`vic.transport.PsycopgTransport`, one transaction per call, as the URL's own user or as
service_role. Several workers may run at once: the matcher claims with `for update skip locked`.

Stopping: the first SIGINT/SIGTERM lets the batch in progress commit, then the loop ends and
prints a final line (exit 0). A second signal during a batch cancels it (its transaction rolls
back; the events stay pending for the next worker) and ends at once, also with exit 0.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg.conninfo import conninfo_to_dict
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from vic.errors import AccessDenied, from_psycopg, redact_url
from vic.migrate import connect
from vic.transport import PsycopgTransport

CHANNEL = "vic_match_events"
ISTANBUL = ZoneInfo("Europe/Istanbul")
# How often the wait for a notification looks at the stop flag: the longest a signal waits to be seen.
TICK = 0.25


@dataclass(frozen=True)
class Options:
    """What `vic worker` takes from its command line."""

    # None: the SQL function's own default (process_match_events p_max, stale_deals / open_followups p_idle,
    # open_followups p_remind_after)
    batch: int | None = None  # events per process_match_events call
    poll: float = 5.0  # seconds between drains without a notification
    jobs_every: float = 300.0  # seconds between runs of the periodic jobs
    stale_after: timedelta | str | None = None  # stale_deals / open_followups p_idle
    remind_after: timedelta | str | None = None  # open_followups p_remind_after
    once: bool = False  # drain once, run the jobs once, exit


def _given(**args: Any) -> dict[str, Any]:
    """The arguments that were given: a missing one takes the SQL function's default."""
    return {k: v for k, v in args.items() if v is not None}


@dataclass
class Totals:
    events: int = 0
    batches: int = 0
    job_runs: int = 0
    tasks_opened: int = 0


class _Stop(KeyboardInterrupt):
    """A second signal: cancel the call in progress and end now (a KeyboardInterrupt, so that psycopg
    cancels the query in the server and the transaction rolls back)."""


@dataclass
class Worker:
    """The loop. `run()` returns when told to stop (or at once with `Options.once`)."""

    url: str
    service_role: bool = False
    options: Options = field(default_factory=Options)
    console: Console = field(default_factory=lambda: Console(soft_wrap=True, highlight=False))
    totals: Totals = field(default_factory=Totals)
    stop_signal: str | None = None  # the signal that asked us to stop
    _in_call: bool = False
    _lag_shown: bool = True  # False once match_event_lag was refused: the lag is then not reported

    # ------------------------------------------------------------------------------------- output
    def say(self, what: str, text: str, style: str = "") -> None:
        """One line: Istanbul time, a word for what happened, the rest (at most 100 columns)."""
        now = datetime.now(ISTANBUL).strftime("%Y-%m-%d %H:%M:%S")
        word = f"[{style}]{what:<8}[/]" if style else f"{what:<8}"
        self.console.print(f"[dim]{now}[/] {word} {text}")

    # ------------------------------------------------------------------------------------ signals
    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.stop_signal is None:
            self.stop_signal = signal.Signals(signum).name
            return
        if self._in_call:  # asked twice: give up the batch in progress
            raise _Stop

    @contextlib.contextmanager
    def _signals(self) -> Iterator[None]:
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    @contextlib.contextmanager
    def _call(self) -> Iterator[None]:
        self._in_call = True
        try:
            yield
        finally:
            self._in_call = False

    # --------------------------------------------------------------------------------------- work
    def drain(self, db: PsycopgTransport) -> int:
        """process_match_events until it returns 0 (or a stop): one line per batch; the events processed."""
        done = 0
        with self._backlog(db) as advance:
            while self.stop_signal is None:
                started = time.perf_counter()
                with self._call():
                    rows = db.call("process_match_events", _given(p_max=self.options.batch))
                processed = int(next(iter(rows[0].values()))) if rows else 0
                if processed == 0:
                    break
                elapsed = time.perf_counter() - started
                done += processed
                self.totals.events += processed
                self.totals.batches += 1
                self.say("matched", f"{processed:>6,} events in {_ms(elapsed)}{self.lag(db)}", "green")
                advance(processed)
        return done

    @contextlib.contextmanager
    def _backlog(self, db: PsycopgTransport) -> Iterator[Callable[[int], None]]:
        """On a terminal, a progress bar over the events pending when a drain starts (the lag working down),
        below the batch lines; nothing in a log or a pipe. Yields `advance(events)`."""
        pending = 0
        if self.console.is_terminal and self._lag_shown:
            with contextlib.suppress(AccessDenied), self._call():
                rows = db.call("match_event_lag", {})
                pending = int((rows[0] if rows else {}).get("pending") or 0)
        if pending < (self.options.batch or 1):  # one batch or none: nothing to watch
            yield lambda n: None
            return
        with Progress(TextColumn("[dim]lag[/]"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=self.console, transient=True) as bar:
            task = bar.add_task("lag", total=pending)
            yield lambda n: bar.advance(task, n)

    def lag(self, db: PsycopgTransport) -> str:
        """' · pending N, oldest X' from match_event_lag(), or '' when the caller may not read it."""
        if not self._lag_shown:
            return ""
        try:
            with self._call():
                rows = db.call("match_event_lag", {})
        except AccessDenied:
            self._lag_shown = False
            self.say("lag", "match_event_lag() is service_role's and staff's: lag not reported", "yellow")
            return ""
        row = rows[0] if rows else {}
        pending = int(row.get("pending") or 0)
        oldest = row.get("oldest_pending_at")
        if not pending or oldest is None:
            return " · nothing pending"
        age = max((datetime.now(ISTANBUL) - oldest).total_seconds(), 0.0)
        return f" · pending {pending:,}, oldest {_age(age)}"

    def jobs(self, db: PsycopgTransport) -> None:
        """The periodic jobs: stale deals (counted) and follow-ups/reminders (opened)."""
        started = time.perf_counter()
        idle = self.options.stale_after
        with self._call():
            stale = db.call("stale_deals", _given(p_idle=idle))
        with self._call():
            opened = db.call("open_followups", _given(p_idle=idle, p_remind_after=self.options.remind_after))
        followups = sum(1 for r in opened if r.get("task_type") == "followup")
        reminders = len(opened) - followups
        self.totals.job_runs += 1
        self.totals.tasks_opened += len(opened)
        self.say("jobs", f"stale deals {len(stale):,} · follow-ups opened {followups:,} · "
                         f"reminders {reminders:,} in {_ms(time.perf_counter() - started)}", "cyan")

    # --------------------------------------------------------------------------------------- loop
    def run(self) -> None:
        """Until a signal (or once): wait for a notification or the poll, drain, run the jobs when due.
        Raises VicError when the database fails (the CLI prints it as one line)."""
        acting = "service_role" if self.service_role else "the URL's own user"
        with self._signals(), contextlib.ExitStack() as stack:
            try:
                listener = stack.enter_context(connect(self.url))
                listener.execute(f"listen {CHANNEL}")
                db = stack.enter_context(PsycopgTransport(self.url, service_role=self.service_role))
                o = self.options
                self.say("start", escape(f"LISTEN {CHANNEL} · {_where(self.url)}"), "bold")
                batch = "default" if o.batch is None else f"{o.batch:,}"
                self.say("", f"as {acting} · batch {batch} · poll {o.poll:g} s · jobs every {o.jobs_every:g} s")
                self._loop(listener, db)
            except _Stop:
                self.say("stopped", f"on a second {self.stop_signal}: the batch in progress rolled back, its "
                                    "events stay pending", "yellow")
            except psycopg.Error as exc:
                if self.stop_signal is None:
                    raise from_psycopg(exc) from None
        t = self.totals
        why = "once" if self.options.once and self.stop_signal is None else (self.stop_signal or "")
        self.say("stopped", f"({why}): {t.events:,} events in {t.batches:,} batches, {t.job_runs:,} job runs, "
                            f"{t.tasks_opened:,} tasks opened", "bold")

    def _loop(self, listener: psycopg.Connection, db: PsycopgTransport) -> None:
        o = self.options
        next_jobs = time.monotonic()  # the jobs run at start, then every jobs_every seconds
        wake = "start"
        while self.stop_signal is None:
            if wake:
                self.drain(db)
            if self.stop_signal is not None:
                break
            if time.monotonic() >= next_jobs:
                self.jobs(db)
                next_jobs = time.monotonic() + o.jobs_every
            if o.once:
                return
            wake = self._wait(listener, min(o.poll, max(next_jobs - time.monotonic(), 0.0)), o.poll)

    def _wait(self, listener: psycopg.Connection, until_jobs: float, poll: float) -> str:
        """Wait for a notification, the poll or the jobs' turn, looking at the stop flag every TICK.
        Returns why it woke: 'notify', 'poll', or '' (the jobs' turn only, or a stop)."""
        now = time.monotonic()
        poll_at, deadline = now + poll, now + min(until_jobs, poll)
        while self.stop_signal is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "poll" if deadline >= poll_at else ""
            if _notified(listener, min(TICK, remaining)):
                return "notify"
        return ""


def _notified(listener: psycopg.Connection, timeout: float) -> bool:
    """Whether a notification arrived within `timeout` seconds; those queued behind it are consumed
    too, so that a burst of writes wakes the worker once (one drain answers them all)."""
    got = False
    for _ in listener.notifies(timeout=timeout, stop_after=1):
        got = True
    if got:
        for _ in listener.notifies(timeout=0):
            pass
    return got


def _where(url: str) -> str:
    """user@host:port/dbname: the database, without a password or the URL's options."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.Error:
        return redact_url(url)
    host = str(params.get("host") or "local socket")
    port = f":{params['port']}" if params.get("port") else ""
    user = f"{params['user']}@" if params.get("user") else ""
    return f"{user}{host}{port}/{params.get('dbname', '')}"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:>6,.0f} ms"


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"

