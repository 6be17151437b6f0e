"""Attack class c5: a figure the listing's commission rate follows from is hidden from whoever may not
read the rate. closing_price / commission_total is the rate, so no API role reads deals.commission_total (a
column privilege: the bot and the dashboard do); the split rows add up to it, so only the listing side reads
them all. The buying agent reads its own row (what it is paid): with the public split that is the total, a
disclosure accepted at closing, when the co-broker is a party to the commission (docs/deals.md)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tests.attacks._deal_scene import DEAL_C, db, db_value, error, rows, scene_db  # noqa: F401
from tests.world import WORLD as W, act

PRICE = 12_000_000


@pytest.fixture(scope="module")
def closed(scene_db):
    """Deal C (co-broking, 2026-001 at 2 %) closed through the RPCs by its agents."""
    with act(scene_db, "agent_partial") as c:
        offer = c.execute("select id from public.make_offer(%s, %s)", (DEAL_C, PRICE)).fetchone()[0]
    with act(scene_db, "listing_agent") as c:
        c.execute("select public.accept_offer(%s)", (offer,))
        c.execute("select public.start_closing(%s)", (DEAL_C,))
        c.execute("select public.confirm_closing(%s)", (DEAL_C,))
    with act(scene_db, "agent_partial") as c:
        c.execute("select public.confirm_closing(%s)", (DEAL_C,))
    assert db_value(scene_db, "select (status, commission_total)::text from public.deals where id = %s", (DEAL_C,)) \
        == f"(closed,{PRICE * 2 // 100})"
    return DEAL_C


def test_the_customer_and_the_co_broker_cannot_read_the_total_nor_derive_the_rate(db, closed) -> None:
    for actor in ("customer", "agent_partial", "agent_full", "owner_customer"):
        for sql in ("select commission_total from public.deals where id = %s",
                    "select closing_price::numeric / commission_total from public.deals where id = %s",
                    "select count(*) from public.deals where id = %s and commission_total > 0",
                    "select * from public.deals where id = %s"):
            state, _ = error(db, actor, sql, (closed,))
            assert state == "42501", f"{actor}: {sql}"
    # the customer reads the price it pays, and no commission row
    assert rows(db, "customer", "select closing_price from public.deals where id = %s", (closed,)) == [(PRICE,)]
    assert rows(db, "customer", "select count(*) from public.platform_commissions where deal_id = %s", (closed,)) == [(0,)]
    # nor through its contract
    contract = rows(db, "customer", "select template_data::text from public.documents where deal_id = %s "
                                    "and type = 'contract'", (closed,))
    assert contract and "commission" not in contract[0][0] and str(PRICE * 2 // 100) not in contract[0][0]
    # the co-broker reads only its own row: not the listing side's nor the platform's, whose sum is the total
    assert rows(db, "agent_partial", "select role from public.platform_commissions where deal_id = %s", (closed,)) \
        == [("buying",)]
    # the deal RPCs never return it
    for actor in ("agent_partial", "listing_agent"):
        assert all(r[0] is None for r in rows(db, actor, "select commission_total from public.stale_deals(interval '1 second')"))


def test_the_listing_side_reads_the_split(db, closed) -> None:
    # positive control: the listing agent (who sets the rate) and its broker read every row, adding up to the total
    for actor in ("listing_agent", "broker", "admin"):
        split = rows(db, actor, "select sum(amount) from public.platform_commissions where deal_id = %s", (closed,))
        assert split == [(PRICE * 2 // 100,)]
        assert Decimal(split[0][0]) / PRICE * 100 == Decimal(2)
    assert rows(db, "service_role", "select commission_total from public.deals where id = %s", (closed,)) \
        == [(PRICE * 2 // 100,)]
