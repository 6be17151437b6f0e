"""docs/errors.md is the one list of error codes: vic.errors must map exactly those, and real
PostgreSQL errors must come back as the documented classes."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from vic import errors

DOC = Path(__file__).resolve().parents[1] / "docs" / "errors.md"
CODE = re.compile(r"[0-9A-Z]{5}|[0-9A-Z]{2}\*")


def doc_rows() -> dict[str, tuple[str, str]]:
    """code -> (class name, HTTP status) from the table in docs/errors.md."""
    rows: dict[str, tuple[str, str]] = {}
    for line in DOC.read_text().splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and CODE.fullmatch(cells[0]):
            assert cells[0] not in rows, f"{cells[0]} listed twice in {DOC.name}"
            rows[cells[0]] = (cells[1], cells[3])
    return rows


def test_doc_and_mapping_agree_both_ways() -> None:
    documented = {code: cls for code, (cls, _) in doc_rows().items()}
    mapped = {code: cls.__name__ for code, cls in errors.SQLSTATES.items()}
    assert documented == mapped


def test_every_error_class_is_documented_with_an_http_status() -> None:
    rows = doc_rows()
    classes = {cls for cls, _ in rows.values()}
    assert classes == {c.__name__ for c in errors.VicError.__subclasses__()}
    for code, (_, http) in rows.items():
        assert re.match(r"[1-5]\d\d\b", http), f"{code}: HTTP status {http!r}"


def _raised(db: psycopg.Connection, statement: str) -> errors.VicError:
    with pytest.raises(psycopg.Error) as caught:
        db.execute(statement)
    return errors.from_psycopg(caught.value)


@pytest.mark.parametrize("code", [c for c in errors.SQLSTATES if not c.endswith("*")])
def test_raise_with_each_documented_code(db: psycopg.Connection, code: str) -> None:
    err = _raised(
        db,
        f"do $$ begin raise exception using errcode = '{code}', message = 'x', "
        "detail = 'the detail', hint = 'the hint'; end $$",
    )
    assert type(err) is errors.SQLSTATES[code]
    assert (err.sqlstate, err.message, err.detail, err.hint) == (code, "x", "the detail", "the hint")


def test_vc001_from_plpgsql_is_invalid_input(db: psycopg.Connection) -> None:
    err = _raised(db, "do $$ begin raise exception using errcode='VC001', message='x'; end $$")
    assert isinstance(err, errors.InvalidInput)
    assert err.sqlstate == "VC001" and str(err) == "x"


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("insert into pg_temp.t (n) values (0)", errors.InvalidInput),  # 23514 check
        ("insert into pg_temp.t (n) values (null)", errors.InvalidInput),  # 23502 not null
        ("select 'abc'::int", errors.InvalidInput),  # 22P02
        ("insert into pg_temp.t (n) values (1), (1)", errors.Conflict),  # 23505 unique
        ("insert into pg_temp.child (parent) values (42)", errors.Conflict),  # 23503 foreign key
        ("select 1/0", errors.VicError),  # 22012: no meaning of ours, plain VicError
    ],
)
def test_constraint_errors_map_to_their_meaning(
    db: psycopg.Connection, statement: str, expected: type[errors.VicError]
) -> None:
    db.execute("create temp table t (n int not null unique check (n > 0))")
    db.execute("create temp table child (parent int references pg_temp.t (n))")
    err = _raised(db, statement)
    assert type(err) is expected


def test_one_line_hides_postgres_row_details_but_keeps_ours() -> None:
    ours = errors.InvalidInput("price must be > 0", sqlstate="VC001", detail="price = 0", hint="h")
    assert ours.one_line() == "price must be > 0; price = 0; hint: h"
    theirs = errors.InvalidInput("check failed", sqlstate="23514", detail="Failing row contains (+905…)")
    assert theirs.one_line() == "check failed"


def test_unreachable_server_is_connection_failed() -> None:
    with pytest.raises(psycopg.OperationalError) as caught:
        psycopg.connect("postgresql://postgres@127.0.0.1:1/x?connect_timeout=5")
    err = errors.from_psycopg(caught.value)
    assert isinstance(err, errors.ConnectionFailed)
    assert "\n" not in err.message


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:s3cret@h:5432/db", "postgresql://u:***@h:5432/db"),
        ("postgresql://u@h/db?password=s3cret&sslmode=disable", "postgresql://u@h/db?password=***&sslmode=disable"),
        ("host=h password=s3cret dbname=db", "host=h password=*** dbname=db"),
        ("postgresql://u@/db?host=/tmp/pg", "postgresql://u@/db?host=/tmp/pg"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert errors.redact_url(url) == shown
