"""The two transports give the same rows and the same exceptions; configuration picks one; the PostgREST
stand-in (tests/postgrest_endpoint.py) speaks the protocol it claims.

The client suite itself (tests/test_client*.py) runs on both transports through the `as_` fixture
(tests/transports.py); this module checks what that suite cannot see: values compared with their types,
exceptions compared field by field, `VicClient.from_config`, and the endpoint's HTTP answers.
"""

from __future__ import annotations

import logging
import os
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.postgrest_endpoint import PostgrestEndpoint, pgrst_status, sign
from tests.test_errors import doc_rows
from vic import errors, result_types
from vic.client import VicClient
from vic.transport import (PsycopgTransport, SupabaseTransport, Transport, declared_result_types, from_json,
                           parse_json, render_result_types)

ROOT = Path(__file__).resolve().parents[1]
ADMIN = "00000000-0000-4000-8000-0000000ad001"
AGENT = "00000000-0000-4000-8000-0000000ad003"
OTHER_AGENT = "00000000-0000-4000-8000-0000000ad004"
CUSTOMER = "00000000-0000-4000-8000-0000000ad005"
LISTING = "2026-001"


@pytest.fixture
def cast(db: psycopg.Connection) -> None:
    ids = {"admin": ADMIN, "agent": AGENT, "other": OTHER_AGENT, "customer": CUSTOMER, "listing": LISTING}
    with db.transaction():
        db.execute(
            """insert into public.contacts (id, phone, display_name, contact_type) values
                 (%(admin)s, '+905320000001', 'Ayşe Yönetici', 'staff'),
                 (%(agent)s, '+905320000003', 'Elif Danışman', 'agent'),
                 (%(other)s, '+905320000004', 'Can Başka', 'agent'),
                 (%(customer)s, '+905320000005', 'Zeynep Müşteri', 'customer')""", ids)
        db.execute(
            """insert into public.agent_profiles (contact_id, role, office) values
                 (%(admin)s, 'admin', null), (%(agent)s, 'agent', 'Moda Emlak'),
                 (%(other)s, 'agent', 'Beşiktaş Gayrimenkul')""", ids)
        db.execute(
            """insert into public.portfolios (id, agent_id, type, listing_type, title, description, district, rooms,
                                              listed_price, currency, status)
               values (%(listing)s, %(agent)s, 'daire', 'sale', 'Moda''da deniz manzaralı 3+1', '140 m², asansörlü',
                       'Kadıköy', '3+1', 12500000, 'TRY', 'active')""", ids)
        db.execute(
            """insert into public.portfolio_media (portfolio_id, media_type, storage_path, sort_order)
               values (%(listing)s, 'photo', 'portfolios/2026-001/1.jpg', 0)""", ids)


@pytest.fixture
def both(db_url: str, postgrest_endpoint: PostgrestEndpoint):
    """`both(who=None, service_role=False)` -> (psycopg client, supabase client) acting alike."""
    made: list[VicClient] = []

    def make(who: str | None = None, *, service_role: bool = False) -> tuple[VicClient, VicClient]:
        direct = VicClient.connect(db_url, acting_as=who, service_role=service_role)
        api = VicClient.from_config(
            supabase_url=postgrest_endpoint.project_url(db_url),
            supabase_key=postgrest_endpoint.service_role_key if service_role else postgrest_endpoint.anon_key,
            access_token=postgrest_endpoint.token(who) if who else None, acting_as=who, service_role=service_role,
            env={})
        made.extend((direct, api))
        return direct, api

    yield make
    for client in made:
        client.close()
    postgrest_endpoint.forget(psycopg.conninfo.conninfo_to_dict(db_url)["dbname"])


def typed(value: Any) -> Any:
    """A value with the type of every part spelled out, so that 2.5 != Decimal('2.5') and UUID != str."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return (type(value).__name__, repr(value))


# ---------------------------------------------------------------------------------------------- results
# Sample values of every type a function of public returns (and a few more); a new result type needs its
# samples here.
SAMPLES: dict[str, list[str]] = {
    "bigint": ["0", "-9223372036854775808", "9223372036854775807"],
    "boolean": ["true", "false"],
    "int8range": ["[1,5)", "empty", "(,10]", "[3,)"],
    "integer": ["-2147483648", "42"],
    "smallint": ["-32768", "7"],
    "double precision": ["0.1", "-1.5e300", "-0"],
    "date": ["2026-12-04", "1999-01-31"],
    "interval": ["1 day 02:00:00", "-00:00:01.5", "1 year 2 mons", "00:00:00"],
    "jsonb": ['{"a": [1, 2.5, "x", null, true], "b": {"c": 0.1, "d": 1e-7, "e": -0, "f": 1e2}}', "[]", '"s"', "3.0",
              "12345678901234567890", "-0"],
    "numeric": ["2.50", "0.0000001", "-12345678901234567890.123456789", "50", "NaN", "0"],
    "real": ["0.0607927", "1e-10", "3.4e38", "-0"],
    "text": ["", "Kadıköy 'x' \"y\" \\ ", "line\nbreak"],
    "text[]": ["{}", '{a,NULL,"b c","d\\"e"}'],
    "timestamp with time zone": ["2026-12-04 16:48:24.123456+00", "2026-06-01 12:00:00+03",
                                 "1999-12-31 23:59:59.5-05:30"],
    "tsvector": ["'deniz':1 'manzara':2"],
    "uuid": ["00000000-0000-4000-8000-00000000c001"],
    "uuid[]": ["{00000000-0000-4000-8000-00000000c001,NULL}"],
    "bigint[]": ["{1,-2,NULL}"],
}


def declared_types() -> set[str]:
    types = {t for cols in result_types.COLUMNS.values() for t in cols.values()}
    return types | {t.removeprefix("setof ") for t in result_types.SCALARS.values()}


def test_from_json_reads_every_declared_type_as_psycopg_does(db_url: str) -> None:
    missing = declared_types() - set(SAMPLES)
    assert not missing, f"functions return types with no sample in SAMPLES: {sorted(missing)}"
    with PsycopgTransport(db_url) as transport:
        conn = transport._connection()
        for type_name, literals in SAMPLES.items():
            rows = conn.execute(
                psycopg.sql.SQL("select v, to_json(v)::text as j from unnest(%s::text[]) with ordinality as t(s, n), "
                                "lateral (select s::{} as v) c order by n").format(psycopg.sql.SQL(type_name)),
                ([*literals, None],)).fetchall()
            for literal, row in zip([*literals, None], rows, strict=True):
                # (json_agg writes a SQL null as JSON null; to_json of it alone is a SQL null)
                read = from_json(type_name, None if row["j"] is None else parse_json(row["j"]))
                assert typed(read) == typed(row["v"]), f"{type_name} {literal!r}: JSON {row['j']}"


def test_result_types_are_the_catalogs(db: psycopg.Connection) -> None:
    expected = render_result_types(*declared_result_types(db))
    path = ROOT / "python_client" / "vic" / "result_types.py"
    if os.environ.get("VIC_WRITE_RESULT_TYPES") == "1":
        path.write_text(expected)
    assert result_types.COLUMNS and result_types.SCALARS
    assert path.read_text() == expected, (
        "python_client/vic/result_types.py differs from the functions' declared result types: rewrite it with "
        "VIC_WRITE_RESULT_TYPES=1 pytest tests/test_transports.py -k result_types")


@pytest.mark.usefixtures("cast")
def test_same_rows_with_the_same_types(both, db_url: str) -> None:
    with VicClient.connect(db_url, acting_as=CUSTOMER) as me:
        me.record_consent(kind="transfer", granted=True)
    calls = [
        (AGENT, False, lambda v: v.whoami()),
        (OTHER_AGENT, False, lambda v: v.portfolio_cards()),  # jsonb media, bigint bands
        (AGENT, False, lambda v: v.portfolio_cards()),
        (OTHER_AGENT, False, lambda v: v.search_portfolios(query="deniz manzaralı")),  # real rank
        (AGENT, False, lambda v: v.commission_split()),  # numeric(5,2) through OUT numeric columns
        (CUSTOMER, False, lambda v: v.consent_history()),  # bigint, timestamptz, uuid
        (CUSTOMER, False, lambda v: v.window_status()),
        (None, True, lambda v: v.window_open(contact_id=CUSTOMER)),  # a scalar function
        (None, True, lambda v: v.contact_identity_history(contact_id=CUSTOMER)),  # no row
        (ADMIN, False, lambda v: v.dead_messages()),
    ]
    for who, service_role, call in calls:
        direct, api = both(who, service_role=service_role)
        assert typed(call(api)) == typed(call(direct))
    direct, api = both(AGENT)
    assert direct.portfolio_cards()[0]["media"] == [{"media_type": "photo", "storage_path": "portfolios/2026-001/1.jpg"}]
    assert isinstance(api.commission_split()[0]["listing_rate"], Decimal)


@pytest.mark.usefixtures("cast")
def test_writes_return_the_same_rows(both, db: psycopg.Connection) -> None:
    # the same write through each transport: rows alike but for the ids and times the database makes
    rows = []
    for transport, (phone, bsuid) in zip((0, 1), (("+905551110001", "TR.a"), ("+905551110002", "TR.b"))):
        client = both(service_role=True)[transport]
        rows.append(client.upsert_contact(phone=phone, bsuid=bsuid, display_name="Deniz"))
        listing = both(AGENT)[transport].create_listing(
            type="daire", listing_type="sale", title="Kadıköy'de 2+1", district="Kadıköy", listed_price=9_000_000,
            rooms="2+1", owner_name="Hasan Kaya", min_price=8_500_000, commission_rate=2.5)
        rows.append(listing)
    volatile = {"id", "phone", "bsuid", "created_at", "updated_at", "search_vector", "public_vector", "listed_at"}
    for direct, api in ((rows[0], rows[2]), (rows[1], rows[3])):
        assert set(direct) == set(api)
        assert typed({k: v for k, v in direct.items() if k not in volatile}) == \
            typed({k: v for k, v in api.items() if k not in volatile})
        assert {k: type(v) for k, v in direct.items()} == {k: type(v) for k, v in api.items()}


# ---------------------------------------------------------------------------------------------- exceptions
@pytest.mark.usefixtures("cast")
@pytest.mark.parametrize(
    ("who", "service_role", "call"),
    [
        (None, True, lambda v: v.upsert_contact(phone="05321234567")),  # VC001
        (None, True, lambda v: v.set_onboarding_status(contact_id=CUSTOMER, status="active")),  # VC002
        (ADMIN, False, lambda v: v.set_agent_role(contact_id="00000000-0000-4000-8000-0000000000ff", role="agent")),
        (None, True, lambda v: v.set_onboarding_status(contact_id="not-a-uuid", status="active")),  # 22P02
        (None, True, lambda v: v.upsert_contact(phone="+905320000003", bsuid="x", contact_type="martian")),
        (CUSTOMER, False, lambda v: v.consent_history(contact_id=AGENT)),  # another contact's: 42501
        (CUSTOMER, False, lambda v: v.set_agent_role(contact_id=CUSTOMER, role="admin")),
        (OTHER_AGENT, False, lambda v: v.update_listing(portfolio_id=LISTING, title="mine now")),  # RLS
        (OTHER_AGENT, False, lambda v: v.grant_visibility(portfolio_id=LISTING, agent_id=OTHER_AGENT, level="full")),
        (AGENT, False, lambda v: v.portfolio_cards(limit=0)),
        (AGENT, False, lambda v: v.stale_deals(idle="forever")),  # 22007 from the interval's input
        (None, True, lambda v: v.claim_nudges(batch=10**12)),  # 22003: out of range for integer
    ],
    ids=["vc001", "vc002", "vc003", "bad-uuid", "bad-enum", "rls-other-contact", "not-staff", "rls-listing",
         "not-the-listing-side", "limit", "bad-interval", "huge-number"],
)
def test_same_exceptions(both, db: psycopg.Connection, who, service_role, call) -> None:
    caught = []
    for client in both(who, service_role=service_role):
        before = db.execute("select count(*), max(updated_at) from public.contacts").fetchone()
        with pytest.raises(errors.VicError) as exc:
            call(client)
        assert db.execute("select count(*), max(updated_at) from public.contacts").fetchone() == before
        e = exc.value
        caught.append((type(e), e.sqlstate, e.message, e.detail, e.hint))
    assert caught[0] == caught[1]
    assert caught[0][1], "a PostgreSQL error has its SQLSTATE"


@pytest.mark.usefixtures("cast")
def test_each_documented_code_gets_postgrests_status_and_the_same_exception(
        both, db: psycopg.Connection, db_url: str, postgrest_endpoint: PostgrestEndpoint) -> None:
    db.execute("""create function public.raise_it(p_code text) returns void language plpgsql as $$
                  begin raise exception using errcode = p_code, message = 'm ' || p_code, detail = 'd', hint = 'h'; end
                  $$""")
    db.execute("grant execute on function public.raise_it(text) to anon, authenticated, service_role")
    url = f"{postgrest_endpoint.project_url(db_url)}/rest/v1/rpc/raise_it"
    for code, (cls, http) in doc_rows().items():
        code = code.replace("*", "000")
        for who, key in ((postgrest_endpoint.token(CUSTOMER), postgrest_endpoint.anon_key),
                         (None, postgrest_endpoint.anon_key)):
            headers = {"apikey": key, **({"Authorization": f"Bearer {who}"} if who else {})}
            r = httpx.post(url, json={"p_code": code}, headers=headers)
            assert r.json() == {"code": code, "details": "d", "hint": "h", "message": f"m {code}"}
            expected = 401 if code == "42501" and who is None else int(http.split()[0])
            assert r.status_code == expected == pgrst_status(code, who is not None), (code, http)
        direct, api = both(CUSTOMER)
        found = []
        for client in (direct, api):
            with pytest.raises(errors.VicError) as exc:
                client.transport.call("raise_it", {"p_code": code})
            found.append((type(exc.value).__name__, exc.value.sqlstate, exc.value.message, exc.value.detail,
                          exc.value.hint))
        assert found[0] == found[1] == (cls, code, f"m {code}", "d", "h")


@pytest.mark.usefixtures("cast")
def test_a_stable_function_runs_read_only_through_the_api(both, db: psycopg.Connection) -> None:
    # PostgREST calls a stable function in a read-only transaction: one that writes fails there (25006, 405)
    db.execute("create table public.scratch (n int)")
    db.execute("create function public.write_one() returns int language sql as "
               "$$ insert into public.scratch values (1) returning n $$")
    db.execute("create function public.sneaky_write() returns setof int language sql stable as "
               "$$ select public.write_one() $$")
    db.execute("grant all on public.scratch to service_role; "
               "grant execute on function public.sneaky_write(), public.write_one() to service_role")
    direct, api = both(service_role=True)
    assert direct.transport.call("sneaky_write", {}) == [{"sneaky_write": 1}]
    with pytest.raises(errors.VicError) as caught:
        api.transport.call("sneaky_write", {})
    assert caught.value.sqlstate == "25006"


# ---------------------------------------------------------------------------------------------- tokens, keys
@pytest.mark.usefixtures("cast")
def test_tokens_and_keys_the_api_refuses(db_url: str, postgrest_endpoint: PostgrestEndpoint) -> None:
    url = postgrest_endpoint.project_url(db_url)
    anon = postgrest_endpoint.anon_key
    forged = sign({"sub": ADMIN, "role": "authenticated", "exp": int(time.time()) + 60}, "another-secret-of-32-chars!!!!!!")
    expired = postgrest_endpoint.token(ADMIN, expires_in=-120)
    for token, message in ((forged, "JWSInvalidSignature"), (expired, "JWT expired")):
        with SupabaseTransport(url, anon, token) as transport, pytest.raises(errors.AccessDenied, match=message) as exc:
            transport.call("whoami", {})
        assert exc.value.sqlstate is None
    for key in ("not-a-key", sign({"role": "authenticated"})):
        with SupabaseTransport(url, key) as transport, pytest.raises(errors.AccessDenied, match="Invalid API key"):
            transport.call("whoami", {})
    r = httpx.post(f"{url}/rest/v1/rpc/whoami", json={})
    assert (r.status_code, r.json()["message"]) == (401, "No API key found in request")
    # a token naming a role is that role: service_role through a token signed with the secret
    with SupabaseTransport(url, anon, sign({"role": "service_role"})) as transport:
        assert transport.call("whoami", {})[0]["authority"] == "service_role"


@pytest.mark.usefixtures("cast")
def test_unknown_function_and_arguments(both) -> None:
    direct, api = both(service_role=True)
    with pytest.raises(errors.VicError, match="Could not find the function public.whoami\\(p_x\\)") as caught:
        api.transport.call("whoami", {"p_x": 1})
    assert caught.value.sqlstate is None
    with pytest.raises(errors.VicError) as caught:
        direct.transport.call("whoami", {"p_x": 1})
    assert caught.value.sqlstate == "42883"


def test_an_unreachable_api_is_connection_failed() -> None:
    with SupabaseTransport("http://127.0.0.1:1", "key") as transport, \
            pytest.raises(errors.ConnectionFailed, match="cannot reach http://127.0.0.1:1"):
        transport.call("whoami", {})


@pytest.mark.usefixtures("cast")
def test_parameters_and_tokens_are_never_logged(db_url: str, postgrest_endpoint: PostgrestEndpoint,
                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    token = postgrest_endpoint.token(ADMIN)
    with VicClient.from_config(supabase_url=postgrest_endpoint.project_url(db_url),
                               supabase_key=postgrest_endpoint.anon_key, access_token=token, env={}) as admin:
        admin.upsert_contact(phone="+905559998877", display_name="Gizli Sahip")
        with pytest.raises(errors.InvalidInput):
            admin.upsert_contact(phone="+90 555 999 88 77")
    assert "HTTP Request: POST" in caplog.text and "upsert_contact" in caplog.text  # httpx did log the calls
    assert "555" not in caplog.text and "Gizli" not in caplog.text
    assert token not in caplog.text and token.split(".")[1] not in caplog.text
    assert postgrest_endpoint.anon_key.split(".")[1] not in caplog.text


# ---------------------------------------------------------------------------------------------- configuration
def test_from_config_picks_the_transport() -> None:
    sb = {"VIC_SUPABASE_URL": "https://p.supabase.co", "VIC_SUPABASE_KEY": "sb_publishable_x"}
    db = {"VIC_DATABASE_URL": "postgresql://u@h/d"}
    assert isinstance(VicClient.from_config(env=sb).transport, SupabaseTransport)
    assert isinstance(VicClient.from_config(env=sb).transport, Transport)
    assert isinstance(VicClient.from_config(env={**sb, **db}).transport, SupabaseTransport)
    assert isinstance(VicClient.from_config(env=db).transport, PsycopgTransport)
    # an explicit database URL wins over Supabase settings from the environment
    client = VicClient.from_config(database_url="postgresql://x@h/d", env=sb)
    assert isinstance(client.transport, PsycopgTransport) and client.transport.url == "postgresql://x@h/d"
    client = VicClient.from_config(supabase_url="https://q.supabase.co", supabase_key="k", env=db)
    assert isinstance(client.transport, SupabaseTransport) and client.transport.url == "https://q.supabase.co"
    token = sign({"sub": CUSTOMER, "role": "authenticated"})
    client = VicClient.from_config(env={**sb, "VIC_SUPABASE_ACCESS_TOKEN": token})
    assert client.transport.access_token == token
    assert VicClient.from_config(env={**sb, "VIC_SUPABASE_ACCESS_TOKEN": token}, acting_as=CUSTOMER).transport.access_token == token
    # service_role and anon leave a token from the environment out
    secret = {**sb, "VIC_SUPABASE_KEY": "sb_secret_y", "VIC_SUPABASE_ACCESS_TOKEN": token}
    assert VicClient.from_config(env=secret, service_role=True).transport.access_token is None
    assert VicClient.from_config(env={**sb, "VIC_SUPABASE_ACCESS_TOKEN": token}, anon=True).transport.access_token is None
    psy = VicClient.from_config(env=db, anon=True).transport
    assert (psy.anon, psy.service_role, psy.acting_as) == (True, False, None)


@pytest.mark.parametrize(
    ("kwargs", "env", "message"),
    [
        ({}, {}, "no database to talk to"),
        ({}, {"VIC_SUPABASE_URL": "https://p.supabase.co"}, "VIC_SUPABASE_KEY is not"),
        ({}, {"VIC_SUPABASE_KEY": "k"}, "VIC_SUPABASE_URL is not"),
        ({"database_url": "postgresql://h/d", "supabase_url": "https://p.supabase.co"}, {}, "not both"),
        ({"database_url": "postgresql://h/d", "access_token": "t"}, {}, "access token is for the Supabase API"),
        ({"acting_as": CUSTOMER, "service_role": True}, {"VIC_DATABASE_URL": "postgresql://h/d"}, "not several"),
        ({"anon": True, "service_role": True}, {"VIC_DATABASE_URL": "postgresql://h/d"}, "not several"),
        ({"supabase_url": "ftp://p", "supabase_key": "k"}, {}, "http\\(s\\) URL"),
        ({"supabase_url": "https://p.supabase.co", "supabase_key": "k", "acting_as": CUSTOMER}, {},
         "needs its access token"),
        ({"supabase_url": "https://p.supabase.co", "supabase_key": "k", "acting_as": AGENT,
          "access_token": sign({"sub": CUSTOMER, "role": "authenticated"})}, {}, "not the acting contact's"),
        ({"supabase_url": "https://p.supabase.co", "supabase_key": "k", "acting_as": "+905321234567",
          "access_token": "t"}, {}, "contact id"),
        ({"supabase_url": "https://p.supabase.co", "supabase_key": "sb_publishable_x", "service_role": True}, {},
         "needs the project's service_role key, not its anon key"),
        ({"supabase_url": "https://p.supabase.co", "supabase_key": sign({"role": "service_role"}), "anon": True}, {},
         "needs the project's anon key, not its service_role key"),
        ({"supabase_url": "https://p.supabase.co", "supabase_key": "k", "service_role": True, "access_token": "t"},
         {}, "leave it out to act as service_role"),
    ],
    ids=["nothing", "url-without-key", "key-without-url", "both-urls", "token-with-database", "contact-and-bot",
         "anon-and-bot", "not-http", "contact-without-token", "someone-elses-token", "contact-not-an-id",
         "bot-with-anon-key", "anon-with-service-key", "bot-with-token"],
)
def test_from_config_refuses_what_does_not_add_up(kwargs: dict, env: dict, message: str) -> None:
    with pytest.raises(errors.InvalidInput, match=message) as caught:
        VicClient.from_config(**kwargs, env=env)
    assert "+90532" not in str(caught.value)


def test_anon_is_its_own_identity(db_url: str) -> None:
    with pytest.raises(errors.InvalidInput, match="not both"):
        VicClient.connect(db_url, acting_as=CUSTOMER, anon=True)
    with VicClient.connect(db_url, anon=True) as nobody:
        conn = nobody.transport._connection()  # type: ignore[attr-defined]
        assert nobody.transport._identity() == ("anon", {"role": "anon"})  # type: ignore[attr-defined]
        with pytest.raises(errors.AccessDenied):
            nobody.whoami()
        assert conn.execute("select current_user").fetchone()["current_user"] != "anon"  # only for the call
