"""Bounded input (attack class c9): every text column of a public table has a length check, every
public RPC's text/array/number parameter is bounded (docs/errors.md, Bounds), and the district list
is the pinned package's."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent

# Text columns of public tables and the check that bounds each: a check constraint on the table whose
# expression names the column inside length()/char_length()/octet_length(), or a check that lists its
# values (in (...) / = any), or a regular expression anchored at both ends with bounded repetition.
UNBOUNDED_TEXT_COLUMNS = """
select format('%s.%s', c.oid::regclass, a.attname)
from pg_class c
join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
  and a.atttypid in ('text'::regtype, 'varchar'::regtype, 'jsonb'::regtype, 'json'::regtype)
  and a.attgenerated = ''
  -- a foreign key is bounded by the row it names
  and not exists (select 1 from pg_constraint f where f.conrelid = c.oid and f.contype = 'f' and a.attnum = any (f.conkey))
  and not exists (
    select 1 from pg_constraint k
    where k.conrelid = c.oid and k.contype = 'c' and a.attnum = any (k.conkey)
      and pg_get_constraintdef(k.oid) ~ ('(length|octet_length|char_length)\\((\\(|btrim\\()*' || quote_ident(a.attname) || '\\M'
                                          || '|\\m' || quote_ident(a.attname) || '\\M.* (IN|= ANY) \\('
                                          || '|\\m' || quote_ident(a.attname) || '\\M ~ ''\\^[^'']*\\$''')
  )
order by 1
"""


def test_every_text_column_of_a_public_table_is_bounded(db):
    offenders = [r[0] for r in db.execute(UNBOUNDED_TEXT_COLUMNS)]
    assert offenders == [], "text/jsonb columns without a length check:\n" + "\n".join(offenders)


def test_the_lint_names_an_unbounded_column(db):
    db.execute("create table public.probe_unbounded (id int primary key, note text, ok text check (length(ok) <= 5))")
    assert [r[0] for r in db.execute(UNBOUNDED_TEXT_COLUMNS)] == ["probe_unbounded.note"]


def test_the_district_list_is_the_pinned_packages(db):
    n = db.execute("select count(distinct province), count(*) from private.districts").fetchone()
    assert n == (81, 973)
    assert db.execute("select province from private.districts where district = 'Kadıköy'").fetchone() == ("İstanbul",)
    if not shutil.which("npm"):
        pytest.skip("npm not installed")
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "districts.py"), "--check"], capture_output=True, timeout=180)
    if r.returncode not in (0, 1):
        pytest.skip(f"npm registry not reachable: {r.stderr[-200:]!r}")
    assert r.returncode == 0, "functions/districts.sql differs from tools/districts.py's rendering of the package"
