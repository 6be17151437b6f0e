"""`vic demo`: print what the local database holds, as rich tables (the end-to-end story grows here)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from vic.client import VicClient
from vic.migrate import connect, sql_errors

# Zeynep Arslan, an agent of the other office (Boğaziçi Gayrimenkul), looking at the market.
OTHER_OFFICE_AGENT = "00000000-0000-4000-8000-000000000202"

SYMBOLS = {"TRY": "₺", "USD": "$", "EUR": "€", "GBP": "£"}

GROUPS = {
    "Identity": ["contacts", "agent_profiles", "agent_visibility"],
    "Portföy & Matching": [
        "portfolios", "portfolio_confidential", "portfolio_media", "portfolio_history",
        "requests", "market_signals", "portfolio_request_matches",
    ],
    "Deal Pipeline": ["deals", "showings", "deal_confirmations", "deal_negotiations", "platform_commissions"],
    "Conversation": ["sessions", "message_log", "interaction_tracker", "pending_notifications"],
    "Operations": ["tasks", "documents"],
}


def money(amount: int | None, currency: str) -> str:
    """12500000, TRY -> '12.500.000 ₺' (Turkish thousands separator)."""
    if amount is None:
        return "—"
    return f"{amount:,}".replace(",", ".") + " " + SYMBOLS.get(currency, currency)


def _table(title: str, columns: list[str], rows) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, no_wrap=column in ("id", "price", "budget"))
    for row in rows:
        table.add_row(*("—" if v is None else str(v) for v in row))
    return table


def show(url: str, console: Console | None = None) -> None:
    # a pipe or CI log is 80 columns by default: too narrow for listing rows
    console = console or Console(width=max(Console().width, 160))
    with connect(url) as conn, sql_errors():
        counts = Table(title="Tables (rows)", title_justify="left")
        counts.add_column("group")
        counts.add_column("table")
        counts.add_column("rows", justify="right")
        for group, tables in GROUPS.items():
            for table in tables:
                n = conn.execute(f"select count(*) from public.{table}").fetchone()[0]
                counts.add_row(group, table, str(n))
                group = ""
        console.print(counts)

        console.print(_table(
            "Agents by office",
            ["office", "name", "role", "territory", "active"],
            conn.execute(
                """select coalesce(p.office, 'VIC'), c.display_name, p.role, p.territory, p.active
                   from public.agent_profiles p join public.contacts c on c.id = p.contact_id
                   order by 1, p.role, c.display_name"""
            ),
        ))

        listings = conn.execute(
            """select p.id, p.district, p.type, p.listing_type, coalesce(p.rooms, ''), p.listed_price, p.currency,
                      p.status, a.display_name, p.title
               from public.portfolios p join public.contacts a on a.id = p.agent_id
               order by p.id"""
        ).fetchall()
        console.print(_table(
            "Listings (portföy)",
            ["id", "district", "type", "for", "rooms", "price", "status", "agent", "title"],
            [(i, d, t, lt, r, money(pr, cur), s, ag, ti) for i, d, t, lt, r, pr, cur, s, ag, ti in listings],
        ))

        console.print(_table(
            "Requests (talepler)",
            ["customer", "type", "districts", "types", "rooms", "budget", "status", "agent"],
            [
                (cust, rt, ", ".join(c.get("districts", [])), ", ".join(c.get("types", [])),
                 ", ".join(c.get("rooms", [])), money(c.get("max_price"), c.get("currency", "TRY")), st, ag)
                for cust, rt, c, st, ag in conn.execute(
                    """select cu.display_name, r.request_type, r.criteria, r.status, ag.display_name
                       from public.requests r join public.contacts cu on cu.id = r.customer_id
                       left join public.contacts ag on ag.id = r.assigned_agent
                       order by r.created_at, r.id"""
                )
            ],
        ))

        with VicClient.connect(url, acting_as=OTHER_OFFICE_AGENT) as vic:
            me = vic.whoami()
            name = conn.execute("select display_name from public.contacts where id = %s", (me["contact_id"],)).fetchone()
            cards = vic.portfolio_cards(limit=12)
        console.print(_table(
            f"What {name[0] if name else me['contact_id']} ({me['authority']}, {me['office']}) sees: portfolio_cards",
            ["id", "level", "district", "type", "rooms", "price", "agent", "agent phone", "title"],
            [
                (c["id"], c["visibility_level"], c["district"], c["type"], c["rooms"] or "",
                 money(c["listed_price"], c["currency"]) if c["listed_price"] is not None
                 else f"{money(c['price_band_min'], c['currency'])} – {money(c['price_band_max'], c['currency'])}",
                 c["agent_name"], c["agent_phone"], c["title"])
                for c in cards
            ],
        ))
