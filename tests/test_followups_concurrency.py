"""open_followups from many sessions at the same instant never opens a task twice.

Eight real connections (half as staff, half as the bot) wait at a barrier and call open_followups together,
over 40 stale open deals of which 10 are closing with an unconfirmed side due a reminder; repeated several
rounds, each from a clean slate. Whoever wins each deal, every deal ends with exactly one follow-up, every
closing side with exactly one reminder and reminder_sent, and the calls together return exactly the tasks
in the table.
"""

from __future__ import annotations

import threading
from collections import Counter

import psycopg

from tests.world import act

WORKERS = 8
ROUNDS = 6
DEALS = 40
CLOSING = 10
ADMIN = "00000000-0000-4000-8000-00000000e001"
AGENT = "00000000-0000-4000-8000-00000000e002"
LISTING = "2026-001"


def customer(n: int) -> str:
    return f"00000000-0000-4000-8000-0000000e1{n:03d}"


def deal(n: int) -> str:
    return f"00000000-0000-4000-8000-0000000ed{n:03d}"


def setup(db: psycopg.Connection) -> None:
    with db.transaction():
        db.execute(
            """insert into public.contacts (id, phone, contact_type, display_name) values
                 (%s, '+905320009001', 'staff', 'Deniz Aksoy'), (%s, '+905320009002', 'agent', 'Ayşe Yılmaz')""",
            (ADMIN, AGENT))
        db.execute("insert into public.agent_profiles (contact_id, role, office) values (%s, 'admin', null), "
                   "(%s, 'agent', 'Moda Emlak')", (ADMIN, AGENT))
        db.execute(
            """insert into public.portfolios (id, agent_id, type, listing_type, title, district, rooms, listed_price)
               values (%s, %s, 'daire', 'sale', 'Moda''da 3+1', 'Kadıköy', '3+1', 12500000)""", (LISTING, AGENT))
        for n in range(DEALS):
            db.execute("insert into public.contacts (id, phone, contact_type) values (%s, %s, 'customer')",
                       (customer(n), f"+90555100{n:04d}"))
            db.execute("insert into public.deals (id, portfolio_id, customer_id, listing_agent_id) values (%s, %s, %s, %s)",
                       (deal(n), LISTING, customer(n), AGENT))
        db.execute("insert into public.portfolio_confidential (portfolio_id, commission_rate) values (%s, 2)", (LISTING,))
        # to closing one legal step at a time: showing, an accepted offer (negotiating, then agreed), closing
        closing = [deal(n) for n in range(CLOSING)]
        db.execute("update public.deals set status = 'showing' where id = any(%s::uuid[])", (closing,))
        db.execute("""insert into public.deal_negotiations (deal_id, from_contact_id, to_contact_id, amount)
                      select id, customer_id, listing_agent_id, 12000000 from public.deals where id = any(%s::uuid[])""",
                   (closing,))
        db.execute("update public.deal_negotiations set status = 'accepted'")
        db.execute("update public.deals set status = 'closing' where id = any(%s::uuid[])", (closing,))


def reset(db: psycopg.Connection) -> None:
    """A clean slate: no task, every closing side new again and due a reminder (reminder_sent never goes back
    to false: the rows are written anew), every deal idle for ten days."""
    with db.transaction():
        db.execute("delete from public.tasks")
        db.execute("delete from public.deal_confirmations")
        db.execute("""insert into public.deal_confirmations (deal_id, agent_id, role, created_at)
                      select id, listing_agent_id, 'listing', now() - interval '2 days' from public.deals
                      where status = 'closing'""")
        db.execute("update public.deals set last_activity_at = now() - interval '10 days'")


def run_round(db_url: str) -> list[tuple]:
    barrier = threading.Barrier(WORKERS, timeout=120)
    returned: list[list[tuple]] = [[] for _ in range(WORKERS)]
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            with psycopg.connect(db_url, autocommit=True) as conn:
                conn.execute("select 1")  # connected before the barrier: the calls start together
                with act(conn, ADMIN if i % 2 else "service_role"):
                    barrier.wait()
                    returned[i] = conn.execute(
                        "select task_id, task_type, deal_id, agent_id from public.open_followups()").fetchall()
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return [row for rows in returned for row in rows]


def test_open_followups_never_opens_a_task_twice(db: psycopg.Connection, db_url: str) -> None:
    setup(db)
    for round_ in range(ROUNDS):
        reset(db)
        returned = run_round(db_url)
        tasks = db.execute("select id, task_type, deal_id, agent_id from public.tasks").fetchall()
        per_deal = Counter((str(deal_id), task_type) for _, task_type, deal_id, _ in tasks)
        twice = {key: n for key, n in per_deal.items() if n > 1}
        assert not twice, f"round {round_}: tasks opened twice: {twice}"
        assert sorted(per_deal) == sorted([(deal(n), "followup") for n in range(DEALS)]
                                          + [(deal(n), "reminder") for n in range(CLOSING)]), f"round {round_}"
        assert sorted(returned) == sorted(tasks), f"round {round_}: the calls returned other tasks than the table holds"
        assert all(agent == AGENT or str(agent) == AGENT for *_, agent in tasks)
        reminded = db.execute("select count(*) filter (where reminder_sent), count(*) from public.deal_confirmations").fetchone()
        assert reminded == (CLOSING, CLOSING), f"round {round_}"
