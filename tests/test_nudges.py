"""Template nudges (functions/window.sql): `claim_nudges` with real connections.

8 workers claim at once, each in its own connection as the bot (service_role), in small batches until nothing is
due: every closed window of a consented customer is nudged exactly once and nothing else is. Then a new inbound
message and its closed window make exactly one more nudge due per contact. A worker holding a claim never makes
another wait nor share its rows, and a worker that dies before committing loses nothing.

Messages are inserted into message_log as the superuser (the tracker follows them by trigger); "time passing" is
the superuser moving a tracker's times back by the same amount.
"""
from __future__ import annotations

import threading
import uuid
from collections import Counter

import psycopg
import pytest

WORKERS = 8
BATCH = 5
DUE = 240  # consented customers whose window closed 25 hours ago


def _ids(n: int, block: int) -> list[str]:
    return [str(uuid.UUID(int=(block << 16) + i)) for i in range(n)]


DUE_IDS = _ids(DUE, 0xA)
OPEN_IDS = _ids(20, 0xB)        # window still open
NO_CONSENT_IDS = _ids(20, 0xC)  # no marketing consent
OPTED_OUT_IDS = _ids(20, 0xD)   # opted out (marketing withdrawn by the database)
AGENT_IDS = _ids(20, 0xE)       # agents are not nudged


@pytest.fixture
def people(db: psycopg.Connection) -> psycopg.Connection:
    rows = [(c, f"+90555{i:07d}", "customer", "active", True) for i, c in enumerate(DUE_IDS + OPEN_IDS)]
    rows += [(c, f"+90556{i:07d}", "customer", "active", False) for i, c in enumerate(NO_CONSENT_IDS)]
    rows += [(c, f"+90557{i:07d}", "customer", "opted_out", True) for i, c in enumerate(OPTED_OUT_IDS)]
    rows += [(c, f"+90558{i:07d}", "agent", "active", True) for i, c in enumerate(AGENT_IDS)]
    with db.transaction(), db.cursor() as cur:
        cur.executemany("insert into public.contacts (id, phone, contact_type, onboarding_status, consent_transfer,"
                        " consent_marketing) values (%s, %s, %s, %s, true, %s)", rows)
        closed = DUE_IDS + NO_CONSENT_IDS + OPTED_OUT_IDS + AGENT_IDS
        _inbound(cur, closed, "25 hours", "first")
        _inbound(cur, OPEN_IDS, "1 hour", "first")
    return db


def _inbound(cur: psycopg.Cursor, contacts: list[str], ago: str, tag: str) -> None:
    """One inbound message per contact, `ago` before now, in one statement (the tracker trigger runs once)."""
    cur.execute("insert into public.message_log (from_contact, direction, content, wa_message_id, created_at)"
                " select c, 'inbound', 'merhaba', 'wamid.nudge.' || %s || '.' || c, now() - %s::interval"
                " from unnest(%s::uuid[]) as c", (tag, ago, contacts))


def _bot(url: str) -> psycopg.Connection:
    conn = psycopg.connect(url, autocommit=True)
    conn.execute("set role service_role")
    conn.execute("select set_config('request.jwt.claims', '{\"role\": \"service_role\"}', false)")
    return conn


def _claim_all_at_once(url: str) -> list[str]:
    """8 workers, each its own connection, start together and claim BATCH at a time until none is due."""
    conns = [_bot(url) for _ in range(WORKERS)]
    start = threading.Barrier(WORKERS)
    claimed: list[list[str]] = [[] for _ in range(WORKERS)]
    calls = [0] * WORKERS
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            start.wait()
            while rows := conns[i].execute("select contact_id from public.claim_nudges(%s)", (BATCH,)).fetchall():
                claimed[i].extend(str(r[0]) for r in rows)
                calls[i] += 1
        except BaseException as e:  # noqa: BLE001 - reported by the test
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for c in conns:
        c.close()
    assert not errors, errors
    assert not any(t.is_alive() for t in threads), "a worker never finished"
    assert sum(1 for n in calls if n) > 1, "the claims were not spread over several workers"
    return [c for per_worker in claimed for c in per_worker]


def test_eight_workers_nudge_each_closed_window_once(people: psycopg.Connection, db_url: str) -> None:
    db = people
    claimed = _claim_all_at_once(db_url)
    twice = [c for c, n in Counter(claimed).items() if n > 1]
    assert twice == [], f"{len(twice)} windows nudged twice"
    assert sorted(claimed) == sorted(DUE_IDS), "exactly the consented customers whose window closed"
    assert db.execute("select count(*) from public.interaction_tracker where nudge_sent_at is not null").fetchone() \
        == (DUE,)

    # Three days pass: the messages and the nudges are three days older, and nothing is due.
    db.execute("update public.interaction_tracker set last_inbound = last_inbound - interval '3 days',"
               " nudge_sent_at = nudge_sent_at - interval '3 days' where nudge_sent_at is not null")
    with _bot(db_url) as bot:
        assert bot.execute("select count(*) from public.claim_nudges(1000)").fetchone() == (0,)
    # Half of them write again (after their nudge); 25 hours later, those windows are closed too.
    again = DUE_IDS[::2]
    with db.cursor() as cur:
        _inbound(cur, again + NO_CONSENT_IDS, "25 hours", "again")
    claimed = _claim_all_at_once(db_url)
    assert sorted(claimed) == sorted(again), "exactly one more nudge per new closed window, and only those"
    with _bot(db_url) as bot:
        assert bot.execute("select count(*) from public.claim_nudges(1000)").fetchone() == (0,)


def test_a_held_claim_is_skipped_and_a_dead_worker_loses_nothing(people: psycopg.Connection, db_url: str) -> None:
    db = people
    holder = _bot(db_url)
    holder.autocommit = False
    held = {str(r[0]) for r in holder.execute("select contact_id from public.claim_nudges(3)").fetchall()}
    assert len(held) == 3
    # another worker neither waits for the held rows (a lock wait would hit the timeout) nor takes them
    with _bot(db_url) as other:
        other.execute("set statement_timeout = '5s'")
        rest = {str(r[0]) for r in other.execute("select contact_id from public.claim_nudges(1000)").fetchall()}
    assert rest == set(DUE_IDS) - held
    # the holder dies before committing: its three windows were never nudged, and are due again
    assert db.execute("select pg_terminate_backend(%s)", (holder.info.backend_pid,)).fetchone() == (True,)
    holder.close()
    with _bot(db_url) as again:
        assert {str(r[0]) for r in again.execute("select contact_id from public.claim_nudges(1000)").fetchall()} == held
        assert again.execute("select count(*) from public.claim_nudges(1000)").fetchone() == (0,)


def test_the_nudge_queue_is_read_through_its_index(people: psycopg.Connection) -> None:
    """The claim's filter and order (functions/window.sql) are those of interaction_tracker_nudge_idx: the partial
    index holds only contacts with an inbound message since their last nudge, so nudged windows cost nothing."""
    db = people
    db.execute("set enable_seqscan = off")  # a table this small is cheaper to scan: ask whether the index fits
    plan = "\n".join(r[0] for r in db.execute(
        "explain select t.contact_id from public.interaction_tracker t"
        " where (t.nudge_sent_at is null or t.nudge_sent_at < t.last_inbound)"
        " and t.last_inbound <= now() - interval '24 hours' and t.last_inbound >= now() - interval '8 days'"
        " order by t.last_inbound limit 5"))
    assert "interaction_tracker_nudge_idx" in plan, plan
