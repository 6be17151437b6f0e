"""Attacks, class c9: unbounded input. Each attack runs as the attacker would (its role and JWT,
through the RPCs and through direct table writes) and asserts it is refused at once with VC001 (or the
table's check, 23514) and leaves nothing behind; districts are stored in their reference spelling."""
from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.world import WORLD, act, load

W = WORLD


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(db_url, autocommit=True) as c:
        load(c)
        yield c


def _count(conn: psycopg.Connection, table: str) -> int:
    return conn.execute(f"select count(*) from public.{table}").fetchone()[0]


def _refused(conn, actor, sql, params=(), sqlstate="VC001", words=()) -> str:
    with pytest.raises(psycopg.Error) as e:
        with act(conn, actor):
            conn.execute(sql, params)
    assert e.value.diag.sqlstate == sqlstate, e.value
    assert all(w in str(e.value) for w in words), e.value
    return str(e.value)


CREATE_REQUEST = "select id from public.create_request(p_request_type => 'buy', p_criteria => %s, p_customer_id => %s)"


def test_20000_districts_are_refused_fast_write_nothing_and_block_no_listing(conn, db_url):
    before = _count(conn, "requests")
    crit = Jsonb({"districts": [f"Mahalle {i}" for i in range(20_000)], "types": ["daire"]})
    # the attacker's transaction stays open after the refused call: it must hold no lock
    with psycopg.connect(db_url) as attacker, psycopg.connect(db_url, autocommit=True) as lister:
        attacker.execute("set role authenticated")
        attacker.execute("select set_config('request.jwt.claims', %s, false)",
                         (f'{{"sub": "{W.customer}", "role": "authenticated"}}',))
        attacker.execute("savepoint probe")
        t0 = time.monotonic()
        with pytest.raises(psycopg.Error) as e:
            attacker.execute(CREATE_REQUEST, (crit, W.customer))
        assert time.monotonic() - t0 < 1.0
        assert e.value.diag.sqlstate == "VC001" and "criteria.districts" in str(e.value) and "20" in str(e.value)
        attacker.execute("rollback to savepoint probe")  # the transaction is still open
        # a listing of the same market in another connection goes through at once
        with act(lister, "listing_agent"):
            lister.execute("set local lock_timeout = '2s'")
            lister.execute("select public.create_listing(p_type => 'daire', p_listing_type => 'sale', p_title => 'Yeni 3+1',"
                           " p_district => 'Kadıköy', p_rooms => '3+1', p_listed_price => 9000000)")
        attacker.rollback()
    assert _count(conn, "requests") == before


def test_5mb_search_text_is_refused_and_stored_nowhere(conn):
    before = _count(conn, "market_signals")
    _refused(conn, "listing_agent", "select * from public.search_portfolios(p_query => %s)", ("daire " * 900_000,),
             words=("query", "200"))
    assert _count(conn, "market_signals") == before
    # nor through a direct write (a trusted session's insert: the column's check)
    with pytest.raises(psycopg.errors.CheckViolation):
        with conn.transaction():
            conn.execute("insert into public.market_signals (source_type, query_raw, match_count) values ('search', %s, 0)",
                         ("x" * 5_000_000,))
    assert _count(conn, "market_signals") == before


def test_20000_word_query_is_vc001_not_an_internal_error(conn):
    _refused(conn, "listing_agent", "select * from public.search_portfolios(p_query => %s)", ("ev " * 20_000,),
             words=("query",))
    # 25 short words fit in 200 characters and are still refused; 3 words are a search
    _refused(conn, "listing_agent", "select * from public.search_portfolios(p_query => %s)", ("a b " * 13,),
             words=("20 words",))
    with act(conn, "listing_agent", rollback=True):
        conn.execute("select * from public.search_portfolios(p_query => 'kadikoy daire 3+1')").fetchall()


def test_kadikoy_is_stored_as_kadikoy_with_its_letters(conn):
    with act(conn, "customer"):
        rid = conn.execute(CREATE_REQUEST, (Jsonb({"districts": ["kadikoy", "KADIKÖY", "besiktas"]}), W.customer)).fetchone()[0]
    assert conn.execute("select criteria -> 'districts' from public.requests where id = %s", (rid,)).fetchone()[0] \
        == ["Kadıköy", "Beşiktaş"]
    with act(conn, "listing_agent"):
        pid = conn.execute("select id from public.create_listing(p_type => 'daire', p_listing_type => 'sale',"
                           " p_title => 'Sahibinden', p_district => 'sisli', p_rooms => '2+1', p_listed_price => 7000000)").fetchone()[0]
        # a direct update is canonicalised too
        conn.execute("update public.portfolios set district = 'USKUDAR' where id = %s", (pid,))
    assert conn.execute("select city, district from public.portfolios where id = %s", (pid,)).fetchone() == ("İstanbul", "Üsküdar")


def test_atlantis_is_refused_everywhere(conn):
    before = (_count(conn, "requests"), _count(conn, "portfolios"))
    _refused(conn, "customer", CREATE_REQUEST, (Jsonb({"districts": ["Kadıköy", "Atlantis"]}), W.customer),
             words=("criteria.districts", "Atlantis"))
    _refused(conn, "customer", CREATE_REQUEST, (Jsonb({"districts": ["İstanbul"]}), W.customer), words=("province",))
    _refused(conn, "listing_agent", "select public.create_listing(p_type => 'daire', p_listing_type => 'sale',"
             " p_title => 'Deniz manzaralı', p_district => 'Atlantis', p_rooms => '2+1', p_listed_price => 7000000)",
             words=("district", "Atlantis"))
    # a district of another province than the listing's city
    _refused(conn, "listing_agent", "update public.portfolios set district = 'Çankaya' where id = %s", (W.listing,),
             words=("Çankaya", "Ankara"))
    _refused(conn, "listing_agent", "select * from public.search_portfolios(p_district => 'Atlantis')", words=("Atlantis",))
    assert (_count(conn, "requests"), _count(conn, "portfolios")) == before


def test_over_long_text_by_direct_write_is_refused_by_the_table(conn):
    _refused(conn, "listing_agent", "update public.portfolios set title = %s where id = %s", ("x" * 300, W.listing),
             sqlstate="23514")
    _refused(conn, "listing_agent", "update public.portfolio_confidential set private_notes = %s where portfolio_id = %s",
             ("x" * 1_000_000, W.listing), sqlstate="23514")
    _refused(conn, "listing_agent", "update public.portfolios set listed_price = 9000000000000000 where id = %s",
             (W.listing,), sqlstate="23514")
    # positive control: the listing agent may edit its notes within the bound
    with act(conn, "listing_agent", rollback=True):
        assert conn.execute("update public.portfolio_confidential set private_notes = 'acil' where portfolio_id = %s"
                            " returning 1", (W.listing,)).fetchone() == (1,)


# ------------------------------------------------------------------ numbers, slots and arrays (RPC parameters)
HUGE = 10**15  # a thousand times the 10^12 every amount is bounded by


def _offers(conn) -> list:
    return conn.execute("select id, amount, status from public.deal_negotiations order by id").fetchall()


def test_an_offer_of_10_15_is_refused_by_rpc_and_by_table(conn):
    before = _offers(conn)
    _refused(conn, "owner_customer", "select public.make_offer(%s, %s)", (W.deal_b, HUGE), words=("amount", "1000000000000"))
    # the customer may insert its own offer directly (docs/access.md): the table's bound holds there
    _refused(conn, "owner_customer", "insert into public.deal_negotiations (deal_id, from_contact_id, to_contact_id, amount)"
             " values (%s, %s, %s, %s)", (W.deal_b, W.owner_customer, W.listing_agent, HUGE), sqlstate="23514")
    assert _offers(conn) == before
    # positive control: a real offer goes through, and the answer to it is bounded too
    with act(conn, "owner_customer"):
        offer = conn.execute("select id from public.make_offer(%s, 11000000)", (W.deal_b,)).fetchone()[0]
    _refused(conn, "listing_agent", "select public.counter_offer(%s, %s)", (offer, HUGE), words=("amount",))
    assert conn.execute("select status from public.deal_negotiations where id = %s", (offer,)).fetchone() == ("pending",)


def test_a_closing_price_of_10_15_is_refused_even_from_the_dashboard(conn):
    _refused(conn, "listing_agent", "select public.start_closing(%s, %s)", (W.deal_b, HUGE), words=("closing_price", "1000000000000"))
    # a direct write meets the status trigger first; even with every trigger off (replica mode, the dashboard's
    # superuser) the table's own check holds the bound
    for column in ("closing_price", "offer_price", "commission_total"):
        with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
            conn.execute("set local session_replication_role = replica")
            conn.execute(f"update public.deals set {column} = %s where id = %s", (HUGE, W.deal_b))
    assert conn.execute("select status, closing_price, offer_price from public.deals where id = %s",
                        (W.deal_b,)).fetchone() == ("negotiating", None, None)


def _slots(conn) -> list:
    return conn.execute("select id, scheduled_at, ends_at from public.showings order by id").fetchall()


def test_a_showing_ten_years_ahead_blocks_nothing(conn):
    before = _slots(conn)
    _refused(conn, "listing_agent", "select public.schedule_showing(%s, now() + interval '10 years')", (W.deal_b,),
             words=("scheduled_at", "1 year"))
    _refused(conn, "listing_agent", "select public.reschedule_showing(%s, now() + interval '10 years')", (W.showing,),
             words=("scheduled_at", "1 year"))
    # the listing agent may write showings directly (docs/access.md): the trigger holds the same bound
    _refused(conn, "listing_agent", "insert into public.showings (portfolio_id, agent_id, customer_id, deal_id, scheduled_at)"
             " values (%s, %s, %s, %s, now() + interval '10 years')",
             (W.listing_b, W.listing_agent, W.owner_customer, W.deal_b), words=("scheduled_at", "1 year"))
    _refused(conn, "listing_agent", "update public.showings set scheduled_at = now() + interval '10 years',"
             " ends_at = now() + interval '10 years 1 hour' where id = %s", (W.showing,), words=("scheduled_at", "1 year"))
    assert _slots(conn) == before
    # positive control: eleven months ahead is a slot
    with act(conn, "listing_agent", rollback=True):
        conn.execute("select public.schedule_showing(%s, now() + interval '11 months')", (W.deal_b,))


def test_reorder_media_with_100k_ids_is_refused_at_once(conn):
    media = lambda: conn.execute("select id, sort_order from public.portfolio_media order by id").fetchall()  # noqa: E731
    before = media()
    ids = [str(uuid.uuid4()) for _ in range(100_000)] + [W.media]
    t0 = time.monotonic()
    _refused(conn, "listing_agent", "select public.reorder_media(%s, %s::uuid[])", (W.listing, ids), words=("media_ids", "100"))
    assert time.monotonic() - t0 < 2.0
    assert media() == before
    # a listing holds at most 100 media: the 101st is refused by the RPC (VC004) and by the table
    with act(conn, "listing_agent"):
        conn.execute("insert into public.portfolio_media (portfolio_id, media_type, storage_path, sort_order)"
                     " select %s, 'photo', 'p/' || i || '.jpg', i from generate_series(1, 99) i", (W.listing,))
    _refused(conn, "listing_agent", "select public.add_media(%s, 'photo', 'p/100.jpg')", (W.listing,), sqlstate="VC004",
             words=("100 media",))
    _refused(conn, "listing_agent", "insert into public.portfolio_media (portfolio_id, media_type, storage_path, sort_order)"
             " values (%s, 'photo', 'p/x.jpg', 100)", (W.listing,), sqlstate="23514")
    assert conn.execute("select count(*) from public.portfolio_media where portfolio_id = %s", (W.listing,)).fetchone() == (100,)
    # positive control: reordering all 100 is one call
    with act(conn, "listing_agent", rollback=True):
        ids = [r[0] for r in conn.execute("select id from public.portfolio_media where portfolio_id = %s order by sort_order desc",
                                          (W.listing,))]
        assert len(conn.execute("select * from public.reorder_media(%s, %s)", (W.listing, ids)).fetchall()) == 100


def test_long_texts_and_far_intervals_are_vc001_not_internal_errors(conn):
    for actor, sql, params, words in [
        ("listing_agent", "select public.update_listing(p_portfolio_id => %s, p_description => %s)", (W.listing, "x" * 5_000_000),
         ("description", "5000")),
        ("listing_agent", "select public.deactivate_listing(%s)", ("2026-" + "9" * 1_000_000,), ("portfolio_id", "20")),
        ("listing_agent", "select public.update_agent_profile(p_target_monthly => 2000000000)", (), ("target_monthly", "1000")),
        ("listing_agent", "select count(*) from public.stale_deals(interval '1000 years')", (), ("idle", "365 days")),
        ("service_role", "select count(*) from public.open_followups(interval '7 days', interval '1000 years')", (),
         ("remind_after", "365 days")),
        ("listing_agent", "select count(*) from public.portfolio_cards(null, 50, 2000000000)", (), ("offset", "100000")),
        ("service_role", "select public.upsert_contact(p_phone => '+905551112233', p_display_name => %s)", ("x" * 1_000_000,),
         ("display_name", "200")),
    ]:
        message = _refused(conn, actor, sql, params, words=words)
        assert len(message.splitlines()[0]) < 300  # the value is never echoed back
