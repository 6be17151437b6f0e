"""Request rules through VicClient and the CLI: who files and assigns, the daily budget limit and
the brokers' churn report (budget_churn, `vic request churn`)."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from tests.cli_run import ok, one_error_line, vic
from vic import errors
from vic.client import VicClient

ADMIN = "00000000-0000-4000-8000-0000000e0001"
BROKER = "00000000-0000-4000-8000-0000000e0002"  # Moda Emlak
AGENT = "00000000-0000-4000-8000-0000000e0003"  # Moda Emlak
OTHER_BROKER = "00000000-0000-4000-8000-0000000e0004"  # Beşiktaş Gayrimenkul
OTHER_AGENT = "00000000-0000-4000-8000-0000000e0005"  # Beşiktaş Gayrimenkul
CUSTOMER = "00000000-0000-4000-8000-0000000e0006"
FLATS = {"districts": ["Kadıköy"], "types": ["daire"]}


@pytest.fixture
def cast(db: psycopg.Connection) -> None:
    with db.transaction():
        db.execute("""insert into public.contacts (id, phone, display_name, contact_type) values
            (%s, '+905320000101', 'Ayşe Yönetici', 'staff'), (%s, '+905320000102', 'Mehmet Broker', 'agent'),
            (%s, '+905320000103', 'Elif Danışman', 'agent'), (%s, '+905320000104', 'Kerem Broker', 'agent'),
            (%s, '+905320000105', 'Can Başka', 'agent'), (%s, '+905320000106', 'Zeynep Müşteri', 'customer')""",
                   (ADMIN, BROKER, AGENT, OTHER_BROKER, OTHER_AGENT, CUSTOMER))
        db.execute("""insert into public.agent_profiles (contact_id, role, office) values
            (%s, 'admin', null), (%s, 'broker', 'Moda Emlak'), (%s, 'agent', 'Moda Emlak'),
            (%s, 'broker', 'Beşiktaş Gayrimenkul'), (%s, 'agent', 'Beşiktaş Gayrimenkul')""",
                   (ADMIN, BROKER, AGENT, OTHER_BROKER, OTHER_AGENT))




@pytest.mark.usefixtures("cast")
def test_parties_of_a_request(as_, db_url: str) -> None:
    with as_(db_url, CUSTOMER) as vic_, pytest.raises(errors.AccessDenied, match="assigned_agent"):
        vic_.create_request(request_type="buy", criteria=FLATS, assigned_agent=AGENT)
    with as_(db_url, AGENT) as vic_, pytest.raises(errors.AccessDenied):
        vic_.create_request(request_type="buy", criteria=FLATS, customer_id=AGENT, assigned_agent=AGENT)
    with as_(db_url, service_role=True) as bot:  # the bot brings the customer to the office
        bot.create_request(request_type="rent", criteria={}, customer_id=CUSTOMER, assigned_agent=BROKER)
    with as_(db_url, BROKER) as broker:  # a broker files for its office's customer, assigned to its office's agent
        row = broker.create_request(request_type="buy", criteria=FLATS, customer_id=CUSTOMER, assigned_agent=AGENT)
        assert (row["status"], row["assigned_agent"]) == ("assigned", uuid.UUID(AGENT))
        with pytest.raises(errors.AccessDenied):  # not to another office's agent
            broker.create_request(request_type="buy", criteria=FLATS, customer_id=CUSTOMER, assigned_agent=OTHER_AGENT)
    with as_(db_url, AGENT) as agent:  # now the agent serves the customer: it files the next request itself
        assert agent.create_request(request_type="rent", criteria={}, customer_id=CUSTOMER,
                                    assigned_agent=AGENT)["status"] == "assigned"
    with as_(db_url, service_role=True) as bot:
        with pytest.raises(errors.InvalidInput, match="customer_id"):
            bot.create_request(request_type="buy", criteria=FLATS, customer_id=OTHER_AGENT)
        with pytest.raises(errors.InvalidInput, match="assigned_agent"):
            bot.create_request(request_type="buy", criteria=FLATS, customer_id=CUSTOMER, assigned_agent=CUSTOMER)


@pytest.mark.usefixtures("cast")
def test_budget_limit_and_churn_report(as_, db_url: str) -> None:
    with as_(db_url, service_role=True) as bot:
        moda = bot.create_request(request_type="buy", criteria=FLATS, customer_id=CUSTOMER, assigned_agent=AGENT)["id"]
        besiktas = bot.create_request(request_type="buy", criteria=FLATS, customer_id=CUSTOMER,
                                      assigned_agent=OTHER_AGENT)["id"]
    with as_(db_url, AGENT) as agent:
        for price in (10_000_000, 11_000_000, 12_000_000):
            agent.update_request_criteria(request_id=moda, criteria={**FLATS, "max_price": price})
        with pytest.raises(errors.Conflict, match="max_price"):
            agent.update_request_criteria(request_id=moda, criteria={**FLATS, "max_price": 13_000_000})
        agent.update_request_criteria(request_id=moda, criteria={"districts": ["Kadıköy"], "max_price": 12_000_000})
    with as_(db_url, service_role=True) as bot:
        bot.update_request_criteria(request_id=besiktas, criteria={**FLATS, "min_price": 1_000_000})
    with as_(db_url, BROKER) as broker:
        rows = broker.budget_churn()
        assert [(r["request_id"], r["assigned_agent"], r["changes"]) for r in rows] == \
            [(moda, uuid.UUID(AGENT), 3)]
        assert rows[0]["agent_name"] and rows[0]["max_price"] == 12_000_000  # who, and the budget now
        assert broker.budget_churn(min_changes=4) == []
        assert broker.budget_churn(since=datetime.now(UTC) + timedelta(minutes=1)) == []
        with pytest.raises(errors.InvalidInput):
            broker.budget_churn(min_changes=0)
    with as_(db_url, OTHER_BROKER) as other:  # another office's broker sees its own office only
        assert [r["request_id"] for r in other.budget_churn(min_changes=1)] == [besiktas]
    with as_(db_url, ADMIN) as admin:
        assert {r["request_id"] for r in admin.budget_churn(min_changes=1)} == {moda, besiktas}
    for who in (AGENT, CUSTOMER):
        with as_(db_url, who) as vic_, pytest.raises(errors.AccessDenied):
            vic_.budget_churn()


@pytest.mark.usefixtures("cast")
def test_cli_request_churn(psycopg_as, db_url: str) -> None:
    with psycopg_as(db_url, service_role=True) as bot:
        moda = bot.create_request(request_type="buy", criteria=FLATS, customer_id=CUSTOMER, assigned_agent=AGENT)["id"]
    for price in ("10000000", "11000000", "12.000.000"):
        ok("--as", AGENT, "request", "criteria", str(moda), "--district", "Kadıköy", "--type", "daire",
           "--max-price", price, "--database-url", db_url)
    line = one_error_line(vic("--as", AGENT, "request", "criteria", str(moda), "--max-price", "13000000",
                              "--database-url", db_url))
    assert "--max-price" in line, line
    out = ok("--as", BROKER, "request", "churn", "--database-url", db_url)
    assert str(moda) in out and "Budget churn" in out and "12.000.000" in out
    assert "no request" in ok("--as", BROKER, "request", "churn", "--min-changes", "4", "--database-url", db_url)
    assert "no request" in ok("--as", BROKER, "request", "churn", "--since", "2099-01-01", "--database-url", db_url)
    assert "error" in one_error_line(vic("--as", AGENT, "request", "churn", "--database-url", db_url))
