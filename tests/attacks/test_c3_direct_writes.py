"""Attack class c3: direct writes skip the RPCs' rules. Each attack is the attacker's own statements, as
PostgREST or the dashboard's "act as" would send them, and asserts that nothing changed; each has a
positive control (the legitimate path still works).

Doors (docs/deals.md, "Doors"): deals are opened through open_deal only and updated only in status,
cancel_reason and closing_price; showings are written directly under the same triggers as the RPCs;
follow-up and reminder tasks are the database's; agent_visibility's audit fields are the database's; a contact
does not change its own phone or bsuid.
"""
from __future__ import annotations

from tests.attacks._deal_scene import DEAL_C, REQUEST_C, db, db_value, error, rows, scene_db  # noqa: F401
from tests.world import WORLD as W, act

DEALS_OF = "select count(*) from public.deals where customer_id = %s"


# ------------------------------------------------------------------------- deals: another office's request
def test_a_deal_cannot_name_another_offices_request_nor_start_closed(db) -> None:
    before = db_value(db, DEALS_OF, (W.customer,))
    # the listing agent (Moda) names the Boğaziçi agent's request for its other listing, directly ...
    state, _ = error(db, "listing_agent", """
        insert into public.deals (portfolio_id, customer_id, listing_agent_id, request_id, created_by)
        values (%s, %s, %s, %s, %s)""", (W.listing_b, W.customer, W.listing_agent, REQUEST_C, W.listing_agent))
    assert state == "42501", "authenticated inserts deals directly"
    # ... and already closed, with a price
    state, _ = error(db, "listing_agent", """
        insert into public.deals (portfolio_id, customer_id, listing_agent_id, request_id, status, closed_at)
        values (%s, %s, %s, %s, 'closed', now())""", (W.listing_b, W.customer, W.listing_agent, REQUEST_C))
    assert state == "42501"
    # ... through the RPC
    state, _ = error(db, "listing_agent", "select * from public.open_deal(null, %s, null, %s)", (W.listing_b, REQUEST_C))
    assert state == "42501"
    # the bot (service_role keeps its direct insert) meets the same rules in the trigger
    state, message = error(db, "service_role", """
        insert into public.deals (portfolio_id, customer_id, listing_agent_id, request_id)
        values (%s, %s, %s, %s)""", (W.listing_b, W.owner_customer, W.listing_agent, REQUEST_C))
    assert state == "VC001" and "request_id" in message, "a deal served another customer's request"
    state, _ = error(db, "service_role", """
        insert into public.deals (portfolio_id, customer_id, listing_agent_id, buying_agent_id, request_id)
        values (%s, %s, %s, %s, %s)""", (W.listing_b, W.customer, W.listing_agent, W.agent_full, REQUEST_C))
    assert state == "VC001", "a cross deal's buying agent is not the request's agent"
    state, _ = error(db, "service_role", """
        insert into public.deals (portfolio_id, customer_id, listing_agent_id, status) values (%s, %s, %s, 'closed')""",
                     (W.listing_b, W.lead, W.listing_agent))
    assert state == "VC002"
    assert db_value(db, DEALS_OF, (W.customer,)) == before

    # closing only through the dual confirm: the listing agent of the closing deal A cannot close it directly
    state, _ = error(db, "listing_agent", "update public.deals set status = 'closed' where id = %s", (W.deal,))
    assert state == "VC002"
    state, _ = error(db, "listing_agent", "update public.deals set closed_at = now(), commission_total = 1 where id = %s",
                     (W.deal,))
    assert state == "42501"
    assert db_value(db, "select status from public.deals where id = %s", (W.deal,)) == "closing"

    # positive control: a deal serving the customer's own request, of the listing agent, passes the trigger
    ok = rows(db, "service_role", """
        insert into public.deals (portfolio_id, customer_id, listing_agent_id, request_id)
        select %s, r.customer_id, %s, r.id from public.requests r where r.customer_id = %s returning status""",
              (W.listing_b, W.listing_agent, W.lead))
    assert ok == [("matched",)]


# ------------------------------------------------------------------------------------------- showings
SHOWINGS_OF = "select count(*) from public.showings where portfolio_id = %s"


def test_a_direct_showing_meets_every_slot_and_deal_rule(db) -> None:
    before = db_value(db, SHOWINGS_OF, (W.listing,))
    attacks = {
        "no deal": ("insert into public.showings (portfolio_id, agent_id, customer_id, scheduled_at, ends_at) "
                    "values (%s, %s, %s, now() + interval '1 day', now() + interval '1 day 1 hour')",
                    (W.listing, W.listing_agent, W.customer), "VC001"),
        "ten years": ("insert into public.showings (portfolio_id, agent_id, customer_id, buying_agent_id, deal_id, "
                      "scheduled_at, ends_at) values (%s, %s, %s, %s, %s, now() + interval '1 day', "
                      "now() + interval '10 years')",
                      (W.listing, W.listing_agent, W.customer, W.agent_partial, DEAL_C), "VC001"),
        "in the past": ("insert into public.showings (portfolio_id, agent_id, customer_id, buying_agent_id, deal_id, "
                        "scheduled_at, ends_at) values (%s, %s, %s, %s, %s, now() - interval '2 days', "
                        "now() - interval '2 days' + interval '1 hour')",
                        (W.listing, W.listing_agent, W.customer, W.agent_partial, DEAL_C), "VC001"),
        "shown at once": ("insert into public.showings (portfolio_id, agent_id, customer_id, buying_agent_id, deal_id, "
                          "scheduled_at, ends_at, status) values (%s, %s, %s, %s, %s, now(), now() + interval '1 hour', "
                          "'shown')",
                          (W.listing, W.listing_agent, W.customer, W.agent_partial, DEAL_C), "VC002"),
        "another customer on the deal": (
            "insert into public.showings (portfolio_id, agent_id, customer_id, buying_agent_id, deal_id, scheduled_at, "
            "ends_at) values (%s, %s, %s, %s, %s, now() + interval '4 days', now() + interval '4 days 1 hour')",
            (W.listing, W.listing_agent, W.owner_customer, W.agent_partial, DEAL_C), "VC001"),
    }
    for actor in ("listing_agent", "agent_partial", "service_role"):
        for label, (sql, params, expected) in attacks.items():
            state, message = error(db, actor, sql, params)
            # a policy may refuse first (42501): refused either way, the row is not there
            assert state in (expected, "42501"), f"{actor}: {label}: {state} {message}"
    assert db_value(db, SHOWINGS_OF, (W.listing,)) == before
    assert db_value(db, "select count(*) from public.documents where portfolio_id = %s and type = 'certificate'",
                    (W.listing,)) == 1  # the world's only

    # a scheduled showing of deal C, then stretched, moved to another deal or marked shown before it began
    with act(db, "listing_agent") as c:
        showing = c.execute("select id from public.schedule_showing(%s, now() + interval '2 days')", (DEAL_C,)).fetchone()[0]
    for label, sql, expected in [
        ("ten years long", "update public.showings set ends_at = scheduled_at + interval '10 years' where id = %s", "VC001"),
        ("other deal", f"update public.showings set deal_id = '{W.deal}' where id = %s", "42501"),
        ("other customer", f"update public.showings set customer_id = '{W.owner_customer}' where id = %s", "42501"),
        ("shown before it began", "update public.showings set status = 'shown' where id = %s", "VC002"),
    ]:
        for actor in ("listing_agent", "agent_partial"):
            state, message = error(db, actor, sql, (showing,))
            assert state == expected, f"{actor}: {label}: {state} {message}"
    assert db_value(db, "select (status, ends_at - scheduled_at)::text from public.showings where id = %s",
                    (showing,)) == "(scheduled,01:00:00)"
    assert db_value(db, "select count(*) from public.documents where showing_id = %s", (showing,)) == 0

    # positive control: a direct showing of the deal, with its own customer, passes
    assert rows(db, "agent_partial", """
        insert into public.showings (portfolio_id, agent_id, customer_id, buying_agent_id, deal_id, scheduled_at, ends_at)
        values (%s, %s, %s, %s, %s, now() + interval '3 days', now() + interval '3 days 2 hours') returning status""",
                (W.listing, W.listing_agent, W.customer, W.agent_partial, DEAL_C)) == [("scheduled",)]


# ------------------------------------------------------------------- last_activity_at and follow-ups
def test_the_co_broker_cannot_switch_off_the_other_sides_follow_up(db) -> None:
    db.execute("update public.deals set last_activity_at = now() - interval '10 days' where id = %s", (DEAL_C,))
    idle_since = db_value(db, "select last_activity_at from public.deals where id = %s", (DEAL_C,))
    for actor in ("agent_partial", "listing_agent", "service_role"):
        state, _ = error(db, actor, "update public.deals set last_activity_at = now() where id = %s", (DEAL_C,))
        assert state == "42501", f"{actor} moved last_activity_at"
    # its own follow-up on the deal, which open_followups would take for the deal's
    state, _ = error(db, "agent_partial", """
        insert into public.tasks (agent_id, task_type, title, deal_id, due_at)
        values (%s, 'followup', 'takip', %s, now())""", (W.agent_partial, DEAL_C))
    assert state == "42501"
    state, _ = error(db, "agent_partial", """
        insert into public.tasks (agent_id, task_type, title, deal_id, due_at)
        values (%s, 'reminder', 'hatırlatma', %s, now())""", (W.agent_partial, DEAL_C))
    assert state == "42501"
    # nor anyone else through the API: the bot and staff open them through open_followups only
    for actor in ("service_role", "admin", "listing_agent"):
        state, _ = error(db, actor, """
            insert into public.tasks (agent_id, task_type, title, deal_id, due_at)
            values (%s, 'followup', 'takip', %s, now())""", (W.listing_agent, DEAL_C))
        assert state == "42501", actor
    # a task naming a deal it has no part in
    state, _ = error(db, "agent_partial", """
        insert into public.tasks (agent_id, task_type, title, deal_id) values (%s, 'call', 'ara', %s)""",
                     (W.agent_partial, W.deal))
    assert state == "42501"
    # turning its own call task into a follow-up of the deal
    with act(db, "agent_partial") as c:
        own = c.execute("insert into public.tasks (agent_id, task_type, title, deal_id) values (%s, 'call', 'ara', %s) "
                        "returning id", (W.agent_partial, DEAL_C)).fetchone()[0]
    state, _ = error(db, "agent_partial", "update public.tasks set task_type = 'followup' where id = %s", (own,))
    assert state == "42501"
    # completing the listing agent's follow-up (the world's task): its row is not the co-broker's
    assert rows(db, "agent_partial", "update public.tasks set status = 'done' where id = %s", (W.task,)) == [(0,)]
    state, _ = error(db, "agent_partial", "select * from public.complete_task(%s)", (W.task,))
    assert state == "42501"
    assert db_value(db, "select status from public.tasks where id = %s", (W.task,)) == "pending"
    assert db_value(db, "select last_activity_at from public.deals where id = %s", (DEAL_C,)) == idle_since

    # positive control: the bot's sweep still opens the listing agent's follow-up for the idle deal
    opened = rows(db, "service_role", "select task_type, deal_id::text, agent_id::text "
                                      "from public.open_followups(interval '7 days', interval '1 day')")
    assert ("followup", DEAL_C, W.listing_agent) in opened


# ------------------------------------------------------------------------- agent_visibility audit fields
def test_grant_audit_fields_cannot_be_rewritten(db) -> None:
    truth = "select (granted_by, deal_id, created_at)::text from public.agent_visibility where id = %s"
    before = db_value(db, truth, (W.grant_partial,))
    for actor in ("listing_agent", "broker"):
        for sql in ("update public.agent_visibility set granted_by = %s where id = %s",
                    "update public.agent_visibility set deal_id = (select %s::uuid) where id = %s"):
            value = W.broker if "granted_by" in sql else W.deal
            state, _ = error(db, actor, sql, (value, W.grant_partial))
            assert state == "VC001", f"{actor}: {sql}"
        # created_at is the database's: a written value is ignored
        error(db, actor, "update public.agent_visibility set created_at = '2000-01-01' where id = %s", (W.grant_partial,))
    assert db_value(db, truth, (W.grant_partial,)) == before

    # a new grant in someone else's name or naming a deal
    state, _ = error(db, "listing_agent", """
        insert into public.agent_visibility (portfolio_id, agent_id, visibility_level, deal_id, granted_by)
        values (%s, %s, 'partial', %s, %s)""", (W.listing, W.agent_anonymous, W.deal, W.listing_agent))
    assert state == "VC001"
    state, _ = error(db, "listing_agent", "select * from public.grant_visibility(%s, %s, 'partial', %s)",
                     (W.listing, W.agent_anonymous, W.deal))
    assert state == "VC001"
    made = rows(db, "listing_agent", """
        insert into public.agent_visibility (portfolio_id, agent_id, visibility_level, granted_by, created_at)
        values (%s, %s, 'partial', %s, '2000-01-01') returning granted_by::text, created_at > now() - interval '1 minute'""",
                (W.listing, W.agent_anonymous, W.broker))
    assert made == [(W.listing_agent, True)], "granted_by is the caller, created_at the database's"

    # positive control: the database raises the level and names the deal (a co-broking deal's grant)
    with act(db, "listing_agent", rollback=True) as c:
        c.execute("select * from public.grant_visibility(%s, %s, 'full')", (W.listing, W.agent_partial))
        assert c.execute("select visibility_level, granted_by::text from public.agent_visibility where id = %s",
                         (W.grant_partial,)).fetchone() == ("full", W.listing_agent)


# ------------------------------------------------------------------------------ the phone number oracle
def test_a_contact_cannot_probe_phone_numbers_through_its_own_row(db) -> None:
    seen = set()
    for phone in ("+905559000002", "+905559099999"):  # registered (owner_customer), and nobody's
        seen.add(error(db, "customer", "update public.contacts set phone = %s where id = %s", (phone, W.customer)))
    for bsuid in ("TR.world.bsuid", "TR.nobody"):
        seen.add(error(db, "customer", "update public.contacts set bsuid = %s where id = %s", (bsuid, W.customer)))
    assert len(seen) == 1 and next(iter(seen))[0] == "42501", seen
    assert db_value(db, "select phone from public.contacts where id = %s", (W.customer,)) == "+905559000001"
    # positive control: staff correct a phone (the unique index then speaks to staff only)
    assert rows(db, "admin", "update public.contacts set phone = '+905559099998' where id = %s", (W.customer,)) == [(1,)]
