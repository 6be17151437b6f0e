"""Dual confirm closes a deal exactly once (docs/deals.md "Closing").

Both agents of a cross-agent deal confirm at the same instant from two real connections (threads released
together by a barrier), deal after deal, 200 times. Every time: exactly one of the two calls answers
`closed` and the other `confirmed` (whichever came second closed it), no error, and the database holds one
closing: the deal closed once, one set of three commission rows adding up to commission_total, one
contract, the listing sold once (one `sold` history row), the request closed. Then both confirm again at
the same instant: both get the documented `already_closed` answer and nothing changes. The same race is run
with direct updates of deal_confirmations (the table API a dashboard or PostgREST client uses).
"""
from __future__ import annotations

import threading

import psycopg
import pytest

from tests.world import act

LISTING_AGENT = "00000000-0000-4000-9c00-000000000001"
BUYING_AGENT = "00000000-0000-4000-9c00-000000000002"
CUSTOMER = "00000000-0000-4000-9c00-000000000003"
DEALS = 200

SETUP = f"""
insert into public.contacts (id, phone, contact_type, display_name) values
  ('{LISTING_AGENT}', '+905329100001', 'agent', 'Ayşe Yılmaz'),
  ('{BUYING_AGENT}', '+905329100002', 'agent', 'Can Demir'),
  ('{CUSTOMER}', '+905559100003', 'customer', 'Zehra Polat');
insert into public.agent_profiles (contact_id, role, office) values
  ('{LISTING_AGENT}', 'agent', 'Moda Emlak'), ('{BUYING_AGENT}', 'agent', 'Boğaziçi Gayrimenkul');
insert into public.portfolios (agent_id, type, listing_type, title, district, rooms, listed_price)
select '{LISTING_AGENT}', 'daire', 'sale', 'Moda''da 3+1 no ' || g, 'Kadıköy', '3+1', 10000000 + g * 1001
from generate_series(1, {DEALS}) g;
insert into public.portfolio_confidential (portfolio_id, commission_rate) select id, 2.50 from public.portfolios;
insert into public.requests (customer_id, assigned_agent, request_type, criteria)
select '{CUSTOMER}', '{BUYING_AGENT}', 'buy', '{{"districts": ["Kadıköy"], "min_price": 1}}' from generate_series(1, {DEALS});
-- one deal per listing, each with its own request; walked to closing through the status machine
insert into public.deals (portfolio_id, customer_id, buying_agent_id, request_id)
select p.id, '{CUSTOMER}', '{BUYING_AGENT}', r.id
from (select id, row_number() over (order by id) n from public.portfolios) p
join (select id, row_number() over (order by id) n from public.requests) r using (n);
update public.deals set status = 'showing';
insert into public.deal_negotiations (deal_id, from_contact_id, to_contact_id, amount)
select d.id, '{BUYING_AGENT}', '{LISTING_AGENT}', p.listed_price - 7 from public.deals d join public.portfolios p on p.id = d.portfolio_id;
update public.deal_negotiations set status = 'accepted';
update public.deals set status = 'closing';
"""


CONFIRM = {
    # the RPC, as the client and the CLI call it
    "rpc": "select outcome from public.confirm_closing(%(deal)s)",
    # a direct update as through PostgREST's table API: the triggers alone must close the deal once
    "update": """with c as (update public.deal_confirmations set confirmed = true
                            where deal_id = %(deal)s and agent_id = auth.uid() returning deal_id)
                 select 'confirmed' from c""",
}


def _race(db_url: str, deal_ids: list[str], how: str = "rpc") -> dict[str, list[tuple[str, str]]]:
    """Both agents confirm each deal at the same instant; per deal, the (agent, outcome or error) pairs.
    With a direct update the outcome is `closed` when the deal is closed right after it, in its transaction."""
    barrier = threading.Barrier(2)
    results: dict[str, list[tuple[str, str]]] = {d: [] for d in deal_ids}
    lock = threading.Lock()

    def side(agent: str) -> None:
        with psycopg.connect(db_url, autocommit=True) as conn:
            for deal in deal_ids:
                barrier.wait()
                try:
                    with act(conn, agent):
                        outcome = conn.execute(CONFIRM[how], {"deal": deal}).fetchone()[0]
                        if how == "update" and conn.execute("select status from public.deals where id = %s",
                                                            (deal,)).fetchone()[0] == "closed":
                            outcome = "closed"
                except psycopg.Error as e:
                    outcome = f"error {e.sqlstate}: {e}"
                with lock:
                    results[deal].append((agent, outcome))

    threads = [threading.Thread(target=side, args=(agent,)) for agent in (LISTING_AGENT, BUYING_AGENT)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.fixture
def closing_deals(db: psycopg.Connection) -> list[str]:
    with db.transaction():
        db.execute(SETUP.encode())
    ids = [r[0] for r in db.execute("select id::text from public.deals where status = 'closing' order by portfolio_id")]
    assert len(ids) == DEALS
    return ids


@pytest.mark.parametrize("how", ["rpc", "update"])
def test_both_sides_confirming_at_once_close_each_deal_exactly_once(db: psycopg.Connection, db_url: str,
                                                                     closing_deals: list[str], how: str) -> None:
    results = _race(db_url, closing_deals, how)
    bad = {d: r for d, r in results.items() if sorted(o for _, o in r) != ["closed", "confirmed"]}
    assert bad == {}, f"{len(bad)} of {DEALS} races did not end in exactly one closing: {list(bad.items())[:3]}"

    closings = db.execute("""
        select count(*) filter (where d.status = 'closed' and d.closed_at is not null),
               count(*) filter (where (select count(*) from public.platform_commissions c where c.deal_id = d.id) = 3
                                  and (select sum(c.amount) from public.platform_commissions c where c.deal_id = d.id)
                                      = d.commission_total
                                  and d.commission_total = round(d.closing_price * 2.50 / 100)),
               count(*) filter (where (select count(*) from public.documents x
                                       where x.deal_id = d.id and x.type = 'contract') = 1),
               count(*) filter (where (select count(*) from public.portfolio_history h
                                       where h.portfolio_id = d.portfolio_id and h.event_type = 'sold') = 1
                                  and (select p.status from public.portfolios p where p.id = d.portfolio_id) = 'sold'),
               count(*) filter (where (select r.status from public.requests r where r.id = d.request_id) = 'closed')
        from public.deals d""").fetchone()
    assert closings == (DEALS,) * 5, "closed / commissions / contract / sold once / request closed, per deal"

    before = db.execute("select count(*) from public.platform_commissions").fetchone()[0]
    again = _race(db_url, closing_deals[:50])
    assert {o for r in again.values() for _, o in r} == {"already_closed"}, "a late confirmation is an answer"
    assert db.execute("select count(*) from public.platform_commissions").fetchone()[0] == before
