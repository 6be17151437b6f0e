"""Match events (docs/matching.md "Match events"): a writing statement records one event and one
NOTIFY; the matcher (public.process_match_events) claims committed events, is refused to API users, takes
back nothing a dead worker held, and keeps processed events a day."""
from __future__ import annotations

import json
import threading

import psycopg
import pytest

from tests.harness import drain

AGENT = "00000000-0000-4000-8000-0000000e0001"
ADMIN = "00000000-0000-4000-8000-0000000e0002"
CUSTOMER = "00000000-0000-4000-8000-0000000e0003"


@pytest.fixture
def cast(db: psycopg.Connection) -> psycopg.Connection:
    with db.transaction():
        db.execute("insert into public.contacts (id, phone, contact_type) values (%s, '+905329200001', 'agent'),"
                   " (%s, '+905329200002', 'staff'), (%s, '+905329200003', 'customer')", (AGENT, ADMIN, CUSTOMER))
        db.execute("insert into public.agent_profiles (contact_id, role, office) values (%s, 'agent', 'Moda Emlak'),"
                   " (%s, 'admin', null)", (AGENT, ADMIN))
    return db


def _listings(db: psycopg.Connection, n: int, district: str = "Kadıköy") -> list[str]:
    return [r[0] for r in db.execute(
        "insert into public.portfolios (agent_id, type, listing_type, title, district, rooms, listed_price)"
        " select %s, 'daire', 'sale', 'İlan ' || i, %s, '3+1', 12000000 + i from generate_series(1, %s) as i returning id",
        (AGENT, district, n)).fetchall()]


def _pending(db: psycopg.Connection) -> int:
    return db.execute("select count(*) from private.match_events where processed_at is null").fetchone()[0]


def _as(conn: psycopg.Connection, role: str, sub: str | None = None) -> None:
    conn.execute(f"set local role {role}")
    claims = {"role": role} | ({"sub": sub} if sub else {})
    conn.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(claims),))


def test_one_event_and_one_notify_per_statement(cast: psycopg.Connection, db_url: str) -> None:
    db = cast
    with psycopg.connect(db_url, autocommit=True) as listener:
        listener.execute("listen vic_match_events")
        ids = _listings(db, 3)
        db.execute("insert into public.requests (customer_id, request_type, criteria) values"
                   " (%s, 'buy', '{\"districts\": [\"Kadıköy\"]}'), (%s, 'buy', '{}')", (CUSTOMER, CUSTOMER))
        db.execute("update public.portfolios set title = title || '!' where id = any(%s)", (ids,))  # no matching input
        db.execute("update public.portfolios set listed_price = listed_price + 1 where id = any(%s)", (ids[:2],))
        notes = list(listener.notifies(timeout=1.0, stop_after=10))
    assert [n.channel for n in notes] == ["vic_match_events"] * 3, "one NOTIFY per statement that changed inputs"
    events = db.execute("select kind, coalesce(cardinality(portfolio_ids), 0), coalesce(cardinality(request_ids), 0),"
                        " new_rows from private.match_events order by id").fetchall()
    assert events == [("portfolio", 3, 0, True), ("request", 0, 2, True), ("portfolio", 2, 0, False)]
    assert drain(db) == 3 and _pending(db) == 0
    assert db.execute("select count(*) from public.portfolio_request_matches").fetchone()[0] == 6
    # a new pair belongs to the later of its rows' events: the requests' statement found all six, so the listing
    # agent (the requests have no agent) gets one notification, for that event
    assert db.execute("select buttons -> 0 -> 'event' = to_jsonb((select min(id) + 1 from private.match_events))"
                      " from public.pending_notifications where contact_id = %s", (AGENT,)).fetchall() == [(True,)]
    assert set(db.execute("select trigger_type from public.portfolio_request_matches").fetchall()) == {("request",)}
    # each new request's demand signal, with its match count
    assert sorted(r[0] for r in db.execute("select match_count from public.market_signals")) == [3, 3]


def test_only_the_matcher_runs_it(cast: psycopg.Connection) -> None:
    db = cast
    _listings(db, 1)
    for role, sub in (("authenticated", AGENT), ("authenticated", ADMIN), ("anon", None)):
        with pytest.raises(psycopg.errors.InsufficientPrivilege), db.transaction():
            _as(db, role, sub)
            db.execute("select public.process_match_events(10)")
    with db.transaction():
        _as(db, "service_role")
        assert db.execute("select public.process_match_events(10)").fetchone() == (1,)
        assert db.execute("select pending from public.match_event_lag()").fetchone() == (0,)
    with db.transaction():
        _as(db, "authenticated", ADMIN)  # staff read the lag
        assert db.execute("select pending, oldest_pending_at from public.match_event_lag()").fetchone() == (0, None)
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.transaction():
        _as(db, "authenticated", AGENT)
        db.execute("select * from public.match_event_lag()")
    with pytest.raises(psycopg.Error) as refused, db.transaction():
        db.execute("set transaction isolation level repeatable read")
        db.execute("select public.process_match_events(10)")
    assert refused.value.sqlstate == "VC001" and "read committed" in str(refused.value)


def test_a_dead_worker_loses_nothing_and_a_waiting_one_takes_nothing_twice(cast: psycopg.Connection, db_url: str) -> None:
    db = cast
    for district in ("Kadıköy", "Üsküdar", "Beşiktaş"):
        _listings(db, 2, district)
    db.execute("insert into public.requests (customer_id, request_type, criteria) values (%s, 'buy', '{}')", (CUSTOMER,))
    # a worker claims two events and dies before committing: they are pending again
    dying = psycopg.connect(db_url)
    assert dying.execute("select public.process_match_events(2)").fetchone() == (2,)
    pid = dying.info.backend_pid
    assert db.execute("select pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
    dying.close()
    assert _pending(db) == 4
    # one worker holds a batch; another waits for it, then finds only what is left
    first = psycopg.connect(db_url)
    assert first.execute("select public.process_match_events(3)").fetchone() == (3,)
    result: list[int] = []
    second = threading.Thread(target=lambda: result.append(
        psycopg.connect(db_url, autocommit=True).execute("select public.process_match_events(100)").fetchone()[0]))
    second.start()
    second.join(timeout=0.5)
    assert second.is_alive(), "the second worker waits for the first run to commit"
    first.commit()
    first.close()
    second.join(timeout=30)
    assert result == [1]
    assert db.execute("select count(*), count(processed_at) from private.match_events").fetchone() == (4, 4)
    assert db.execute("select count(*) from public.portfolio_request_matches").fetchone() == (6,)
    assert db.execute("select count(*) from public.market_signals").fetchone() == (1,), "one signal, not one per try"


def test_processed_events_are_kept_a_day(cast: psycopg.Connection) -> None:
    db = cast
    _listings(db, 1)
    _listings(db, 1)
    assert drain(db) == 2
    db.execute("update private.match_events set processed_at = now() - interval '25 hours'"
               " where id = (select min(id) from private.match_events)")
    _listings(db, 1)
    assert drain(db) == 1
    assert db.execute("select count(*) from private.match_events").fetchone() == (2,)


def test_cli_drains_after_a_write_and_reports_lag(cast: psycopg.Connection, db_url: str) -> None:
    from tests.cli_run import ok, vic

    db = cast
    url = ("--database-url", db_url)
    _listings(db, 2)  # written behind the CLI's back: pending
    assert "pending" in ok("--superuser", "match", "lag", *url) and _pending(db) == 1
    assert "1 match event processed" in ok("--superuser", "match", "drain", *url)
    assert "0 match events processed" in ok("--superuser", "match", "drain", *url)
    # a request filed by its customer through the CLI is matched at once: the CLI drains as the URL's owner
    ok("--as", CUSTOMER, "request", "create", "buy", "--district", "Kadıköy", *url)
    assert _pending(db) == 0
    assert db.execute("select count(*) from public.portfolio_request_matches").fetchone() == (2,)
    # an agent may not run the matcher itself
    assert vic("--as", AGENT, "match", "drain", *url).exit_code == 1
