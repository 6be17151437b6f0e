"""`vic worker` (python_client/vic/worker.py) and the pg_cron job of migration 0014.

- A worker in a subprocess with a poll of ten minutes matches a listing and a request written by another
  connection, and notifies the agent: only the NOTIFY of the writing statements can have woken it in time.
- SIGTERM and SIGINT stop it cleanly: exit 0, a final line, no traceback.
- `--once` drains what is pending, runs the jobs once (a stale deal gets its follow-up task) and exits.
- The matcher's pg_cron command, run by hand as pg_cron would run it (one top-level statement), drains too;
  where pg_cron exists (a stand-in on PostgreSQL 18), 0014 schedules both jobs and its rollback removes them.

Waits are generous and poll the database for the effect; nothing here asserts a duration.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from tests.cli_run import vic

ROOT = Path(__file__).resolve().parents[1]
AGENT = "00000000-0000-4000-8000-00000000f001"
CUSTOMER = "00000000-0000-4000-8000-00000000f002"
DEAL = "00000000-0000-4000-8000-00000000f003"
WAIT = 20.0  # seconds: the longest any effect is waited for


def people(db: psycopg.Connection) -> None:
    """An agent and a customer: no match event yet."""
    db.execute("insert into public.contacts (id, phone, contact_type, display_name) values "
               "(%s, '+905320008001', 'agent', 'Ayşe Yılmaz'), (%s, '+905550008002', 'customer', 'Deniz')",
               (AGENT, CUSTOMER))
    db.execute("insert into public.agent_profiles (contact_id, role, office) values (%s, 'agent', 'Moda Emlak')",
               (AGENT,))


def listing_and_request(url: str) -> str:
    """A listing and a request that match, each written (and committed) by another connection; the listing id."""
    with psycopg.connect(url, autocommit=True) as other:
        listing = other.execute(
            "insert into public.portfolios (agent_id, type, listing_type, title, district, rooms, listed_price) "
            "values (%s, 'daire', 'sale', 'Moda''da 3+1', 'Kadıköy', '3+1', 12500000) returning id", (AGENT,)
        ).fetchone()[0]
        other.execute("insert into public.requests (customer_id, request_type, criteria) values "
                      "(%s, 'buy', '{\"districts\": [\"Kadıköy\"], \"max_price\": 13000000}')", (CUSTOMER,))
    return listing


def matched(db: psycopg.Connection, listing: str) -> bool:
    """The pair matched and the listing agent has its match notification."""
    return bool(db.execute(
        "select exists (select 1 from public.portfolio_request_matches where portfolio_id = %s) "
        "and exists (select 1 from public.pending_notifications where contact_id = %s and kind = 'match')",
        (listing, AGENT)).fetchone()[0])


def eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {WAIT:g} s: {what}")
        time.sleep(0.1)


def pending(db: psycopg.Connection) -> int:
    return db.execute("select count(*) from private.match_events where processed_at is null").fetchone()[0]


# ------------------------------------------------------------------------------------- a worker process
class Running:
    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []

    def wait_for(self, pattern: str) -> str:
        """Read stdout until a line matches (the worker flushes each line)."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line.rstrip("\n"))
            if re.search(pattern, line):
                return line
        pytest.fail(f"no line /{pattern}/ from the worker; got:\n" + "\n".join(self.lines))

    def stop(self, signum: int) -> tuple[int, list[str], str]:
        """Send the signal; the exit code, every stdout line, stderr."""
        self.proc.send_signal(signum)
        out, err = self.proc.communicate(timeout=WAIT)
        self.lines.extend(out.splitlines())
        return self.proc.returncode, self.lines, err


@pytest.fixture
def worker_process(db_url: str) -> Iterator[Callable[..., Running]]:
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> Running:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "100",
               "PYTHONPATH": os.pathsep.join([str(ROOT / "python_client"), os.environ.get("PYTHONPATH", "")])}
        env.pop("VIC_AS", None)
        proc = subprocess.Popen(
            [sys.executable, "-c", "from vic.cli import app; app()", *args, "worker", "--database-url", db_url,
             "--poll", "600", "--jobs-every", "3600"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        started.append(proc)
        return Running(proc)

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("acting", [(), ("--service-role",)], ids=["own user", "service_role"])
def test_a_notification_wakes_the_worker_which_matches_and_notifies(db, db_url, worker_process, acting):
    people(db)
    running = worker_process(*acting)
    running.wait_for(r"\bjobs\s+stale deals")  # listening, drained, jobs run: now idle for ten minutes unless notified
    listing = listing_and_request(db_url)
    eventually(lambda: matched(db, listing), "the match and its notification, written by the worker")
    eventually(lambda: pending(db) == 0, "no match event left pending")
    code, lines, err = running.stop(signal.SIGTERM)
    assert code == 0, err
    assert "Traceback" not in err and err.strip() == "", err
    assert any(re.search(r"\bmatched\s+\d+ events in", line) for line in lines), lines
    assert re.search(r"\bstopped\s+\(SIGTERM\): [1-9]\d* events", lines[-1]), lines
    assert all(len(line) <= 100 for line in lines), "\n".join(lines)


def test_sigint_stops_an_idle_worker_cleanly(db, worker_process):
    running = worker_process()
    running.wait_for(r"\bjobs\s+stale deals")
    code, lines, err = running.stop(signal.SIGINT)
    assert (code, err.strip()) == (0, "")
    assert re.search(r"\bstopped\s+\(SIGINT\): 0 events in 0 batches, 1 job runs", lines[-1]), "\n".join(lines)


# ----------------------------------------------------------------------------------------------- --once
def test_once_drains_runs_the_jobs_and_exits(db, db_url):
    people(db)
    listing = listing_and_request(db_url)
    # a deal idle for ten days: the jobs open its follow-up task
    db.execute("insert into public.deals (id, portfolio_id, customer_id, listing_agent_id) values (%s, %s, %s, %s)",
               (DEAL, listing, CUSTOMER, AGENT))
    db.execute("update public.deals set last_activity_at = now() - interval '10 days' where id = %s", (DEAL,))
    result = vic("--service-role", "worker", "--once", "--database-url", db_url)
    assert result.exit_code == 0, result.output
    assert matched(db, listing) and pending(db) == 0
    assert db.execute("select count(*) from public.tasks where deal_id = %s and task_type = 'followup'",
                      (DEAL,)).fetchone()[0] == 1
    assert re.search(r"\bjobs\s+stale deals 1 · follow-ups opened 1 · reminders 0", result.output), result.output
    assert re.search(r"\bstopped\s+\(once\): \d+ events in \d+ batches, 1 job runs, 1 tasks opened",
                     result.output), result.output


def test_once_with_nothing_to_do(db_url):
    result = vic("worker", "--once", "--database-url", db_url)
    assert result.exit_code == 0, result.output
    assert re.search(r"\bstopped\s+\(once\): 0 events in 0 batches, 1 job runs, 0 tasks opened", result.output)


def test_the_worker_does_not_act_as_a_contact(db_url):
    result = vic("--as", AGENT, "worker", "--once", "--database-url", db_url)
    assert result.exit_code == 1 and "not as a contact" in result.output, result.output


def test_a_database_that_does_not_answer_is_one_line(unused_url="postgresql://nobody@127.0.0.1:1/x"):
    result = vic("worker", "--once", "--database-url", unused_url)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot connect"), result.output


# -------------------------------------------------------------------------------------------- pg_cron
def cron_command(name: str) -> str:
    """The command migration 0014 schedules as `name` (its literal in the migration)."""
    text = (ROOT / "migrations" / "0014_cron.sql").read_text()
    found = re.search(rf"cron\.schedule\('{name}', '[^']+', (\$cron\$(.*?)\$cron\$|'((?:[^']|'')*)')\)", text, re.S)
    assert found, f"no cron.schedule of {name} in 0014_cron.sql"
    return found.group(2) if found.group(2) is not None else found.group(3).replace("''", "'")


def test_the_pg_cron_matcher_command_drains_as_one_statement(db, db_url):
    people(db)
    listing = listing_and_request(db_url)
    with psycopg.connect(db_url, autocommit=True) as cron:  # what pg_cron does: one statement, no transaction
        cron.execute("set vic.match_cron_budget = '0'")  # drain once and return
        cron.execute(cron_command("vic-match-events").encode())
    assert matched(db, listing) and pending(db) == 0


def test_the_pg_cron_followups_command_opens_the_tasks(db, db_url):
    people(db)
    listing = listing_and_request(db_url)
    db.execute("insert into public.deals (id, portfolio_id, customer_id, listing_agent_id) values (%s, %s, %s, %s)",
               (DEAL, listing, CUSTOMER, AGENT))
    db.execute("update public.deals set last_activity_at = now() - interval '10 days' where id = %s", (DEAL,))
    with psycopg.connect(db_url, autocommit=True) as cron:
        assert cron.execute(cron_command("vic-followups").encode()).fetchone()[0] == 1


def test_without_pg_cron_the_migration_schedules_nothing(db):
    assert db.execute("select count(*) from pg_extension where extname = 'pg_cron'").fetchone()[0] == 0
    assert db.execute("select to_regnamespace('cron')").fetchone()[0] is None



# A stand-in for pg_cron (PostgreSQL 18 loads extensions from any folder, `extension_control_path`): its job table
# and its schedule/unschedule by name, enough to see what migration 0014 schedules where pg_cron exists.
FAKE_PG_CRON = {
    "pg_cron.control": "default_version = '1.6'\nrelocatable = false\nschema = pg_catalog\n",
    "pg_cron--1.6.sql": """
create schema cron;
create table cron.job (jobid bigserial primary key, jobname text unique, schedule text, command text,
                       username text not null default current_user);
create function cron.schedule(job_name text, schedule text, command text) returns bigint language sql as
$$ insert into cron.job (jobname, schedule, command) values (job_name, schedule, command)
   on conflict (jobname) do update set schedule = excluded.schedule, command = excluded.command returning jobid $$;
create function cron.unschedule(job_name text) returns boolean language sql as
$$ delete from cron.job where jobname = job_name returning true $$;
""",
}


@pytest.fixture
def fake_pg_cron(pg_server) -> Iterator[str]:
    if pg_server.major < 18:
        pytest.skip("extension_control_path is PostgreSQL 18's")
    folder = Path(tempfile.mkdtemp(prefix="vic_fake_cron_"))  # under /tmp: the server's user can read it
    try:
        (folder / "extension").mkdir()
        for name, text in FAKE_PG_CRON.items():
            (folder / "extension" / name).write_text(text)
            (folder / "extension" / name).chmod(0o644)
        folder.chmod(0o755)
        (folder / "extension").chmod(0o755)
        yield str(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_where_pg_cron_exists_0014_schedules_both_jobs_and_its_rollback_unschedules_them(db, db_url, fake_pg_cron):
    db.execute(f"set extension_control_path = '$system:{fake_pg_cron}'")
    db.execute("create extension pg_cron")
    db.execute((ROOT / "migrations" / "0014_cron.sql").read_bytes())
    jobs = db.execute("select jobname, schedule, command, username from cron.job order by jobname").fetchall()
    assert [(name, schedule, user) for name, schedule, _, user in jobs] == [
        ("vic-followups", "*/5 * * * *", "postgres"), ("vic-match-events", "* * * * *", "postgres")]
    assert [command for _, _, command, _ in jobs] == [cron_command("vic-followups"), cron_command("vic-match-events")]
    db.execute((ROOT / "migrations" / "0014_cron.sql").read_bytes())  # again: by name, still two jobs
    assert db.execute("select count(*) from cron.job").fetchone()[0] == 2
    db.execute((ROOT / "migrations" / "0014_cron.rollback.sql").read_bytes())
    assert db.execute("select count(*) from cron.job").fetchone()[0] == 0
