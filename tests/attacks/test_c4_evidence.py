"""Attack class c4: evidence cannot be forged or edited. Certificates and contracts are made by the
database only (no API role inserts or deletes documents; only file_url is set, once); consent timestamps are
the database's; history rows are append-only for every writer; a grant's audit fields are the database's."""
from __future__ import annotations

import datetime as dt

from tests.attacks._deal_scene import DEAL_C, db, db_value, error, rows, scene_db  # noqa: F401
from tests.world import WORLD as W, act

CERTIFICATES = "select count(*) from public.documents where type = 'certificate'"


def test_a_forged_certificate_cannot_be_planted_and_the_real_one_is_the_databases(db) -> None:
    with act(db, "listing_agent") as c:
        showing = c.execute("select id from public.schedule_showing(%s, now())", (DEAL_C,)).fetchone()[0]
    before = db_value(db, CERTIFICATES)
    # the co-broker (or the listing agent, or the bot) pre-inserts the certificate of the showing, in its name,
    # and one into an unrelated customer's documents
    for actor in ("agent_partial", "listing_agent", "broker", "admin", "service_role"):
        for contact, agent in ((W.customer, W.agent_partial), (W.owner_customer, W.listing_agent)):
            state, _ = error(db, actor, """
                insert into public.documents (type, contact_id, portfolio_id, agent_id, showing_id, deal_id, template_data)
                values ('certificate', %s, %s, %s, %s, %s, '{"forged": true}')""",
                             (contact, W.listing, agent, showing, DEAL_C))
            assert state == "42501", f"{actor} inserted a certificate"
        state, _ = error(db, actor, """
            insert into public.documents (type, contact_id, deal_id, template_data)
            values ('contract', %s, %s, '{"forged": true}')""", (W.owner_customer, DEAL_C))
        assert state == "42501"
    assert db_value(db, CERTIFICATES) == before

    # marking it shown issues the database's certificate, for the deal's customer and the listing agent
    with act(db, "agent_partial") as c:
        certificate = c.execute("select certificate_id from public.mark_shown(%s)", (showing,)).fetchone()[0]
    doc = db.execute("select contact_id::text, agent_id::text, template_data ->> 'document', template_data ? 'forged' "
                     "from public.documents where id = %s", (certificate,)).fetchone()
    assert doc == (W.customer, W.listing_agent, "yer_gosterme_belgesi", False)

    # after issue: no edit, no delete, file_url once
    for actor in ("listing_agent", "agent_partial", "admin", "service_role"):
        for sql in ("update public.documents set template_data = '{\"forged\": true}' where id = %s",
                    f"update public.documents set contact_id = '{W.owner_customer}' where id = %s",
                    "delete from public.documents where id = %s"):
            state, _ = error(db, actor, sql, (certificate,))
            assert state == "42501", f"{actor}: {sql}"
    assert rows(db, "listing_agent", "update public.documents set file_url = 'https://files/c.pdf' where id = %s",
                (certificate,)) == [(1,)], "positive control: the rendered file's address is set once"
    error(db, "service_role", "update public.documents set file_url = 'https://files/c.pdf' where id = %s", (certificate,))
    state, _ = error(db, "service_role", "update public.documents set file_url = 'https://evil/c.pdf' where id = %s",
                     (certificate,))
    assert state == "42501"
    # the dashboard (postgres) too: an issued document never changes
    for sql in ("update public.documents set file_url = null where id = %s",
                "update public.documents set template_data = '{}' where id = %s"):
        try:
            with db.transaction():
                db.execute(sql, (certificate,))
            raise AssertionError(f"the owner could: {sql}")
        except Exception as exc:  # noqa: BLE001
            assert getattr(exc, "sqlstate", None) == "42501", exc
    assert db_value(db, "select file_url from public.documents where id = %s", (certificate,)) == "https://files/c.pdf"


def test_consent_timestamps_are_the_databases(db) -> None:
    truth = "select consent_marketing_at from public.contacts where id = %s"
    before = db_value(db, truth, (W.owner_customer,))
    error(db, "owner_customer", "update public.contacts set consent_marketing_at = '2000-01-01' where id = %s",
          (W.owner_customer,))
    error(db, "owner_customer", "update public.contacts set consent_transfer_at = now() + interval '1 year' where id = %s",
          (W.owner_customer,))
    assert db_value(db, truth, (W.owner_customer,)) == before
    assert db_value(db, "select consent_transfer_at < now() + interval '1 minute' from public.contacts where id = %s",
                    (W.owner_customer,))
    # withdrawing with a back-dated time: the time is the change's
    error(db, "owner_customer", "update public.contacts set consent_marketing = false, consent_marketing_at = '2000-01-01' "
                                "where id = %s", (W.owner_customer,))
    moved = db_value(db, truth, (W.owner_customer,))
    assert moved is not None and moved > dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    # positive control: record_consent timestamps the change now
    assert rows(db, "owner_customer", "select consent_marketing_at > now() - interval '1 minute' "
                                      "from public.record_consent('marketing', true)") == [(True,)]


def test_history_rows_are_append_only(db) -> None:
    truth = "select (new_value, changed_by)::text from public.portfolio_history where id = %s"
    before = db_value(db, truth, (W.history,))
    for actor in ("listing_agent", "broker", "admin", "service_role"):
        for sql in ("update public.portfolio_history set new_value = '{\"title\": \"x\"}' where id = %s",
                    "delete from public.portfolio_history where id = %s",
                    "insert into public.portfolio_history (portfolio_id, event_type, new_value) "
                    "values ('2026-001', 'update', '{}') returning %s"):
            state, _ = error(db, actor, sql, (W.history,))
            assert state == "42501", f"{actor}: {sql}"
    # the database owner (the dashboard's SQL editor) is refused too: corrections are new rows
    for sql in ("update public.portfolio_history set new_value = '{}' where id = %s",
                "delete from public.portfolio_history where id = %s"):
        try:
            with db.transaction():
                db.execute(sql, (W.history,))
            raise AssertionError(f"the owner could: {sql}")
        except Exception as exc:  # noqa: BLE001
            assert getattr(exc, "sqlstate", None) == "42501", exc
    assert db_value(db, truth, (W.history,)) == before
    # positive control: a change of the listing (and of its confidential row) adds rows
    count = "select count(*) from public.portfolio_history where portfolio_id = %s"
    n = db_value(db, count, (W.listing,))
    with act(db, "listing_agent", rollback=True) as c:
        c.execute("update public.portfolios set title = 'Yeni başlık' where id = %s", (W.listing,))
        c.execute("update public.portfolio_confidential set private_notes = 'yeni not' where portfolio_id = %s", (W.listing,))
        assert c.execute(count, (W.listing,)).fetchone()[0] == n + 2


def test_grant_audit_fields_hold_for_the_dashboard_too(db) -> None:
    truth = "select (granted_by, deal_id, created_at)::text from public.agent_visibility where id = %s"
    before = db_value(db, truth, (W.grant_full,))
    db.execute("update public.agent_visibility set granted_by = %s, deal_id = %s, created_at = '2000-01-01' "
               "where id = %s", (W.broker, W.deal, W.grant_full))
    assert db_value(db, truth, (W.grant_full,)) == before
