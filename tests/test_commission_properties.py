"""Commission properties, with hypothesis, against docs/commissions.md.

Over closing prices (1 .. 10^12), commission rates (0.01 .. 4.00 for a sale, up to 100 for a rental) and split
settings (random non-negative numeric(5,2) rates adding up to 100, single and cross):

1. the total: `guard.commission_total` equals an independent Python Decimal model (price x rate / 100,
   rounded half up to whole units);
2. the split: `guard.split_commission` of that total sums to it exactly, no amount is negative, each amount
   is within one unit of its exact share (total x rate / 100), and it equals a Python largest-remainder model
   (floors, then the leftover units to the largest remainders, ties to the earlier share);
3. end to end: a deal closed at that price on a listing with that rate, after `set_commission_split`, gets
   from `private.write_commissions` exactly the rows of the model (no buying row for a single deal), adding
   up to the deal's commission_total;
4. the cap: a sale rate above 4.00 is rejected with VC001 naming commission_rate, a rental's up to 100 accepted.

One database for the module (`module_db_url`) and one connection; each example's writes are rolled back.
Derandomized, so the run is reproducible.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

AGENT = "00000000-0000-4000-9d00-000000000001"  # Moda Emlak: lists both listings
OTHER_AGENT = "00000000-0000-4000-9d00-000000000002"  # Boğaziçi Gayrimenkul: brings the customer of a cross deal
CUSTOMER = "00000000-0000-4000-9d00-000000000003"
LISTINGS = {"sale": "2026-001", "rent": "2026-002"}
CENT = Decimal("0.01")

SETTINGS = dict(derandomize=True, deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


# ------------------------------------------------------------------------------------------ the model
def model_total(price: int, rate: Decimal) -> int:
    """docs/commissions.md: closing price x rate / 100, rounded half up to whole units."""
    return int((Decimal(price) * rate / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def model_split(total: int, rates: list[Decimal]) -> list[int]:
    """Largest remainder: floor of each exact share, the leftover units one each to the largest remainders,
    ties to the earlier share."""
    exact = [Decimal(total) * r / 100 for r in rates]
    floors = [int(e.to_integral_value(rounding=ROUND_FLOOR)) for e in exact]
    left = total - sum(floors)
    order = sorted(range(len(rates)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return floors


# ------------------------------------------------------------------------------------------ strategies
@dataclass(frozen=True)
class Case:
    price: int
    listing_type: str
    rate: Decimal  # the listing's commission_rate, percent
    deal_kind: str  # single or cross
    split: tuple[Decimal, Decimal, Decimal]  # listing, buying, platform: percent, adding up to 100

    @property
    def total(self) -> int:
        return model_total(self.price, self.rate)


def cents(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda n: Decimal(n) * CENT)


@st.composite
def splits(draw: st.DrawFn, deal_kind: str) -> tuple[Decimal, Decimal, Decimal]:
    """Non-negative numeric(5,2) rates adding up to 100: two cuts of 0..10000 hundredths (one, for a single
    deal, whose buying rate is 0); the ends and round numbers come up often."""
    cut = st.one_of(st.integers(0, 10_000), st.sampled_from([0, 1, 1000, 4500, 5000, 9000, 9999, 10_000]))
    if deal_kind == "single":
        a = draw(cut)
        return Decimal(a) * CENT, Decimal(0) * CENT, Decimal(10_000 - a) * CENT
    a, b = sorted((draw(cut), draw(cut)))
    return Decimal(a) * CENT, Decimal(b - a) * CENT, Decimal(10_000 - b) * CENT


@st.composite
def cases(draw: st.DrawFn) -> Case:
    listing_type = draw(st.sampled_from(["sale", "rent"]))
    rate = draw(cents(1, 400) if listing_type == "sale" else cents(1, 10_000))
    price = draw(st.one_of(st.integers(1, 10**12), st.integers(1, 1000), st.just(10**12)))
    deal_kind = draw(st.sampled_from(["single", "cross"]))
    return Case(price, listing_type, rate, deal_kind, draw(splits(deal_kind)))


# ------------------------------------------------------------------------------------------ the database
@pytest.fixture(scope="module")
def conn(module_db_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(module_db_url, autocommit=True) as c:
        with c.transaction():
            c.execute("""
              insert into public.contacts (id, phone, contact_type) values
                (%(a)s, '+905329200001', 'agent'), (%(o)s, '+905329200002', 'agent'),
                (%(c)s, '+905329200003', 'customer')""", {"a": AGENT, "o": OTHER_AGENT, "c": CUSTOMER})
            c.execute("""
              insert into public.agent_profiles (contact_id, role, office) values
                (%(a)s, 'agent', 'Moda Emlak'), (%(o)s, 'agent', 'Boğaziçi Gayrimenkul')""",
                      {"a": AGENT, "o": OTHER_AGENT})
            for listing_type, pid in LISTINGS.items():
                c.execute("""
                  insert into public.portfolios (id, agent_id, type, listing_type, title, district, rooms, listed_price)
                  values (%s, %s, 'daire', %s, 'Moda 3+1', 'Kadıköy', '3+1', 10000000)""", (pid, AGENT, listing_type))
                c.execute("insert into public.portfolio_confidential (portfolio_id, commission_rate) values (%s, 1)",
                          (pid,))
        yield c


def sql_total(c: psycopg.Connection, price: int, rate: Decimal) -> int:
    return c.execute("select guard.commission_total(%s, %s)", (price, rate)).fetchone()[0]


def sql_split(c: psycopg.Connection, total: int, rates: list[Decimal]) -> list[int]:
    return c.execute("select guard.split_commission(%s, %s::numeric[])", (total, rates)).fetchone()[0]


# ------------------------------------------------------------------------------------------ properties
@settings(max_examples=500, **SETTINGS)
@given(case=cases())
@example(case=Case(3_333_333, "sale", Decimal("2.00"), "single", (Decimal(90), Decimal(0), Decimal(10))))
@example(case=Case(1, "sale", Decimal("0.01"), "cross", (Decimal(45), Decimal(45), Decimal(10))))
@example(case=Case(50, "rent", Decimal("1.00"), "cross", (Decimal(45), Decimal(45), Decimal(10))))  # 0,5 -> 1
@example(case=Case(10**12, "rent", Decimal("100.00"), "cross", (Decimal("33.33"), Decimal("33.33"), Decimal("33.34"))))
@example(case=Case(7, "rent", Decimal("100.00"), "cross", (Decimal("33.33"), Decimal("33.33"), Decimal("33.34"))))
def test_total_and_split(conn: psycopg.Connection, case: Case) -> None:
    total = sql_total(conn, case.price, case.rate)
    assert total == case.total, "commission_total differs from price x rate / 100 rounded half up"
    rates = list(case.split)
    amounts = sql_split(conn, total, rates)
    assert sum(amounts) == total, "the split does not add up to the total"
    assert all(a >= 0 for a in amounts), "a negative amount"
    for amount, rate in zip(amounts, rates, strict=True):
        assert abs(Decimal(amount) - Decimal(total) * rate / 100) < 1, "an amount is a unit or more off its exact share"
    assert amounts == model_split(total, rates), "the split differs from the largest-remainder model"


def _close(c: psycopg.Connection, case: Case) -> tuple[str, int]:
    """A deal on the case's listing, walked to closed at the case's price; returns its id and total."""
    pid = LISTINGS[case.listing_type]
    c.execute("update public.portfolio_confidential set commission_rate = %s where portfolio_id = %s", (case.rate, pid))
    c.execute("select public.set_commission_split(%s, %s, %s, %s)", (case.deal_kind, *case.split))
    buying = OTHER_AGENT if case.deal_kind == "cross" else None
    deal = c.execute("insert into public.deals (portfolio_id, customer_id, listing_agent_id, buying_agent_id) "
                     "values (%s, %s, %s, %s) returning id", (pid, CUSTOMER, AGENT, buying)).fetchone()[0]
    # as the deal pipeline closes it: an accepted offer at the price, closing, every side confirmed
    c.execute("update public.deals set status = 'showing' where id = %s", (deal,))
    c.execute("insert into public.deal_negotiations (deal_id, from_contact_id, to_contact_id, amount) "
              "values (%s, %s, %s, %s)", (deal, AGENT, AGENT, case.price))
    c.execute("update public.deal_negotiations set status = 'accepted' where deal_id = %s", (deal,))
    c.execute("update public.deals set status = 'closing' where id = %s", (deal,))
    c.execute("update public.deal_confirmations set confirmed = true where deal_id = %s", (deal,))
    total = c.execute("select commission_total from public.deals where id = %s", (deal,)).fetchone()[0]
    return deal, total


@settings(max_examples=150, **SETTINGS)
@given(case=cases())
@example(case=Case(1, "sale", Decimal("4.00"), "cross", (Decimal(45), Decimal(45), Decimal(10))))
@example(case=Case(10**12, "sale", Decimal("4.00"), "single", (Decimal("0.01"), Decimal(0), Decimal("99.99"))))
def test_write_commissions_writes_the_model(conn: psycopg.Connection, case: Case) -> None:
    with conn.transaction(force_rollback=True):
        deal, total = _close(conn, case)
        assert total == case.total
        conn.execute("select private.write_commissions(%s)", (deal,))
        conn.execute("select private.write_commissions(%s)", (deal,))  # once only
        rows = conn.execute("select role, contact_id::text, rate, amount, status from public.platform_commissions "
                            "where deal_id = %s order by role", (deal,)).fetchall()
    listing, buying, platform = model_split(total, list(case.split))
    expected = [("listing", AGENT, case.split[0], listing, "pending"),
                ("platform", None, case.split[2], platform, "pending")]
    if case.deal_kind == "cross":
        expected.insert(0, ("buying", OTHER_AGENT, case.split[1], buying, "pending"))
    assert rows == expected
    assert sum(r[3] for r in rows) == total, "the rows do not add up to commission_total"


@settings(max_examples=100, **SETTINGS)
@given(listing_type=st.sampled_from(["sale", "rent"]), rate=cents(1, 10_000))
@example(listing_type="sale", rate=Decimal("4.00"))
@example(listing_type="sale", rate=Decimal("4.01"))
@example(listing_type="rent", rate=Decimal("100.00"))
def test_the_legal_cap(conn: psycopg.Connection, listing_type: str, rate: Decimal) -> None:
    pid = LISTINGS[listing_type]
    update = "update public.portfolio_confidential set commission_rate = %s where portfolio_id = %s"
    with conn.transaction(force_rollback=True):
        if listing_type == "sale" and rate > 4:
            with pytest.raises(psycopg.Error) as caught:
                conn.execute(update, (rate, pid))
            assert caught.value.diag.sqlstate == "VC001"
            assert caught.value.diag.message_primary == \
                f"commission_rate {rate} exceeds the legal cap of 4% of the sale price"
        else:
            conn.execute(update, (rate, pid))
            assert conn.execute("select commission_rate from public.portfolio_confidential where portfolio_id = %s",
                                (pid,)).fetchone() == (rate,)


def test_the_model_is_the_documented_rule() -> None:
    """The model itself, on the examples of docs/commissions.md (a sanity check of the model)."""
    assert model_total(3_333_333, Decimal(2)) == 66_667
    assert model_total(50, Decimal(1)) == 1 and model_total(250, Decimal(1)) == 3
    assert model_split(100, [Decimal(45), Decimal(45), Decimal(10)]) == [45, 45, 10]
    assert model_split(1, [Decimal(45), Decimal(45), Decimal(10)]) == [1, 0, 0]
    assert model_split(66_667, [Decimal(90), Decimal(0), Decimal(10)]) == [60_000, 0, 6_667]
