"""`vic demo`: print what the local database holds, as rich tables, then play a short story through
`VicClient`, acting as the agents themselves: a Moda Emlak agent lists a flat with a confidential floor
price, a customer tells the WhatsApp bot what he wants and the bot extracts his request from the session
for an agent of the other office, and the database matches them both ways; the demo shows the matches and
why (`explain_match`: its verdict, hard filters and scored criteria, as the database states them), the agents'
pending notifications, and what the other office's agent finds with `search_portfolios`. Then the deal: Zeynep opens it from the match, Elif
shows the flat (the showing certificate is issued), they trade offers until one is accepted, Elif starts
the closing and both confirm (dual confirm): the deal closes once, with the commission split and the
contract. Re-runnable: the story's listing, request and deal are created once and found again by later
runs. No floor price, owner or commission rate is ever printed.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any

import psycopg
from rich.console import Console
from rich.table import Table

from vic.client import VicClient
from vic.migrate import connect, sql_errors

# Zeynep Arslan, an agent of the other office (Boğaziçi Gayrimenkul), looking at the market.
OTHER_OFFICE_AGENT = "00000000-0000-4000-8000-000000000202"
# Elif Şahin, an agent of Moda Emlak, who lists the story's flat.
LISTING_AGENT = "00000000-0000-4000-8000-000000000103"
# Emre Aydın, Zeynep's customer (she already handles his rent request), now looking to buy.
CUSTOMER = "00000000-0000-4000-8000-000000000302"

# The story's listing: the floor (min_price) is below Emre's budget, the asking price above it.
STORY_LISTING: dict[str, Any] = {
    "type": "daire", "listing_type": "sale", "district": "Kadıköy", "rooms": "3+1",
    "title": "Caddebostan'da sahile yürüme mesafesinde 3+1",
    "description": "Bağdat Caddesi'ne 3 dakika, 135 m², balkonlu, otoparklı.",
    "listed_price": 12_900_000, "currency": "TRY",
    "owner_name": "Orhan Yıldız", "owner_phone": "+905301110007", "min_price": 12_400_000,
    "commission_rate": 2.0, "private_notes": "Mal sahibi pazarlığa açık.",
}
SEARCH_QUERY = "kadikoy daire"
# Emre's WhatsApp conversation with the bot (our number: BOT_PHONE); the bot turns it into the request above.
STORY_PHONE, BOT_PHONE = "+905551230002", "+908500000000"
STORY_CHAT = (
    ("wamid.demo.story.1", "inbound", "Merhaba, Kadıköy'de satılık 3+1 daire arıyorum."),
    ("wamid.demo.story.2", "outbound", "Merhaba Emre Bey! Bütçeniz ne kadar?"),
    ("wamid.demo.story.3", "inbound", "12,6 milyon TL'ye kadar bakabilirim."),
)
STORY_SLOTS: dict[str, Any] = {
    "intent": "buy", "district": "kadikoy", "property_type": "daire", "rooms": "3+1", "max_price": 12_600_000,
}

# Short names for explain_match's criteria (any other criterion shows under its own name). Which of them are
# hard filters and which score, the verdict and the score are explain_match's own columns.
CRITERIA = {
    "listing_type": "sale/rent", "reachable_within_budget": "reachable",
    "within_budget_without_negotiation": "no haggling",
}
# The narrowest console the demo prints to: every table fits 100 columns (a pipe or CI log is 80 by default).
WIDTH = 100

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


# Columns kept on one line (ids, amounts, names a test or a reader looks for on the row); the others wrap, and a
# word longer than its column (a uuid) folds rather than being cut.
NO_WRAP = ("id", "listing", "price", "budget", "customer", "score", "level", "rank", "listing agent", "request agent",
           "notified", "asked by")


def band(card: dict[str, Any]) -> str:
    """A card's price: the exact one when shown, else its band with the currency once (7.500.000–10.000.000 ₺)."""
    if card.get("listed_price") is not None:
        return money(card["listed_price"], card["currency"])
    low = money(card["price_band_min"], card["currency"]).rsplit(" ", 1)[0]
    return f"{low}–{money(card['price_band_max'], card['currency'])}"


def _what(*parts: Any) -> str:
    """District, type, rooms (and more) as one cell: Kadıköy daire 3+1."""
    return " ".join(str(p) for p in parts if p)


def _table(title: str, columns: list[str], rows) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, no_wrap=column in NO_WRAP, overflow="fold")
    for row in rows:
        table.add_row(*("—" if v is None else str(v) for v in row))
    return table


def show(url: str, console: Console | None = None) -> None:
    """The seeded database, then the matching story."""
    console = console or Console(width=max(Console().width, WIDTH))
    show_database(url, console)
    story(url, console)


def show_database(url: str, console: Console | None = None) -> None:
    # a pipe or CI log is 80 columns by default: too narrow for listing rows
    console = console or Console(width=max(Console().width, WIDTH))
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
            ["id", "what", "price", "status", "agent", "title"],
            [(i, _what(d, t, r, "for " + lt), money(pr, cur), s, ag, ti)
             for i, d, t, lt, r, pr, cur, s, ag, ti in listings],
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
            ["id", "level", "what", "price", "agent", "agent phone"],
            [(c["id"], c["visibility_level"], _what(c["district"], c["type"], c["rooms"]), band(c), c["agent_name"],
              c["agent_phone"]) for c in cards],
        ))


def _name(conn: psycopg.Connection, contact_id: Any) -> str:
    row = conn.execute("select display_name from public.contacts where id = %s", (contact_id,)).fetchone()
    return row[0] if row and row[0] else str(contact_id)


def _title(conn: psycopg.Connection, vic: VicClient) -> str:
    me = vic.whoami()
    return f"{_name(conn, me['contact_id'])} ({me['authority']}, {me['office'] or 'VIC'})"


def _story_listing(conn: psycopg.Connection, url: str, console: Console) -> str:
    """The listing agent lists the flat, with its confidential row, once; later runs find it again."""
    found = conn.execute(
        "select id from public.portfolios where agent_id = %s and title = %s", (LISTING_AGENT, STORY_LISTING["title"])
    ).fetchone()
    with VicClient.connect(url, acting_as=LISTING_AGENT) as vic:
        who = _title(conn, vic)
        if found:
            listing_id, verb = found[0], "listed (in an earlier run)"
        else:
            listing_id, verb = vic.create_listing(**STORY_LISTING)["id"], "lists"
    console.print(_table(
        f"{who} {verb} {listing_id}, with owner, floor price and commission in its confidential row (not shown)",
        ["id", "district", "type", "for", "rooms", "price", "title"],
        [(listing_id, STORY_LISTING["district"], STORY_LISTING["type"], STORY_LISTING["listing_type"],
          STORY_LISTING["rooms"], money(STORY_LISTING["listed_price"], STORY_LISTING["currency"]),
          STORY_LISTING["title"])],
    ))
    return listing_id


def _story_request(conn: psycopg.Connection, url: str, console: Console) -> str:
    """Emre writes to the bot on WhatsApp; the bot stores each message once (ingest_message), fills the
    session's qualifying slots, extracts the request from it and gives it to Zeynep, who already serves him.
    Re-runnable: the messages are found again by their WhatsApp ids, the request by its source session."""
    now = datetime.now(timezone.utc)
    with VicClient.connect(url, service_role=True) as bot:
        for k, (wa_id, direction, text) in enumerate(STORY_CHAT):
            inbound = direction == "inbound"
            bot.ingest_message(wa_message_id=wa_id, direction=direction, from_=STORY_PHONE if inbound else BOT_PHONE,
                               to=BOT_PHONE if inbound else STORY_PHONE, content=text,
                               sent_at=now - timedelta(minutes=len(STORY_CHAT) - k))
        session_id, status = conn.execute(
            "select s.id, s.status from public.message_log l join public.sessions s on s.id = l.session_id"
            " where l.wa_message_id = %s", (STORY_CHAT[0][0],)).fetchone()
        found = conn.execute("select id from public.requests where source_session_id = %s", (session_id,)).fetchone()
        if found:
            request_id, verb = found[0], "extracted (in an earlier run)"
        else:
            if status == "active":
                bot.update_session_slots(session_id=session_id, slots=STORY_SLOTS)
            request_id = bot.extract_request(session_id=session_id)["id"]
            bot.assign_request(request_id=request_id, agent_id=OTHER_OFFICE_AGENT)
            verb = "extracted"
    console.print(_table(
        f"{_name(conn, CUSTOMER)} on WhatsApp (message_log: stored once per WhatsApp id; text kept with his consent)",
        ["time", "from", "message"],
        conn.execute(
            """select to_char(l.created_at at time zone 'Europe/Istanbul', 'HH24:MI'),
                      case l.direction when 'inbound' then c.display_name else 'bot' end, l.content
               from public.message_log l join public.contacts c on c.id = %s
               where l.session_id = %s order by l.created_at, l.id""", (CUSTOMER, session_id)),
    ))
    s = conn.execute("select intent, district, property_type, rooms, max_price, currency, qualifying_completeness,"
                     " status from public.sessions where id = %s", (session_id,)).fetchone()
    agent = conn.execute("select a.display_name from public.requests r join public.contacts a on a.id = r.assigned_agent"
                         " where r.id = %s", (request_id,)).fetchone()[0]
    console.print(_table(
        f"The bot's session: slots filled (completeness kept by the database), {verb} into a request, given to {agent}",
        ["session", "wants", "district", "type", "rooms", "budget", "complete", "request"],
        [(str(session_id)[:8] + "…", s[0], s[1], s[2], s[3], money(s[4], s[5] or "TRY"), f"{s[6]:.0%}", request_id)],
    ))
    return str(request_id)


def drain(conn: psycopg.Connection) -> int:
    """Run the matcher (public.process_match_events) until no match event is pending, as the dashboard
    user (the owner): the writes above become matches, notifications and visibility now, not when a
    worker next runs. Returns how many events it processed."""
    total = 0
    while n := conn.execute("select public.process_match_events(500)").fetchone()[0]:
        total += n
    return total


def _explained(rows: list[dict[str, Any]]) -> tuple[str, str, str]:
    """explain_match's rows as three cells: the hard filters (✓ all, or the failed ones), each scored
    criterion with ✓/✗ and its points, and the verdict with the score, all as explain_match states them."""
    hard = [r for r in rows if r["hard_filter"]]
    failed = [CRITERIA.get(r["criterion"], r["criterion"]) for r in hard if not r["passed"]]
    filters = f"✗ {', '.join(failed)}" if failed else f"✓ all {len(hard)}"
    scored = ", ".join(f"{CRITERIA.get(r['criterion'], r['criterion'])} {'✓' if r['passed'] else '✗'} {r['points']}"
                       for r in rows if r["scored"])
    verdict = rows[0] if rows else {}
    score = f" {verdict['score']}/{verdict['max_score']}" if verdict.get("matched") else ""
    return filters, scored, f"{verdict.get('verdict', '—')}{score}"


def story(url: str, console: Console) -> None:
    """Act as the agents through VicClient; read the results as the dashboard user."""
    with connect(url) as conn, sql_errors():
        listing_id = _story_listing(conn, url, console)
        request_id = _story_request(conn, url, console)
        drain(conn)

        matches = conn.execute(
            """select m.portfolio_id, p.district, p.type, coalesce(p.rooms, ''), p.listed_price, p.currency,
                      la.display_name, m.request_id, cu.display_name, ra.display_name, m.match_score,
                      m.trigger_type, m.notified, m.notified_agent_id, na.display_name
               from public.portfolio_request_matches m
               join public.portfolios p on p.id = m.portfolio_id
               join public.contacts la on la.id = p.agent_id
               join public.requests r on r.id = m.request_id
               join public.contacts cu on cu.id = r.customer_id
               left join public.contacts ra on ra.id = r.assigned_agent
               left join public.contacts na on na.id = m.notified_agent_id
               order by m.portfolio_id, cu.display_name, m.request_id"""
        ).fetchall()
        # explain_match, asked by the agent who was notified (the request's agent, else the listing agent): the
        # verdict, the score out of its maximum, and why, all as the database states them
        explained = []
        for pid, _d, _t, _r, _pr, _cur, _la, rid, _cu, _ra, _score, _trig, _n, agent_id, _agent in matches:
            with VicClient.connect(url, acting_as=agent_id) if agent_id else VicClient.connect(url) as vic:
                explained.append(vic.explain_match(portfolio_id=pid, request_id=rid))
        console.print(_table(
            "Matches (portfolio_request_matches), written by the database both ways",
            ["listing", "listing agent", "customer", "request agent", "score", "by", "notified"],
            [(pid, la, cu, ra, f"{score}/{rows[0]['max_score']}" if rows else str(score),
              "listing" if trig == "portfolio" else trig, na if notified else "—")
             for (pid, _d, _t, _r, _pr, _cur, la, _rid, cu, ra, score, trig, notified, _na, na), rows
             in zip(matches, explained, strict=True)],
        ))

        why = Table(title="Why: explain_match, asked by the notified agent (the hard filters, each scored criterion"
                          " with its point, the verdict; never a price)", title_justify="left")
        for header, wrap in (("listing", False), ("customer", False), ("asked by", False), ("hard filters", True),
                             ("scored (✓/✗ and points)", True), ("verdict", False)):
            why.add_column(header, no_wrap=not wrap)
        for (pid, _d, _t, _r, _pr, _cur, _la, _rid, cu, _ra, _score, _trig, _n, _id, agent), rows in zip(
                matches, explained, strict=True):
            why.add_row(pid, cu, agent or "dashboard", *_explained(rows))
        console.print(why)

        console.print(_table(
            "Pending notifications (what the agents are told)",
            ["to", "kind", "queued", "message"],
            conn.execute(
                """select c.display_name, n.kind, to_char(n.created_at at time zone 'Europe/Istanbul', 'HH24:MI:SS'),
                          n.body
                   from public.pending_notifications n join public.contacts c on c.id = n.contact_id
                   where n.delivered_at is null and n.kind = 'match'
                   order by n.created_at, c.display_name"""
            ),
        ))

        with VicClient.connect(url, acting_as=OTHER_OFFICE_AGENT) as vic:
            who = _title(conn, vic)
            cards = vic.search_portfolios(query=SEARCH_QUERY, limit=10)
        console.print(_table(
            f"What {who} finds: search_portfolios('{SEARCH_QUERY}'), cards at her level",
            ["rank", "id", "level", "what", "price", "agent", "title"],
            [(f"{c['rank']:.3f}", c["id"], c["visibility_level"], _what(c["district"], c["type"], c["rooms"]), band(c),
              c["agent_name"], c["title"]) for c in cards],
        ))
        console.print("Explain it yourself (as the owner: the story below sells the listing):")
        console.print(f"vic --superuser match explain {listing_id} {request_id}", markup=False, soft_wrap=True)
        deal_story(conn, url, console, listing_id, request_id)


# The offers of the story: Zeynep (for Emre) offers, Elif counters, Zeynep accepts the counter.
FIRST_OFFER, COUNTER_OFFER = 12_300_000, 12_550_000


def deal_story(conn: psycopg.Connection, url: str, console: Console, listing_id: str, request_id: str) -> None:
    """From the match to a closed deal, each step as the agent who takes it; once (later runs show it)."""
    found = conn.execute("select id from public.deals where portfolio_id = %s and customer_id = %s and status = 'closed'",
                         (listing_id, CUSTOMER)).fetchone()
    steps = Table(title="The deal, step by step (each as the agent who takes it)", title_justify="left")
    for header in ("who", "does", "deal status", "result"):
        steps.add_column(header, no_wrap=header in ("who", "result"))
    if found:
        deal_id = found[0]
        steps.add_row("—", f"closed in an earlier run: deal {deal_id}", "closed", "")
    else:
        deal_id = _play_deal(conn, url, steps, listing_id, request_id)
        drain(conn)  # the closing sold the listing and closed the request: their matches go
    console.print(steps)
    _show_closing(conn, console, deal_id)


def _play_deal(conn: psycopg.Connection, url: str, steps: Table, listing_id: str, request_id: str) -> Any:
    elif_ = VicClient.connect(url, acting_as=LISTING_AGENT)
    zeynep = VicClient.connect(url, acting_as=OTHER_OFFICE_AGENT)
    with elif_, zeynep:
        def step(who: VicClient, does: str, deal_id: Any, result: str) -> None:
            status = conn.execute("select status from public.deals where id = %s", (deal_id,)).fetchone()[0]
            steps.add_row(_title(conn, who).split(" (")[0], does, status, result)

        # an interrupted earlier run may have left the story's deal open: it is cancelled and opened again
        for (stale,) in conn.execute("select id from public.deals where portfolio_id = %s and customer_id = %s "
                                     "and status not in ('closed', 'cancelled')", (listing_id, CUSTOMER)).fetchall():
            zeynep.cancel_deal(deal_id=stale, reason="demo yeniden başladı")
        match_id = conn.execute("select id from public.portfolio_request_matches where portfolio_id = %s "
                                "and request_id = %s", (listing_id, request_id)).fetchone()[0]
        deal = zeynep.open_deal(match_id=match_id)
        deal_id = deal["id"]
        step(zeynep, f"open_deal from the match {listing_id} × Emre's request", deal_id,
             f"cross-agent: {deal['is_cross_agent']}")

        # the visit starts a moment from now (never in the past); once it has begun Elif marks it shown
        start = datetime.now(timezone.utc) + timedelta(seconds=1)
        showing = elif_.schedule_showing(deal_id=deal_id, scheduled_at=start)
        step(elif_, "schedule_showing (1 hour slot)", deal_id, f"showing {str(showing['id'])[:8]}…")
        time.sleep(max(0.0, (start - datetime.now(timezone.utc)).total_seconds()) + 0.1)
        shown = elif_.mark_shown(showing_id=showing["id"])
        step(elif_, "mark_shown", deal_id, f"certificate {str(shown['certificate_id'])[:8]}…")

        offer = zeynep.make_offer(deal_id=deal_id, amount=FIRST_OFFER)
        step(zeynep, f"make_offer {money(FIRST_OFFER, 'TRY')}", deal_id, "to Elif")
        counter = elif_.counter_offer(offer_id=offer["id"], amount=COUNTER_OFFER)
        step(elif_, f"counter_offer {money(COUNTER_OFFER, 'TRY')}", deal_id, "the first offer: countered")
        zeynep.accept_offer(offer_id=counter["id"])
        step(zeynep, "accept_offer", deal_id, f"agreed at {money(COUNTER_OFFER, 'TRY')}")

        elif_.start_closing(deal_id=deal_id)
        step(elif_, "start_closing", deal_id, "one confirmation per side: listing, buying")
        for who in (elif_, zeynep):
            answer = who.confirm_closing(deal_id=deal_id)
            waiting = ", ".join(answer["waiting_for"]) or "nobody"
            step(who, "confirm_closing", deal_id, f"{answer['outcome']} ({answer['role']} side; waiting for {waiting})")
    return deal_id


def _show_closing(conn: psycopg.Connection, console: Console, deal_id: Any) -> None:
    """What the closing wrote: the deal, the commission split, the documents, the listing and request."""
    (pid, status, price, currency, total, closed_at, listing_status, request_status) = conn.execute(
        """select d.portfolio_id, d.status, d.closing_price, p.currency, d.commission_total,
                  to_char(d.closed_at at time zone 'Europe/Istanbul', 'YYYY-MM-DD HH24:MI'), p.status, r.status
           from public.deals d join public.portfolios p on p.id = d.portfolio_id
           left join public.requests r on r.id = d.request_id where d.id = %s""", (deal_id,)).fetchone()
    console.print(_table(
        "The closed deal",
        ["listing", "status", "closing price", "commission (VAT excl.)", "closed at", "listing now", "request now"],
        [(pid, status, money(price, currency), money(total, currency), closed_at, listing_status, request_status)],
    ))
    console.print(_table(
        "Commission split (platform_commissions): the rows add up to the total",
        ["side", "who", "share", "amount", "status"],
        [(role, who or "VIC (platform)", f"{rate}%", money(amount, currency), st)
         for role, who, rate, amount, st in conn.execute(
             """select c.role, x.display_name, c.rate, c.amount, c.status from public.platform_commissions c
                left join public.contacts x on x.id = c.contact_id where c.deal_id = %s
                order by array_position(array['listing', 'buying', 'platform'], c.role)""", (deal_id,))],
    ))
    documents = conn.execute(
        """select d.type, cu.display_name, ag.display_name, d.portfolio_id, d.template_data
           from public.documents d left join public.contacts cu on cu.id = d.contact_id
           left join public.contacts ag on ag.id = d.agent_id
           where d.deal_id = %s order by d.type desc""", (deal_id,)).fetchall()
    console.print(_table(
        "Documents: the showing certificate (yer gösterme belgesi) and the contract",
        ["type", "customer", "agent", "listing", "data"],
        [(kind, customer, agent, pid,
          f"price {money(int(data['closing_price']), data.get('currency') or currency)}" if kind == "contract"
          else f"shown {data['slot']['date']} {data['slot']['starts']}–{data['slot']['ends']}")
         for kind, customer, agent, pid, data in documents],
    ))
