"""The demo seed loads on the migrated schema, twice without change, and `vic demo` prints it, then
plays the matching story (a listing, a request, their matches explained, notifications, a search)."""

from __future__ import annotations

import re

import psycopg
from typer.testing import CliRunner

from vic import migrate
from vic.cli import app

TABLES = ("contacts", "agent_profiles", "portfolios", "portfolio_confidential", "portfolio_media",
          "requests", "sessions", "message_log")


def counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {t: conn.execute(f"select count(*) from public.{t}").fetchone()[0] for t in TABLES}


def test_seed_is_realistic_and_rerunnable(db_url: str) -> None:
    migrate.load_seed(db_url)
    first = counts(db_url)
    migrate.load_seed(db_url)
    assert counts(db_url) == first
    assert first["portfolios"] >= 10 and first["requests"] >= 4
    with psycopg.connect(db_url) as conn:
        offices = conn.execute("select count(distinct office) from public.agent_profiles").fetchone()[0]
        districts = conn.execute("select count(distinct district) from public.portfolios").fetchone()[0]
    assert offices == 2 and districts >= 6


def demo(url: str) -> str:
    result = CliRunner().invoke(app, ["demo", "--database-url", url], env={"VIC_DATABASE_URL": None})
    assert result.exit_code == 0, result.output
    return result.output


def section(output: str, title: str) -> str:
    """The table titled `title…`: from its title to its bottom border."""
    start = output.index(title)
    bottom = output.index("\n└", start)
    return output[start: output.index("\n", bottom + 1)]


# The floor prices of the demo, the seed's (2026-001 … 2026-011) and the story listing's, and the owners:
# none may be printed, in any form.
FLOORS = (11_800_000, 1_700_000, 8_500_000, 2_250_000, 26_000_000, 900_000, 12_400_000)
OWNERS = ("Hasan Kaya", "Fatma Güneş", "Orhan Er", "Leyla Tan", "Kemal Sezer", "Nur Ateş", "Orhan Yıldız")


def leaks(output: str) -> list[str]:
    """Floors (as 11.800.000 or 11800000, not inside a longer number) and owners' names found in the output."""
    found = [o for o in OWNERS if o in output]
    for floor in FLOORS:
        for text in (f"{floor:,}".replace(",", "."), str(floor)):
            if re.search(rf"(?<![0-9.]){re.escape(text)}(?![0-9]|\.[0-9])", output):
                found.append(text)
    return found


def test_vic_demo_prints_the_seeded_database(db_url: str) -> None:
    migrate.load_seed(db_url)
    output = demo(db_url)
    for expected in ("portfolios", "Moda Emlak", "Boğaziçi Gayrimenkul", "2026-001", "12.500.000 ₺", "Selin Koç"):
        assert expected in output
    # the other office's agent: partial on the granted flat, bands elsewhere, never a floor price
    cards = section(output, "What Zeynep Arslan (agent, Boğaziçi Gayrimenkul) sees: portfolio_cards")
    assert "partial" in cards and "anonymous" in cards and "10.000.000 ₺ – 15.000.000 ₺" not in cards
    assert "7.500.000 ₺ – 10.000.000 ₺" in cards and "8.900.000" not in cards
    assert leaks(output) == []


def test_vic_demo_matches_and_explains_and_reruns(db_url: str) -> None:
    migrate.load_seed(db_url)
    first = demo(db_url)
    # Elif (Moda Emlak) lists 2026-013 with a floor; Zeynep (Boğaziçi) records Emre's request
    assert "Elif Şahin (agent, Moda Emlak) lists 2026-013" in first
    assert "Zeynep Arslan (agent, Boğaziçi Gayrimenkul) records a request of Emre Aydın" in first
    with psycopg.connect(db_url) as conn:
        story = conn.execute(
            """select m.portfolio_id, m.match_score, n.display_name
               from public.portfolio_request_matches m join public.requests r on r.id = m.request_id
               join public.contacts n on n.id = m.notified_agent_id
               where r.customer_id = '00000000-0000-4000-8000-000000000302' and r.request_type = 'buy'
                 and r.assigned_agent = '00000000-0000-4000-8000-000000000202'
               order by 1""").fetchall()
        # the floor of 2026-013 is within Emre's budget, its price is not: 4 points; 2026-001 within: 5
        assert story == [("2026-001", 5, "Zeynep Arslan"), ("2026-013", 4, "Zeynep Arslan")]
        (matches,) = conn.execute("select count(*) from public.portfolio_request_matches").fetchone()

    table = section(first, "Matches (portfolio_request_matches)")
    assert "2026-013" in table and "Emre Aydın" in table and "4/5" in table and "5/5" in table
    why = section(first, "Why: explain_match")
    assert all(c in why for c in ("district", "reachable", "no haggling", "✓ 1", "✗ 0"))
    assert sum(line.count("/5") for line in why.splitlines()) == matches  # one explained row per match
    notes = section(first, "Pending notifications")
    assert "Zeynep Arslan" in notes and "yeni eşleşme" in notes and "2026-013" in notes
    # Zeynep's search: 2026-013 now partial for her (granted by the match): its price, never its floor
    search = section(first, "What Zeynep Arslan (agent, Boğaziçi Gayrimenkul) finds: search_portfolios")
    assert "2026-013" in search and "12.900.000 ₺" in search and "partial" in search
    assert leaks(first) == []

    # a second run finds the story's listing and request again: nothing new, nobody notified twice
    with psycopg.connect(db_url) as conn:
        before = conn.execute("select (select count(*) from public.portfolios), (select count(*) from public.requests),"
                              " (select count(*) from public.pending_notifications)").fetchone()
    migrate.load_seed(db_url)
    second = demo(db_url)
    assert "listed (in an earlier run) 2026-013" in second and "recorded (in an earlier run)" in second
    with psycopg.connect(db_url) as conn:
        assert conn.execute("select (select count(*) from public.portfolios), (select count(*) from public.requests),"
                            " (select count(*) from public.pending_notifications)").fetchone() == before
    assert leaks(second) == []
