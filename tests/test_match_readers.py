"""Who may read a match follows the request's current agent (else the listing agent) at once, on every path.

The matches policy tests the row's `notified_agent_id` against the caller's agents, so the database keeps that
column equal to coalesce(request's agent, listing agent): the matcher writes it, and a reassigned request or a
listing given to another agent rewrites it in the same statement, whichever door the write comes through (an
RPC, PostgREST's table write, the dashboard). Each test states the rule from the tables themselves, not from
the column it checks, and a reassignment racing a matcher batch is run with two real connections.
"""
from __future__ import annotations

import threading

import psycopg
import pytest

from tests.harness import drain
from tests.world import WORLD as W, act, load

CRITERIA = '{"districts": ["Kadıköy"], "types": ["daire"], "max_price": 13000000}'
READERS = ("listing_agent", "broker", "agent_partial", "agent_anonymous", "agent_full", "customer", "owner_customer")
# a match whose column disagrees with the rule it stands for
STALE = """select m.id from public.portfolio_request_matches m
           join public.requests r on r.id = m.request_id join public.portfolios p on p.id = m.portfolio_id
           where m.notified_agent_id is distinct from coalesce(r.assigned_agent, p.agent_id)"""


@pytest.fixture
def world(db: psycopg.Connection) -> psycopg.Connection:
    load(db)
    return db


def _ids(conn: psycopg.Connection, sql: str, args: tuple = ()) -> set[str]:
    return {str(r[0]) for r in conn.execute(sql, args).fetchall()}


def _readable(db: psycopg.Connection, actor: str) -> set[str]:
    with act(db, actor, rollback=True) as c:
        return _ids(c, "select id from public.portfolio_request_matches")


def _by_rule(db: psycopg.Connection, actor: str) -> set[str]:
    """The matches the actor's agents act on, from the requests and listings (not from notified_agent_id)."""
    with act(db, actor, rollback=True) as c:
        agents = [r[0] for r in c.execute("select guard.managed_agent_ids()").fetchall()]
    return _ids(db, """select m.id from public.portfolio_request_matches m
                       join public.requests r on r.id = m.request_id join public.portfolios p on p.id = m.portfolio_id
                       where coalesce(r.assigned_agent, p.agent_id) = any (%s::uuid[])""", (agents,))


def _file_unassigned(db: psycopg.Connection) -> str:
    request = db.execute(f"""insert into public.requests (customer_id, request_type, criteria)
                             values ('{W.customer}', 'buy', '{CRITERIA}') returning id::text""").fetchone()[0]
    drain(db)
    return request


def _check(db: psycopg.Connection, step: str) -> None:
    assert not _ids(db, STALE), step
    for actor in READERS:
        assert _readable(db, actor) == _by_rule(db, actor), (step, actor)


def test_reads_follow_every_reassignment_without_the_matcher(world: psycopg.Connection) -> None:
    db = world
    request, waiting = _file_unassigned(db), _file_unassigned(db)
    mine = _ids(db, "select id from public.portfolio_request_matches where request_id = %s", (request,))
    theirs = _ids(db, "select id from public.portfolio_request_matches where request_id = %s", (waiting,))
    assert mine and theirs, "positive control: the unassigned requests matched the listing agent's listings"
    _check(db, "unassigned: the listing side reads")
    assert mine | theirs <= _readable(db, "listing_agent")

    with act(db, "service_role") as c:  # the bot, through the RPC
        c.execute("select public.assign_request(%s, %s)", (request, W.agent_partial))
    _check(db, "assigned to another office by the RPC")
    assert mine <= _readable(db, "agent_partial") and not mine & _readable(db, "listing_agent")

    db.execute("update public.requests set assigned_agent = %s where id = %s", (W.agent_anonymous, request))
    _check(db, "reassigned by a table write (the dashboard)")
    assert mine <= _readable(db, "agent_anonymous") and not mine & _readable(db, "agent_partial")

    db.execute("update public.portfolios set agent_id = %s where agent_id = %s", (W.agent_full, W.listing_agent))
    _check(db, "the listings given to another agent")
    assert theirs <= _readable(db, "agent_full") and not theirs & _readable(db, "listing_agent")
    assert mine <= _readable(db, "agent_anonymous") and not mine & _readable(db, "agent_full"), \
        "an assigned request's matches stay with its agent"


def test_a_reassignment_racing_a_matcher_batch_leaves_no_match_behind(world: psycopg.Connection, db_url: str) -> None:
    """The batch reads the request as unassigned and is still open when the request is given to an agent of
    another office: the reassignment waits for the batch (the matcher's lock), then rewrites its new matches."""
    db = world
    request = db.execute(f"""insert into public.requests (customer_id, request_type, criteria)
                             values ('{W.customer}', 'buy', '{CRITERIA}') returning id::text""").fetchone()[0]
    with psycopg.connect(db_url) as batch, psycopg.connect(db_url, autocommit=True) as writer:
        assert batch.execute("select public.process_match_events(100000)").fetchone()[0] > 0
        fresh = _ids(batch, "select id from public.portfolio_request_matches where request_id = %s", (request,))
        assert fresh, "positive control: the open batch made the request's matches"
        done = threading.Event()

        def reassign() -> None:
            writer.execute("update public.requests set assigned_agent = %s where id = %s", (W.agent_partial, request))
            done.set()

        t = threading.Thread(target=reassign)
        t.start()
        assert not done.wait(0.5), "the reassignment waits for the batch in flight"
        batch.commit()
        t.join(10)
        assert done.is_set()
    _check(db, "after the race")
    assert fresh <= _readable(db, "agent_partial") and not fresh & _readable(db, "listing_agent")
