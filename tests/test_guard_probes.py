"""The per-row probes agree with the sets they stand for, for every actor of the world.

`guard.is_related_contact(c)` must say of each contact exactly what `c in guard.related_contact_ids()` says, and
`guard.readable_matches` (the one statement of who may read a match) must list exactly the matches the table's
policy lets a non-staff caller read. The world is widened first with an unassigned request matched to the
listing agent's listing and a request of another office, so that each branch of both rules is exercised.
"""
from __future__ import annotations

import psycopg
import pytest

from tests.harness import drain
from tests.world import ACTORS, WORLD as W, act, load

SIGNED_IN = [a for a in ACTORS if a not in ("anon", "service_role")]
CRITERIA = '{"districts": ["Kadıköy"], "types": ["daire"], "max_price": 13000000}'


@pytest.fixture(scope="module")
def world(module_db_url: str):
    with psycopg.connect(module_db_url, autocommit=True) as db:
        load(db)
        # an unassigned request (the listing side reads its matches) and one assigned to another office
        db.execute(f"""insert into public.requests (customer_id, request_type, criteria)
                       values ('{W.customer}', 'buy', '{CRITERIA}'),
                              ('{W.customer}', 'buy', '{CRITERIA}')""")
        db.execute(f"""update public.requests set assigned_agent = '{W.agent_partial}', status = 'assigned'
                       where id = (select id from public.requests where customer_id = '{W.customer}'
                                   order by id limit 1)""")
        drain(db)
        yield db


def _as(db: psycopg.Connection, actor: str, sql: str) -> set[str]:
    with act(db, actor, rollback=True) as c:
        return {str(r[0]) for r in c.execute(sql).fetchall()}


@pytest.mark.parametrize("actor", SIGNED_IN)
def test_is_related_contact_agrees_with_the_set(world: psycopg.Connection, actor: str) -> None:
    probed = _as(world, actor, "select id from public.contacts where guard.is_related_contact(id)")
    listed = _as(world, actor, "select id from guard.related_contact_ids() id")
    all_contacts = {str(r[0]) for r in world.execute("select id from public.contacts").fetchall()}
    assert probed == listed & all_contacts


@pytest.mark.parametrize("actor", SIGNED_IN)
def test_readable_matches_is_what_the_policy_shows(world: psycopg.Connection, actor: str) -> None:
    table = _as(world, actor, "select id from public.portfolio_request_matches")
    view = _as(world, actor, "select id from guard.readable_matches")
    if actor in ("admin", "owner"):
        every = {str(r[0]) for r in world.execute("select id from public.portfolio_request_matches").fetchall()}
        assert table == every and view <= table
    else:
        assert table == view


def test_the_world_exercises_every_branch(world: psycopg.Connection) -> None:
    """Positive controls: each branch of both rules admits someone and refuses someone."""
    assert W.owner_customer in _as(world, "listing_agent", "select id from public.contacts where guard.is_related_contact(id)")
    assert W.owner_customer not in _as(world, "agent_partial", "select id from public.contacts where guard.is_related_contact(id)")
    assert W.customer in _as(world, "agent_partial", "select id from public.contacts where guard.is_related_contact(id)")
    unassigned = {str(r[0]) for r in world.execute(
        "select m.id from public.portfolio_request_matches m join public.requests r on r.id = m.request_id "
        "where r.assigned_agent is null").fetchall()}
    other_office = {str(r[0]) for r in world.execute(
        "select m.id from public.portfolio_request_matches m join public.requests r on r.id = m.request_id "
        "where r.assigned_agent = %s", (W.agent_partial,)).fetchall()}
    assert unassigned and other_office
    listing_side = _as(world, "listing_agent", "select id from public.portfolio_request_matches")
    assert unassigned <= listing_side and not (other_office & listing_side)
    assert other_office <= _as(world, "agent_partial", "select id from public.portfolio_request_matches")
    assert not _as(world, "customer", "select id from guard.readable_matches")
