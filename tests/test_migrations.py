"""migrate → rollback all → migrate again must work and land on the same catalog."""
from __future__ import annotations

import psycopg
import pytest

from tests.catalog import diff, snapshot

# What the schema's own objects would leave behind: tables/views/sequences, functions, types
# (not the ones an extension owns, not implicit array types).
LEFTOVERS = """
select 'relation ' || c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = any(%(schemas)s) and c.relkind not in ('i', 'I', 't')
  and not exists (select 1 from pg_depend e where e.classid = 'pg_class'::regclass and e.objid = c.oid and e.deptype = 'e')
union all
select 'function ' || p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
where n.nspname = any(%(schemas)s)
  and not exists (select 1 from pg_depend e where e.classid = 'pg_proc'::regclass and e.objid = p.oid and e.deptype = 'e')
union all
select 'type ' || t.oid::regtype::text from pg_type t join pg_namespace n on n.oid = t.typnamespace
where n.nspname = any(%(schemas)s) and t.typtype in ('e', 'd', 'r', 'm', 'b')
  and not (t.typcategory = 'A' and t.typelem <> 0)
  and not exists (select 1 from pg_depend e where e.classid = 'pg_type'::regclass and e.objid = t.oid and e.deptype = 'e')
order by 1
"""


def test_migrate_rollback_all_migrate_again(empty_db_url):
    from vic.migrate import migrate, rollback, status

    applied = migrate(empty_db_url)
    assert applied, "migrate applied nothing: is migrations/ empty?"
    first = snapshot(empty_db_url)

    rolled_back = rollback(empty_db_url, all=True)
    assert sorted(rolled_back) == sorted(applied)
    assert not [mid for mid, is_applied, _ in status(empty_db_url) if is_applied]
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        # `private` holds our helpers; the compatibility script's `auth`/`extensions` objects may stay.
        left = [r[0] for r in conn.execute(LEFTOVERS, {"schemas": ["public", "private"]})]
    if left:
        pytest.fail("rollback --all left these behind:\n" + "\n".join(left), pytrace=False)

    assert migrate(empty_db_url) == applied
    d = diff(first, snapshot(empty_db_url), "first migrate", "migrate after rollback --all")
    if d:
        pytest.fail("migrating again after a full rollback gives another catalog:\n" + d, pytrace=False)
