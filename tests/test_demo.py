"""The demo seed loads on the migrated schema, twice without change, and `vic demo` prints it."""

from __future__ import annotations

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


def test_vic_demo_prints_the_seeded_database(db_url: str) -> None:
    migrate.load_seed(db_url)
    result = CliRunner().invoke(app, ["demo", "--database-url", db_url], env={"VIC_DATABASE_URL": None})
    assert result.exit_code == 0, result.output
    for expected in ("portfolios", "Moda Emlak", "Boğaziçi Gayrimenkul", "2026-001", "12.500.000 ₺", "Selin Koç"):
        assert expected in result.output
    # the other office's agent: partial on the granted flat, bands elsewhere, never a floor price
    cards = result.output[result.output.index("What Zeynep Arslan"):]
    assert "partial" in cards and "anonymous" in cards and "10.000.000 ₺ – 15.000.000 ₺" not in cards
    assert "7.500.000 ₺ – 10.000.000 ₺" in cards and "8.900.000" not in cards
    assert "11.800.000" not in result.output and "Hasan Kaya" not in result.output
