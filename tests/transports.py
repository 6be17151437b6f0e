"""pytest plugin: the client suite on both transports.

`as_` is a client factory, parametrised over the two transports: `as_(db_url, who)` acts as the contact
`who`, `as_(db_url, service_role=True)` as the bot, `as_(db_url, anon=True)` as nobody, `as_(db_url)` as the URL's
own user (psycopg only: the Supabase API has no such caller). On `supabase`, the client is built by `VicClient.from_config` with the
project URL of the test database on the local PostgREST stand-in (tests/postgrest_endpoint.py): a contact with the
anon key and an access token signed for it (`sub` = its id), the bot with the service_role key, nobody with
the anon key alone.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest

from vic.pg_server import PgServer
from tests.postgrest_endpoint import PostgrestEndpoint
from vic.client import VicClient

TRANSPORTS = ["psycopg", "supabase"]


@pytest.fixture(scope="session")
def postgrest_endpoint(pg_server: PgServer) -> Iterator[PostgrestEndpoint]:
    """The PostgREST stand-in of this test process (started on first use)."""
    endpoint = PostgrestEndpoint(pg_server)
    yield endpoint
    endpoint.stop()


ClientFactory = Callable[..., VicClient]


@pytest.fixture(params=TRANSPORTS)
def as_(request: pytest.FixtureRequest) -> Iterator[ClientFactory]:
    """`as_(db_url, who=None, *, service_role=False) -> VicClient` on the transport of the test's parameter."""
    transport = request.param
    endpoint: PostgrestEndpoint | None = request.getfixturevalue("postgrest_endpoint") \
        if transport == "supabase" else None
    made: list[VicClient] = []
    databases: set[str] = set()

    def make(db_url: str, who: str | None = None, *, service_role: bool = False, anon: bool = False) -> VicClient:
        if endpoint is None:
            client = VicClient.connect(db_url, acting_as=who, service_role=service_role, anon=anon)
        else:
            if who is None and not service_role and not anon:
                pytest.fail("the Supabase API has no 'connection's own user': this test is for psycopg only")
            databases.add(urlsplit(db_url).path.lstrip("/"))
            client = VicClient.from_config(
                supabase_url=endpoint.project_url(db_url),
                supabase_key=endpoint.service_role_key if service_role else endpoint.anon_key,
                access_token=endpoint.token(str(who)) if who is not None else None,
                acting_as=who, service_role=service_role, anon=anon, env={})
        made.append(client)
        return client

    make.transport = transport  # type: ignore[attr-defined]
    yield make
    for client in made:
        client.close()
    for dbname in databases:
        assert endpoint is not None
        endpoint.forget(dbname)


@pytest.fixture
def psycopg_as() -> ClientFactory:
    """`as_` on psycopg only, for tests of something else (the CLI) that set up data through the client."""

    def make(db_url: str, who: str | None = None, *, service_role: bool = False) -> VicClient:
        return VicClient.connect(db_url, acting_as=who, service_role=service_role)

    return make
