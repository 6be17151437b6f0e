"""Attacks, class 9 (issue 11): unbounded input. Each attack runs as the attacker would (its role and JWT,
through the RPCs and through direct table writes) and asserts it is refused at once with VC001 (or the
table's check, 23514) and leaves nothing behind; districts are stored in their reference spelling."""
from __future__ import annotations

import time
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
