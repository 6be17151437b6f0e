"""The read commands of the `vic` CLI (CliRunner) on the access world (tests/world.py): `match list`, `match
explain`, `deal list|show`, `request list|show`, `task list`, `commission list`, `listing show`, `contact show`.
Each prints a table that fits 100 columns with names and Istanbul times, or with --json exactly what the RPC
returned; a refusal or a bad value is one line `error: …`, exit 1."""
from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import psycopg
import pytest

from tests.cli_run import ok, one_error_line, vic
from tests.world import WORLD as W
from tests.world import load

ISTANBUL = ZoneInfo("Europe/Istanbul")
MISSING = "00000000-0000-4000-8000-00000000dead"
FLOOR = ("11800000", "11.800.000")


@pytest.fixture
def url(db: psycopg.Connection, db_url: str) -> list[str]:
    load(db)
    return ["--database-url", db_url]


def read(actor: str, *args: str) -> str:
    """`vic --as <actor> args…`, which must succeed; every line fits 100 columns, and 80."""
    for columns in ("80", "100"):
        result = vic("--as", getattr(W, actor), *args, COLUMNS=columns)
        assert result.exit_code == 0, result.output
        assert max(len(line) for line in result.output.splitlines()) <= int(columns), result.output
    return result.output


def as_json(actor: str, *args: str) -> object:
    return json.loads(ok("--as", getattr(W, actor), *args, "--json"))


def test_match_list_and_explain(url: list[str], db: psycopg.Connection) -> None:
    output = read("listing_agent", "match", "list", *url)
    assert W.listing in output and "Matches:" in output
    rows = as_json("listing_agent", "match", "list", "--listing", W.listing, "--request", W.request, *url)
    assert [(r["match_id"], r["portfolio_id"]) for r in rows] == [(W.match, W.listing)]
    assert rows[0]["created_at"].endswith("+03:00"), "times in Istanbul, offset kept"
    assert "no matches" in read("agent_anonymous", "match", "list", *url)
    explained = read("listing_agent", "match", "explain", W.listing, W.request, *url)
    (score,) = db.execute("select match_score from public.portfolio_request_matches where id = %s", (W.match,)).fetchone()
    assert "hard filter + scored" in explained and f"match" in explained and f"{score}/5" in explained
    rows = as_json("listing_agent", "match", "explain", W.listing, W.request, *url)
    assert {r["verdict"] for r in rows} == {"match"} and sum(r["points"] for r in rows) == score


def test_deal_list_and_show(url: list[str]) -> None:
    output = read("listing_agent", "deal", "list", *url)
    assert "Deals: 2" in output and "closing" in output and W.listing in output
    assert [r["deal_id"] for r in as_json("listing_agent", "deal", "list", "--status", "closing", *url)] == [W.deal]
    shown = read("listing_agent", "deal", "show", W.deal, *url)
    for expected in ("closing", "Offers", "accepted", "Showings", "Closing confirmations", "Commission rows", "listing"):
        assert expected in shown, expected
    row = as_json("owner_customer", "deal", "show", W.deal, *url)
    assert row["deal_id"] == W.deal and isinstance(row["offers"], list)
    assert "no deals" in read("agent_anonymous", "deal", "list", *url)
    assert "not found or not yours" in one_error_line(vic("--as", W.agent_anonymous, "deal", "show", W.deal, *url))
    assert "not found or not yours" in one_error_line(vic("--as", W.agent_anonymous, "deal", "show", MISSING, *url))


def test_request_list_and_show(url: list[str]) -> None:
    output = read("listing_agent", "request", "list", *url)
    assert "Requests:" in output and "Kadıköy" in output
    rows = as_json("listing_agent", "request", "list", "--status", "assigned", *url)
    assert W.request in {r["request_id"] for r in rows}
    shown = read("listing_agent", "request", "show", W.request, *url)
    assert "wants" in shown and "budget" in shown and "matches" in shown
    assert as_json("owner_customer", "request", "show", W.request, *url)["request_id"] == W.request
    assert "not found or not yours" in one_error_line(vic("--as", W.agent_partial, "request", "show", W.request, *url))


def test_task_and_commission_lists(url: list[str]) -> None:
    assert "Tasks: 1" in read("listing_agent", "task", "list", *url)
    assert [t["task_id"] for t in as_json("listing_agent", "task", "list", *url)] == [W.task]
    assert W.task in {t["task_id"] for t in as_json("broker", "task", "list", "--status", "all", *url)}
    assert "no tasks" in read("owner_customer", "task", "list", *url)
    output = read("listing_agent", "commission", "list", *url)
    assert "Commissions: 1" in output and "₺" in output and "listing" in output
    assert [c["commission_id"] for c in as_json("listing_agent", "commission", "list", *url)] == [W.commission]
    assert as_json("agent_anonymous", "commission", "list", *url) == []


def test_listing_show_confidential_only_for_its_readers(url: list[str]) -> None:
    mine = read("listing_agent", "listing", "show", W.listing, *url)
    assert "floor price (confidential)" in mine and "11.800.000" in mine
    for actor, level in (("agent_partial", "partial"), ("agent_anonymous", "anonymous")):
        theirs = read(actor, "listing", "show", W.listing, *url)
        assert level in theirs and "confidential" not in theirs
        assert not any(f in theirs for f in FLOOR)
        row = as_json(actor, "listing", "show", W.listing, *url)
        assert row["min_price"] is None and row["owner_name"] is None
    assert "not found or not yours" in one_error_line(vic("--as", W.customer, "listing", "show", W.listing, *url))


def test_contact_show(url: list[str]) -> None:
    me = read("owner_customer", "contact", "show", *url)
    assert "consent: transfer" in me and "WhatsApp window" in me
    row = as_json("listing_agent", "contact", "show", W.owner_customer, *url)
    assert row["contact_id"] == W.owner_customer and row["window_open"] is None
    assert "not found or not yours" in one_error_line(vic("--as", W.agent_anonymous, "contact", "show",
                                                          W.owner_customer, *url))


@pytest.mark.parametrize("argv, message", [
    (("match", "list", "--limit", "501"), "limit must be between 1 and 500"),
    (("deal", "list", "--limit", "99999999999999999999"), "--limit: 99999999999999999999 is far too large"),
    (("deal", "list", "--status", "bogus"), "status bogus is not one of"),
    (("request", "list", "--offset", "-1"), "offset must be between 0 and 100000"),
    (("task", "list", "--status", "later"), "status later is not one of pending, done, cancelled, all"),
    (("commission", "list", "--status", "x"), "status x is not one of pending, invoiced, paid"),
    (("deal", "show", "not-a-uuid"), "DEAL_ID: not an id"),
    (("listing", "show", "2026-" + "1" * 30), "PORTFOLIO_ID must be at most 20 characters"),
])
def test_bad_values_are_one_line(url: list[str], argv: tuple[str, ...], message: str) -> None:
    assert message in one_error_line(vic("--as", W.listing_agent, *argv, *url))
