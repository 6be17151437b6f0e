"""Listing ids YYYY-NNN under concurrency (docs/matching.md "Listing ids").

Eight real connections insert listings at the same moment (threads released together by a barrier,
round after round), half through `create_listing` acting as an agent, half by a plain insert as the
dashboard user; some of them roll their insert back while the others wait on the year's counter. The ids
of the year must be exactly 1..N of the committed inserts: no gap, no duplicate, `NNN` zero-padded to 3
digits and then 1000, 1001, … Each test works on a fresh copy of the migrated template (`db_url`).
"""
from __future__ import annotations

import random
import threading
import time

import psycopg
import pytest

from tests.world import act

AGENTS = [f"00000000-0000-4000-9d00-{n:012d}" for n in range(1, 9)]  # one Moda agent per connection
CONNECTIONS = 8
ROUNDS = 25


@pytest.fixture
def agents(db: psycopg.Connection) -> list[str]:
    with db.transaction():
        for n, agent in enumerate(AGENTS, start=1):
            db.execute("insert into public.contacts (id, phone, contact_type, display_name) values (%s, %s, 'agent', %s)",
                       (agent, f"+90532900{n:04d}", f"Danışman {n}"))
            db.execute("insert into public.agent_profiles (contact_id, role, office) values (%s, 'agent', 'Moda Emlak')", (agent,))
    return AGENTS


def _year(db: psycopg.Connection) -> int:
    return db.execute("select extract(year from now() at time zone 'Europe/Istanbul')::integer").fetchone()[0]


def _ids_of_year(db: psycopg.Connection, year: int) -> list[str]:
    return [r[0] for r in db.execute("select id from public.portfolios where id like %s", (f"{year}-%",))]


def _expected(year: int, numbers) -> set[str]:
    return {f"{year}-{n:03d}" for n in numbers}  # 3 digits at least: 2026-001 … 2026-999, 2026-1000 …


def _insert(conn: psycopg.Connection, agent: str, *, via_rpc: bool, title: str) -> str:
    if via_rpc:
        return conn.execute(
            "select id from public.create_listing(p_type => 'daire', p_listing_type => 'sale', p_title => %s, "
            "p_district => 'Kadıköy', p_listed_price => 5000000, p_rooms => '2+1')", (title,)).fetchone()[0]
    return conn.execute(
        "insert into public.portfolios (agent_id, type, listing_type, title, district, rooms, listed_price) "
        "values (%s, 'daire', 'sale', %s, 'Kadıköy', '2+1', 5000000) returning id", (agent, title)).fetchone()[0]


def _race(db_url: str, agents: list[str], *, rounds: int, rollback_share: float, seed: int) -> tuple[list[str], list[str], list[str]]:
    """Run the rounds; return (committed ids, rolled-back ids, errors)."""
    barrier = threading.Barrier(CONNECTIONS)
    lock = threading.Lock()
    committed: list[str] = []
    rolled_back: list[str] = []
    errors: list[str] = []
    conns = [psycopg.connect(db_url, autocommit=True) for _ in range(CONNECTIONS)]
    for conn in conns:
        conn.execute("set statement_timeout = '60s'")

    def worker(i: int) -> None:
        rng = random.Random(seed * 100 + i)
        conn, agent = conns[i], agents[i]
        for r in range(rounds):
            try:
                barrier.wait(timeout=120)
            except threading.BrokenBarrierError:
                return
            via_rpc = (i + r) % 2 == 0
            undo = rng.random() < rollback_share
            try:
                if via_rpc:
                    with act(conn, agent, rollback=undo):
                        new_id = _insert(conn, agent, via_rpc=True, title=f"c{i} r{r}")
                        if undo:
                            time.sleep(0.01)  # hold the counter while the others queue on it
                else:
                    with conn.transaction(force_rollback=undo):
                        new_id = _insert(conn, agent, via_rpc=False, title=f"c{i} r{r}")
                        if undo:
                            time.sleep(0.01)
            except Exception as e:  # noqa: BLE001 - every failure is reported by the test
                with lock:
                    errors.append(f"connection {i} round {r}: {type(e).__name__}: {e}")
                barrier.abort()
                return
            with lock:
                (rolled_back if undo else committed).append(new_id)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CONNECTIONS)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
        assert not any(t.is_alive() for t in threads), "a connection hung"
    finally:
        for conn in conns:
            conn.close()
    return committed, rolled_back, errors


def test_eight_connections_at_once_get_exactly_1_to_n(db: psycopg.Connection, db_url: str, agents: list[str]) -> None:
    year = _year(db)
    committed, rolled_back, errors = _race(db_url, agents, rounds=ROUNDS, rollback_share=0.0, seed=1)
    assert not errors, "\n".join(errors[:3])
    assert len(committed) == CONNECTIONS * ROUNDS
    assert len(set(committed)) == len(committed), "two inserts got the same id"
    assert set(_ids_of_year(db, year)) == _expected(year, range(1, CONNECTIONS * ROUNDS + 1))


def test_concurrent_rollbacks_leave_no_gap(db: psycopg.Connection, db_url: str, agents: list[str]) -> None:
    year = _year(db)
    committed, rolled_back, errors = _race(db_url, agents, rounds=ROUNDS, rollback_share=0.3, seed=2)
    assert not errors, "\n".join(errors[:3])
    assert rolled_back, "the scenario rolled nothing back"
    assert len(committed) + len(rolled_back) == CONNECTIONS * ROUNDS
    stored = _ids_of_year(db, year)
    assert len(set(committed)) == len(committed), "two committed inserts got the same id"
    assert set(stored) == set(committed)
    assert set(stored) == _expected(year, range(1, len(committed) + 1)), "the committed ids are not exactly 1..N"


def test_concurrent_inserts_cross_999_to_1000(db: psycopg.Connection, db_url: str, agents: list[str]) -> None:
    """An import put the counter at 980: the next 40 concurrent inserts are 981 … 999, 1000 … 1020."""
    year = _year(db)
    db.execute("insert into public.portfolios (id, agent_id, type, listing_type, title, district, rooms, listed_price) "
               "values (%s, %s, 'daire', 'sale', 'İthal', 'Kadıköy', '2+1', 5000000)", (f"{year}-980", agents[0]))
    committed, _, errors = _race(db_url, agents, rounds=5, rollback_share=0.0, seed=3)
    assert not errors, "\n".join(errors[:3])
    assert set(committed) == _expected(year, range(981, 981 + CONNECTIONS * 5))
    assert f"{year}-999" in committed and f"{year}-1000" in committed


def test_a_rolled_back_insert_leaves_no_gap(db: psycopg.Connection, agents: list[str]) -> None:
    year = _year(db)
    with db.transaction():
        first = _insert(db, agents[0], via_rpc=False, title="Bir")
    with db.transaction(force_rollback=True):
        undone = _insert(db, agents[0], via_rpc=False, title="Geri alınan")
    with act(db, agents[0], rollback=True):
        undone_rpc = _insert(db, agents[0], via_rpc=True, title="Geri alınan RPC")
    with act(db, agents[0]):
        second = _insert(db, agents[0], via_rpc=True, title="İki")
    assert (first, undone, undone_rpc, second) == (f"{year}-001", f"{year}-002", f"{year}-002", f"{year}-002")
    assert set(_ids_of_year(db, year)) == _expected(year, [1, 2])


def test_an_insert_failing_after_taking_its_number_gives_it_back(db: psycopg.Connection, agents: list[str]) -> None:
    """The id is taken in a before-insert trigger; a check that fails afterwards rolls the counter back too."""
    year = _year(db)
    with pytest.raises(psycopg.errors.CheckViolation):
        with db.transaction():
            db.execute(
                "insert into public.portfolios (agent_id, type, listing_type, title, district, rooms, listed_price) "
                "values (%s, 'daire', 'sale', 'Fiyatsız', 'Kadıköy', '2+1', 0)", (agents[0],))
    with db.transaction():
        assert _insert(db, agents[0], via_rpc=False, title="Bir") == f"{year}-001"
