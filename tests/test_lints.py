"""Catalog lints: security and hygiene rules checked on the migrated catalog.

Each lint is a function `lint(conn) -> list[str]` returning one line per offender. Two kinds of test:

- `test_lint[name]` runs the lint on the migrated database and fails listing every offender;
- `test_lint_reports_offender[case]` creates a deliberate offender in the per-test copy and asserts
  the lint names it, so that no lint can pass vacuously (a lint whose query is broken, or looks in the
  wrong schema, fails here). `test_every_lint_can_fail` checks each lint has at least one such case.

The rules follow docs/access.md, ../shared/STYLE.md (Security) and Supabase's splinter lints
(0002 auth_users_exposed, 0003 auth_rls_initplan, 0006 multiple_permissive_policies, 0007
policy_exists_rls_disabled, 0009 duplicate_index, 0010 security_definer_view, 0011
function_search_path_mutable, 0013 rls_disabled_in_public, 0016 materialized_view_in_api, 0024
permissive_rls_policy, 0028/0029 security definer functions executable by anon/authenticated).
"""
from __future__ import annotations

import re
from collections.abc import Callable

import psycopg
import pytest

from tests.access_doc import definer_doors, doors, guard_definers

EXPOSED = ["public"]  # the schemas PostgREST serves
OURS = ["public", "private", "guard"]  # the schemas whose objects this project owns
API_ROLES = ["anon", "authenticated", "service_role"]


def _not_extension_member(catalog: str, oid: str) -> str:
    return (f"not exists (select 1 from pg_depend e where e.classid = '{catalog}'::regclass "
            f"and e.objid = {oid} and e.deptype = 'e')")


def _array(names: list[str]) -> str:
    return "array[" + ", ".join("'" + n.replace("'", "''") + "'" for n in names) + "]::text[]"


def _rows(conn: psycopg.Connection, query: str) -> list[str]:
    """Run a lint query (no driver parameters: `%` is literal); `%(exposed)s`, `%(ours)s` and
    `%(api_roles)s` stand for the schema and role lists."""
    for key, names in (("exposed", EXPOSED), ("ours", OURS), ("api_roles", API_ROLES)):
        query = query.replace(f"%({key})s", _array(names))
    return [r[0] for r in conn.execute(query.encode())]


LINTS: dict[str, Callable[[psycopg.Connection], list[str]]] = {}


def lint(fn: Callable[[psycopg.Connection], list[str]]) -> Callable[[psycopg.Connection], list[str]]:
    LINTS[fn.__name__] = fn
    return fn


# -------------------------------------------------------------------------- row-level security
@lint
def rls_disabled_in_exposed_schema(conn):
    """Every table of an exposed schema has row-level security enabled."""
    return _rows(conn, f"""
        select format('%s: row-level security is disabled', c.oid::regclass)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = any(%(exposed)s) and c.relkind in ('r', 'p') and not c.relrowsecurity
          and {_not_extension_member('pg_class', 'c.oid')}
        order by 1""")


@lint
def policy_on_table_without_rls(conn):
    """A policy on a table without row-level security does nothing: the table is wide open."""
    return _rows(conn, """
        select format('policy %I on %s: the table has row-level security disabled', p.polname, c.oid::regclass)
        from pg_policy p join pg_class c on c.oid = p.polrelid
        where not c.relrowsecurity
        order by 1""")


@lint
def rls_enabled_without_policy(conn):
    """Every exposed table has at least one policy (docs/access.md gives each table a select policy)."""
    return _rows(conn, f"""
        select format('%s: row-level security is enabled but the table has no policy', c.oid::regclass)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = any(%(exposed)s) and c.relkind in ('r', 'p') and c.relrowsecurity
          and not exists (select 1 from pg_policy p where p.polrelid = c.oid)
          and {_not_extension_member('pg_class', 'c.oid')}
        order by 1""")


# Calls that must be evaluated once per statement, not once per row: `(select auth.uid())`.
# auth.uid/jwt/role, and any argument-less helper of schema private (guard.is_staff(), …).
WRAP_ME = re.compile(r"\b(auth\s*\.\s*(?:uid|jwt|role)|(?:private|guard)\s*\.\s*\w+)\s*\(\s*\)", re.IGNORECASE)
SELECT_HEAD = re.compile(r"^\s*select\b", re.IGNORECASE)
FROM_WORD = re.compile(r"\bfrom\b", re.IGNORECASE)


def _mask_literals(text: str) -> str:
    """The text with every string literal and quoted identifier blanked (same length), so parentheses
    and keywords inside them do not count."""
    out = list(text)
    i = 0
    while i < len(text):
        quote = text[i]
        if quote in ("'", '"'):
            j = i + 1
            while j < len(text):
                if text[j] == quote:
                    if j + 1 < len(text) and text[j + 1] == quote:  # doubled quote inside
                        j += 2
                        continue
                    break
                j += 1
            for k in range(i, min(j + 1, len(text))):
                out[k] = " "
            i = j + 1
        else:
            i += 1
    return "".join(out)


def unwrapped_calls(expr: str | None) -> list[str]:
    """The calls in a policy expression (as deparsed by PostgreSQL) that are not the direct content of a
    scalar sub-select: each must sit in a `( SELECT auth.uid() AS uid)`-like group with no FROM, the
    innermost SELECT around it. `x = auth.uid()` and `x in (select id from t where o = auth.uid())` fail."""
    if not expr:
        return []
    masked = _mask_literals(expr)
    stack: list[int] = []
    groups: list[tuple[int, int]] = []  # (open, close) positions of every parenthesised group
    for i, ch in enumerate(masked):
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            groups.append((stack.pop(), i))
    bad: list[str] = []
    for m in WRAP_ME.finditer(masked):
        enclosing = sorted((g for g in groups if g[0] < m.start() and g[1] >= m.end()), key=lambda g: -g[0])
        ok = False
        for start, end in enclosing:  # innermost first
            inner = masked[start + 1:end]
            if SELECT_HEAD.match(inner):
                # the SELECT's own level: blank nested groups, then look for FROM
                flat = list(inner)
                depth = 0
                for k, ch in enumerate(inner):
                    if ch == "(":
                        depth += 1
                    if depth:
                        flat[k] = " "
                    if ch == ")":
                        depth -= 1
                ok = not FROM_WORD.search("".join(flat))
                break
        if not ok:
            bad.append(expr[m.start():m.end()])
    return bad


@lint
def auth_call_not_wrapped_in_select(conn):
    """auth.uid()/jwt()/role() (and argument-less private helpers) in a policy are `(select …)`."""
    rows = conn.execute("""
        select format('policy %I on %I.%I (%s)', policyname, schemaname, tablename, cmd), qual, with_check
        from pg_policies order by 1""").fetchall()
    out = []
    for name, qual, with_check in rows:
        for part, expr in (("using", qual), ("with check", with_check)):
            calls = unwrapped_calls(expr)
            if calls:
                out.append(f"{name} {part}: {', '.join(calls)} is evaluated per row; write (select …): {expr}")
    return out


@lint
def multiple_permissive_policies(conn):
    """At most one permissive policy per table, role and action (an ALL policy counts for each action;
    a policy TO public counts for every role)."""
    return _rows(conn, """
        with pol as (
          select p.polrelid, p.polname, p.polcmd, r.rolid
          from pg_policy p cross join lateral unnest(p.polroles) r(rolid)
          where p.polpermissive
        ), roles as (
          select oid, rolname from pg_roles where rolname = any(%(api_roles)s)
          union
          select pol.rolid, pg_get_userbyid(pol.rolid) from pol where pol.rolid <> 0
        ), applies as (
          select pol.polrelid, pol.polname, roles.rolname, cmd
          from pol
          join roles on pol.rolid = 0 or pol.rolid = roles.oid
          cross join lateral unnest(case pol.polcmd when '*' then array['r', 'a', 'w', 'd']
                                                    else array[pol.polcmd::text] end) cmd
        )
        select format('%s: %s permissive policies for role %s on %s: %s', polrelid::regclass, count(distinct polname),
                      rolname, case cmd when 'r' then 'select' when 'a' then 'insert' when 'w' then 'update'
                                        else 'delete' end,
                      string_agg(distinct quote_ident(polname), ', '))
        from applies
        group by polrelid, rolname, cmd
        having count(distinct polname) > 1
        order by 1""")


@lint
def write_policy_always_true(conn):
    """No `using (true)` or `with check (true)` on insert, update, delete or all."""
    return _rows(conn, """
        select format('policy %I on %s (%s): %s', p.polname, c.oid::regclass,
                      case p.polcmd when 'a' then 'insert' when 'w' then 'update' when 'd' then 'delete'
                                    else 'all' end,
                      concat_ws(' and ',
                                case when pg_get_expr(p.polqual, p.polrelid) = 'true' then 'using (true)' end,
                                case when pg_get_expr(p.polwithcheck, p.polrelid) = 'true' then 'with check (true)' end))
        from pg_policy p join pg_class c on c.oid = p.polrelid
        where p.polcmd in ('a', 'w', 'd', '*')
          and (pg_get_expr(p.polqual, p.polrelid) = 'true' or pg_get_expr(p.polwithcheck, p.polrelid) = 'true')
        order by 1""")


# ----------------------------------------------------------------------------------- privileges
@lint
def anon_table_privilege(conn):
    """anon holds no privilege on any relation of an exposed schema (directly, through PUBLIC or a
    column grant)."""
    return _rows(conn, f"""
        select format('%s: anon has %s', c.oid::regclass, array_to_string(privs, ', '))
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        cross join lateral (
          select array(
            select p from unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p
            where c.relkind <> 'S' and has_table_privilege('anon', c.oid, p)
            union all
            select 'column ' || p from unnest(array['SELECT', 'INSERT', 'UPDATE', 'REFERENCES']) p
            where c.relkind <> 'S' and not has_table_privilege('anon', c.oid, p)
              and has_any_column_privilege('anon', c.oid, p)
            union all
            select 'sequence ' || p from unnest(array['USAGE', 'SELECT', 'UPDATE']) p
            where c.relkind = 'S' and has_sequence_privilege('anon', c.oid, p)) privs
        ) x
        where n.nspname = any(%(exposed)s) and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
          and cardinality(privs) > 0
          and {_not_extension_member('pg_class', 'c.oid')}
        order by 1""")


@lint
def anon_function_execute(conn):
    """anon can execute no function of ours: none in an exposed schema, none in private (and no USAGE
    on private)."""
    return _rows(conn, f"""
        select format('%s: anon may execute it', p.oid::regprocedure)
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where (n.nspname = any(%(exposed)s)
               or (n.nspname = any(%(ours)s) and has_schema_privilege('anon', n.oid, 'USAGE')))
          and has_function_privilege('anon', p.oid, 'EXECUTE')
          and {_not_extension_member('pg_proc', 'p.oid')}
        union all
        select format('schema %I: anon has USAGE', n.nspname)
        from pg_namespace n
        where n.nspname = any(%(ours)s) and not n.nspname = any(%(exposed)s)
          and has_schema_privilege('anon', n.oid, 'USAGE')
        order by 1""")


@lint
def api_role_bypasses_rls(conn):
    """anon and authenticated hold no TRUNCATE (it ignores row-level security), TRIGGER or REFERENCES
    (a foreign key to a hidden table answers whether a row exists) on exposed tables, and cannot create
    objects in an exposed schema."""
    return _rows(conn, f"""
        select format('%s: %s has %s', c.oid::regclass, r.rolname, p)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        cross join unnest(array['anon', 'authenticated']) r(rolname)
        cross join unnest(array['TRUNCATE', 'TRIGGER', 'REFERENCES']) p
        where n.nspname = any(%(exposed)s) and c.relkind in ('r', 'p', 'v', 'm', 'f')
          and (has_table_privilege(r.rolname, c.oid, p)
               or (p = 'REFERENCES' and has_any_column_privilege(r.rolname, c.oid, p)))
          and {_not_extension_member('pg_class', 'c.oid')}
        union all
        select format('schema %I: %s has CREATE', n.nspname, r.rolname)
        from pg_namespace n cross join unnest(array['anon', 'authenticated']) r(rolname)
        where n.nspname = any(%(exposed)s) and has_schema_privilege(r.rolname, n.oid, 'CREATE')
        order by 1""")


# ------------------------------------------------------------------------------------ functions
@lint
def function_search_path_mutable(conn):
    """Every function of ours (not an extension's) has a fixed search_path (`set search_path = ''`)."""
    return _rows(conn, f"""
        select format('%s: no fixed search_path', p.oid::regprocedure)
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = any(%(ours)s) and p.prokind in ('f', 'p')
          and not exists (select 1 from unnest(p.proconfig) s where s like 'search\\_path=%')
          and {_not_extension_member('pg_proc', 'p.oid')}
        order by 1""")


# The doors: public functions that must cross row-level security, and the direct writes the API roles
# hold, as docs/access.md lists them (tests/access_doc.py reads it).


@lint
def security_definer_function_in_exposed_schema(conn):
    """A security definer function in an exposed schema is a door docs/access.md lists (it checks the
    caller first); any other lives in private."""
    return _rows(conn, f"""
        select format('%s: security definer in an exposed schema, not a door docs/access.md lists', p.oid::regprocedure)
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = any(%(exposed)s) and p.prosecdef
          and not p.oid::regprocedure::text = any({_array(definer_doors())})
          and {_not_extension_member('pg_proc', 'p.oid')}
        order by 1""")


@lint
def private_function_executable_by_api(conn):
    """Nothing in private is executable by anon, authenticated or service_role (only triggers and the
    security definer doors reach it), and they have no USAGE on private."""
    return _rows(conn, f"""
        select format('%s: %s may execute it', p.oid::regprocedure, r.rolname)
        from pg_proc p cross join unnest(%(api_roles)s) r(rolname)
        where p.pronamespace = 'private'::regnamespace
          and has_function_privilege(r.rolname, p.oid, 'EXECUTE')
        union all
        select format('schema private: %s has USAGE', r.rolname)
        from unnest(%(api_roles)s) r(rolname)
        where has_schema_privilege(r.rolname, 'private', 'USAGE')
        order by 1""")


@lint
def guard_function_writes_across_rls(conn):
    """guard holds what the API roles run as themselves: no function there is both security definer and
    volatile (one that could write across row-level security)."""
    return _rows(conn, """
        select format('%s: security definer and volatile in guard', p.oid::regprocedure)
        from pg_proc p
        where p.pronamespace = 'guard'::regnamespace and p.prosecdef and p.provolatile = 'v'
        order by 1""")


@lint
def guard_definer_not_listed(conn):
    """Every security definer function of guard, and every view there read with its owner's rights (both read
    across row-level security as the caller), is listed in docs/access.md with what it may tell."""
    return _rows(conn, f"""
        select format('%s: security definer in guard, not listed in docs/access.md', p.oid::regprocedure)
        from pg_proc p
        where p.pronamespace = 'guard'::regnamespace and p.prosecdef
          and not p.oid::regprocedure::text = any({_array(sorted(guard_definers()))})
        union all
        select format('%s: view read with its owner''s rights in guard, not listed in docs/access.md', c.oid::regclass)
        from pg_class c
        where c.relnamespace = 'guard'::regnamespace and c.relkind = 'v'
          and not coalesce((select o.option_value::boolean from pg_options_to_table(c.reloptions) o
                            where o.option_name = 'security_invoker'), false)
          and not c.oid::regclass::text = any({_array(sorted(guard_definers()))})
        order by 1""")


@lint
def table_write_not_in_doors(conn):
    """authenticated holds exactly the writes docs/access.md's doors table lists: a table privilege
    where it says `direct`, those columns only where it says `direct (…)`, nothing where the door is an
    RPC or none; every table of an exposed schema has its row."""
    listed = doors()
    found = []
    for table, action, has_table, cols in conn.execute(f"""
            select c.relname, a.action, has_table_privilege('authenticated', c.oid, a.action),
                   coalesce(array_agg(att.attname order by att.attname)
                            filter (where has_column_privilege('authenticated', c.oid, att.attname, a.action)
                                      and not has_table_privilege('authenticated', c.oid, a.action)), '{{}}')
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            cross join unnest(array['insert', 'update', 'delete']) a(action)
            left join pg_attribute att on att.attrelid = c.oid and att.attnum > 0 and not att.attisdropped
                 and a.action <> 'delete'
            where n.nspname = any({_array(EXPOSED)}) and c.relkind in ('r', 'p')
            group by c.relname, a.action, c.oid
            order by 1, 2""".encode()):
        door = listed.get((table, action))
        if door is None:
            found.append(f"{table} {action}: no door in docs/access.md")
        elif door.kind == "direct" and not has_table:
            found.append(f"{table} {action}: docs/access.md says direct, authenticated holds no such privilege")
        elif door.kind == "columns" and (has_table or set(cols) != door.columns):
            held = "the whole table" if has_table else ", ".join(cols) or "nothing"
            found.append(f"{table} {action}: docs/access.md says columns {', '.join(sorted(door.columns))}, "
                         f"authenticated holds {held}")
        elif door.kind in ("rpc", "none") and (has_table or cols):
            found.append(f"{table} {action}: authenticated holds a write docs/access.md does not list ({door.text})")
    # every trigger a door names (`_NNN_name`) is a trigger of that table
    triggers = set(conn.execute("""select c.relname, t.tgname from pg_trigger t join pg_class c on c.oid = t.tgrelid
                                   where not t.tgisinternal""").fetchall())
    for door in listed.values():
        for name in re.findall(r"`(_\d{3}_\w+)`", door.text):
            if (door.table, name) not in triggers:
                found.append(f"{door.table} {door.action}: docs/access.md names trigger {name}, which {door.table} has not")
    return found


# ---------------------------------------------------------------------------------------- views
@lint
def security_definer_view(conn):
    """Views of an exposed schema are `security_invoker` (else they read with their owner's rights and
    skip row-level security); no materialized view there (it has no row-level security at all)."""
    return _rows(conn, f"""
        select format('%s: %s', c.oid::regclass,
                      case c.relkind when 'm' then 'materialized view (no row-level security)'
                                     else 'view without security_invoker (security definer view)' end)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = any(%(exposed)s)
          and (c.relkind = 'm'
               or (c.relkind = 'v'
                   and not coalesce((select o.option_value::boolean from pg_options_to_table(c.reloptions) o
                                     where o.option_name = 'security_invoker'), false)))
          and {_not_extension_member('pg_class', 'c.oid')}
        order by 1""")


@lint
def auth_users_exposed(conn):
    """No view of an exposed schema reads auth.users, directly or through other views, and no function
    of an exposed schema mentions it."""
    return _rows(conn, f"""
        with recursive dep(view_oid, ref) as (
          select r.ev_class, d.refobjid
          from pg_rewrite r
          join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid
                          and d.refclassid = 'pg_class'::regclass and d.refobjid <> r.ev_class
          union
          select dep.view_oid, d.refobjid
          from dep
          join pg_rewrite r on r.ev_class = dep.ref
          join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid
                          and d.refclassid = 'pg_class'::regclass and d.refobjid <> r.ev_class
        )
        select distinct format('%s: reads auth.users', c.oid::regclass)
        from dep join pg_class c on c.oid = dep.view_oid join pg_namespace n on n.oid = c.relnamespace
        where dep.ref = to_regclass('auth.users') and n.nspname = any(%(exposed)s)
          and {_not_extension_member('pg_class', 'c.oid')}
        union all
        select format('%s: its body mentions auth.users', p.oid::regprocedure)
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = any(%(exposed)s) and p.prosrc ~* 'auth"?\\s*\\.\\s*"?users'
          and {_not_extension_member('pg_proc', 'p.oid')}
        order by 1""")


# -------------------------------------------------------------------------------- keys, indexes
@lint
def unindexed_foreign_key(conn):
    """Every foreign key has a (non-partial, valid) index whose leading columns are its columns."""
    return _rows(conn, f"""
        select format('%s: foreign key %I (%s) has no index leading with its column(s)',
                      con.conrelid::regclass, con.conname,
                      (select string_agg(quote_ident(a.attname), ', ' order by k.i)
                       from unnest(con.conkey) with ordinality k(attnum, i)
                       join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum))
        from pg_constraint con
        join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
        where con.contype = 'f' and n.nspname = any(%(ours)s)
          and {_not_extension_member('pg_class', 'c.oid')}
          and not exists (
            select 1 from pg_index i
            where i.indrelid = con.conrelid and i.indpred is null and i.indisvalid
              and i.indnkeyatts >= cardinality(con.conkey)
              and (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(con.conkey)] @> con.conkey
              and (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(con.conkey)] <@ con.conkey)
        order by 1""")


@lint
def duplicate_index(conn):
    """No two indexes of a table with the same method, key columns, operator classes, expressions and
    predicate."""
    return _rows(conn, """
        select format('%s: duplicate indexes %s', i.indrelid::regclass,
                      string_agg(i.indexrelid::regclass::text, ' = ' order by i.indexrelid::regclass::text))
        from pg_index i
        join pg_class ic on ic.oid = i.indexrelid
        join pg_class t on t.oid = i.indrelid join pg_namespace n on n.oid = t.relnamespace
        where n.nspname = any(%(ours)s)
        group by i.indrelid, ic.relam, i.indkey::text, i.indclass::text, i.indcollation::text,
                 coalesce(pg_get_expr(i.indexprs, i.indrelid), ''), coalesce(pg_get_expr(i.indpred, i.indrelid), '')
        having count(*) > 1
        order by 1""")


@lint
def table_without_primary_key(conn):
    """Every table of ours has a primary key."""
    return _rows(conn, f"""
        select format('%s: no primary key', c.oid::regclass)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = any(%(ours)s) and c.relkind in ('r', 'p')
          and not exists (select 1 from pg_constraint k where k.conrelid = c.oid and k.contype = 'p')
          and {_not_extension_member('pg_class', 'c.oid')}
        order by 1""")


# ------------------------------------------------------------------------------ findable rules
# A dashboard admin meets a policy or a trigger by its name in the table's page; its comment is the rule in a
# sentence (what it enforces and why). `comment on policy|trigger … on …` sits beside each create in policies/
# and functions/.
@lint
def policy_without_comment(conn):
    """Every row-level security policy on a table of ours has a comment saying the rule it holds."""
    return _rows(conn, """
        select format('policy %I on %s: no comment (write comment on policy … on … beside its create)',
                      p.polname, c.oid::regclass)
        from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = any(%(ours)s) and coalesce(btrim(obj_description(p.oid, 'pg_policy')), '') = ''
        order by 1""")


@lint
def trigger_without_comment(conn):
    """Every trigger on a table of ours (not the internal ones of foreign keys) has a comment saying the rule it
    holds."""
    return _rows(conn, """
        select format('trigger %I on %s: no comment (write comment on trigger … on … beside its create)',
                      t.tgname, c.oid::regclass)
        from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = any(%(ours)s) and not t.tgisinternal
          and coalesce(btrim(obj_description(t.oid, 'pg_trigger')), '') = ''
        order by 1""")


@lint
def unreferenced_internal_function(conn):
    """Every function of private and guard is used: by a trigger, a policy, another function's body, a view, a
    column default or generated column, a check constraint or an index (by name, word for word). A helper
    nothing calls is a leftover: drop it in a migration and remove it from functions/."""
    return _rows(conn, f"""
        with texts as (  -- every text of ours that may call a function, computed once
          select q.oid as fn, q.prosrc as body from pg_proc q join pg_namespace n on n.oid = q.pronamespace
          where n.nspname = any(%(ours)s)
          union all
          select null, concat(pg_get_expr(po.polqual, po.polrelid), ' ', pg_get_expr(po.polwithcheck, po.polrelid))
          from pg_policy po
          union all
          select null, pg_get_viewdef(v.oid) from pg_class v join pg_namespace n on n.oid = v.relnamespace
          where v.relkind in ('v', 'm') and n.nspname = any(%(ours)s)
          union all
          select null, pg_get_expr(d.adbin, d.adrelid) from pg_attrdef d
          union all
          select null, pg_get_constraintdef(k.oid) from pg_constraint k where k.contype = 'c'
          union all
          select null, concat(pg_get_expr(i.indexprs, i.indrelid), ' ', pg_get_expr(i.indpred, i.indrelid))
          from pg_index i where i.indexprs is not null or i.indpred is not null
        )
        select format('%s: nothing calls it', p.oid::regprocedure)
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = any(%(ours)s) and n.nspname <> 'public'
          and {_not_extension_member('pg_proc', 'p.oid')}
          and not exists (select 1 from pg_trigger t where t.tgfoid = p.oid)
          and not exists (select 1 from texts x where x.fn is distinct from p.oid
                          and strpos(x.body, p.proname) > 0 and x.body ~ ('\\m' || p.proname || '\\M'))
        order by 1""")


# ----------------------------------------------------------------------------------------- tests
@pytest.mark.parametrize("name", sorted(LINTS))
def test_lint(db: psycopg.Connection, name: str) -> None:
    offenders = LINTS[name](db)
    if offenders:
        doc = " ".join((LINTS[name].__doc__ or "").split())
        pytest.fail(f"lint {name}: {doc}\n{len(offenders)} offender(s):\n  " + "\n  ".join(offenders),
                    pytrace=False)


def test_lints_see_the_schema(db: psycopg.Connection) -> None:
    """The lints look at a real schema: the exposed tables, their policies, foreign keys and functions."""
    tables, policies, fks, funcs = db.execute("""
        select (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where n.nspname = 'public' and c.relkind = 'r'),
               (select count(*) from pg_policies where schemaname = 'public'),
               (select count(*) from pg_constraint k join pg_class c on c.oid = k.conrelid
                join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and k.contype = 'f'),
               (select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                where n.nspname in ('public', 'private'))""").fetchone()
    assert tables >= 21, f"only {tables} tables in public"
    assert policies >= tables, f"{policies} policies for {tables} tables: the policy lints have little to check"
    assert fks > 0 and funcs > 0


# A probe table most offender cases build on: row-level security on, locked down, a primary key.
PROBE = """
create table public.lint_probe (id uuid primary key, owner uuid);
alter table public.lint_probe enable row level security;
revoke all on table public.lint_probe from public, anon, authenticated;
"""

# (lint, case id, SQL creating the offender, a text the lint's report must contain)
OFFENDERS: list[tuple[str, str, str, str]] = [
    ("rls_disabled_in_exposed_schema", "table without rls",
     "create table public.lint_probe_norls (id int primary key)", "lint_probe_norls"),
    ("rls_disabled_in_exposed_schema", "rls disabled later",
     PROBE + "alter table public.lint_probe disable row level security", "lint_probe"),
    ("policy_on_table_without_rls", "policy then rls off",
     PROBE + """create policy "Probe reads" on public.lint_probe for select to authenticated using (false);
                alter table public.lint_probe disable row level security""", "Probe reads"),
    ("policy_on_table_without_rls", "private table",
     """create table private.lint_probe (id int primary key);
        create policy "Private probe" on private.lint_probe for select to authenticated using (false)""",
     "Private probe"),
    ("rls_enabled_without_policy", "no policy", PROBE, "lint_probe"),
    ("auth_call_not_wrapped_in_select", "bare auth.uid()",
     PROBE + """create policy "Bare uid" on public.lint_probe for select to authenticated
                using (owner = auth.uid())""", "Bare uid"),
    ("auth_call_not_wrapped_in_select", "auth.uid() inside a select with from",
     PROBE + """create policy "Uid in subquery" on public.lint_probe for select to authenticated
                using (id in (select l.id from public.lint_probe l where l.owner = auth.uid()))""",
     "Uid in subquery"),
    ("auth_call_not_wrapped_in_select", "bare auth.jwt() in with check",
     PROBE + """create policy "Bare jwt" on public.lint_probe for insert to authenticated
                with check ((auth.jwt() ->> 'role') = 'authenticated' and owner = (select auth.uid()))""",
     "Bare jwt"),
    ("auth_call_not_wrapped_in_select", "bare auth.role()",
     PROBE + """create policy "Bare role" on public.lint_probe for delete to authenticated
                using (auth.role() = 'authenticated')""", "Bare role"),
    ("auth_call_not_wrapped_in_select", "bare private helper",
     PROBE + """create function private.lint_probe_staff() returns boolean language sql stable
                set search_path = '' as 'select false';
                create policy "Bare helper" on public.lint_probe for update to authenticated
                using (private.lint_probe_staff())""", "Bare helper"),
    ("multiple_permissive_policies", "two select policies",
     PROBE + """create policy "Probe one" on public.lint_probe for select to authenticated using (false);
                create policy "Probe two" on public.lint_probe for select to authenticated using (false)""",
     "Probe one"),
    ("multiple_permissive_policies", "all plus update",
     PROBE + """create policy "Probe all" on public.lint_probe for all to authenticated using (false);
                create policy "Probe upd" on public.lint_probe for update to authenticated using (false)""",
     "on update"),
    ("multiple_permissive_policies", "public plus authenticated",
     PROBE + """create policy "Probe public" on public.lint_probe for delete using (false);
                create policy "Probe auth" on public.lint_probe for delete to authenticated using (false)""",
     "Probe public"),
    ("write_policy_always_true", "insert with check true",
     PROBE + """create policy "Probe insert" on public.lint_probe for insert to authenticated
                with check (true)""", "Probe insert"),
    ("write_policy_always_true", "update using true",
     PROBE + """create policy "Probe update" on public.lint_probe for update to authenticated
                using (true) with check (owner = (select auth.uid()))""", "Probe update"),
    ("write_policy_always_true", "all using true",
     PROBE + """create policy "Probe everything" on public.lint_probe for all to authenticated
                using (true)""", "Probe everything"),
    ("anon_table_privilege", "default privileges of a new table",
     "create table public.lint_probe_open (id int primary key); "
     "grant select on public.lint_probe_open to anon", "lint_probe_open"),
    ("anon_table_privilege", "grant to PUBLIC",
     PROBE + "grant select on public.lint_probe to public", "lint_probe: anon has SELECT"),
    ("anon_table_privilege", "column grant",
     PROBE + "grant update (owner) on public.lint_probe to anon", "column UPDATE"),
    ("anon_table_privilege", "existing table",
     "grant select on public.portfolio_confidential to anon", "portfolio_confidential"),
    ("anon_function_execute", "function executable by PUBLIC",
     """create function public.lint_probe_fn() returns int language sql set search_path = '' as 'select 1';
        grant execute on function public.lint_probe_fn() to public""", "lint_probe_fn()"),
    ("anon_function_execute", "private helper reachable by anon",
     """create function private.lint_probe_fn() returns int language sql set search_path = '' as 'select 1';
        grant execute on function private.lint_probe_fn() to anon;
        grant usage on schema private to anon""", "private.lint_probe_fn()"),
    ("api_role_bypasses_rls", "truncate for authenticated",
     PROBE + "grant truncate on public.lint_probe to authenticated", "authenticated has TRUNCATE"),
    ("api_role_bypasses_rls", "references for authenticated",
     "grant references (portfolio_id) on public.portfolio_confidential to authenticated", "REFERENCES"),
    ("api_role_bypasses_rls", "create on public",
     "grant create on schema public to authenticated", "authenticated has CREATE"),
    ("function_search_path_mutable", "public function",
     "create function public.lint_probe_fn() returns int language sql as 'select 1'", "lint_probe_fn()"),
    ("function_search_path_mutable", "private trigger function",
     """create function private.lint_probe_tg() returns trigger language plpgsql
        as 'begin return new; end'""", "private.lint_probe_tg()"),
    ("function_search_path_mutable", "other setting only",
     """create function private.lint_probe_cfg() returns int language sql set work_mem = '64kB'
        as 'select 1'""", "private.lint_probe_cfg()"),
    ("private_function_executable_by_api", "private helper granted to authenticated",
     """create function private.lint_probe_grant() returns int language sql set search_path = '' as 'select 1';
        grant execute on function private.lint_probe_grant() to authenticated""", "private.lint_probe_grant()"),
    ("private_function_executable_by_api", "usage on private",
     "grant usage on schema private to authenticated", "schema private: authenticated has USAGE"),
    ("table_write_not_in_doors", "a write the document does not list",
     "grant insert on table public.portfolio_history to authenticated", "portfolio_history insert"),
    ("guard_definer_not_listed", "an unlisted definer in guard",
     """create function guard.lint_probe_peek() returns int language sql stable security definer
        set search_path = '' as 'select 1'""", "guard.lint_probe_peek()"),
    ("guard_definer_not_listed", "an unlisted owner's-rights view in guard",
     "create view guard.lint_probe_view as select id from public.contacts", "guard.lint_probe_view"),
    ("table_write_not_in_doors", "a trigger the document names is gone",
     "drop trigger _170_budget on public.requests", "names trigger _170_budget"),
    ("table_write_not_in_doors", "a table the document does not list",
     PROBE, "lint_probe insert: no door"),
    ("guard_function_writes_across_rls", "volatile definer in guard",
     """create function guard.lint_probe_write() returns void language sql security definer set search_path = ''
        as 'select'""", "guard.lint_probe_write()"),
    ("security_definer_function_in_exposed_schema", "definer in public",
     """create function public.lint_probe_definer() returns int language sql security definer
        set search_path = '' as 'select 1'""", "lint_probe_definer()"),
    ("security_definer_view", "plain view",
     "create view public.lint_probe_view as select id from public.contacts", "lint_probe_view"),
    ("security_definer_view", "security_invoker off",
     "create view public.lint_probe_view with (security_invoker = off) as select id from public.contacts",
     "lint_probe_view"),
    ("security_definer_view", "materialized view",
     "create materialized view public.lint_probe_mv as select id from public.contacts", "lint_probe_mv"),
    ("auth_users_exposed", "view over auth.users",
     """create view public.lint_probe_users with (security_invoker = true) as
        select id, email from auth.users""", "lint_probe_users"),
    ("auth_users_exposed", "view over a private view over auth.users",
     """create view private.lint_probe_inner as select id, email from auth.users;
        create view public.lint_probe_outer with (security_invoker = true) as
        select id from private.lint_probe_inner""", "lint_probe_outer"),
    ("auth_users_exposed", "function reading auth.users",
     """create function public.lint_probe_emails() returns setof text language sql stable
        set search_path = '' as 'select email from auth.users'""", "lint_probe_emails()"),
    ("unindexed_foreign_key", "no index",
     """create table public.lint_probe_child (id int primary key,
        contact_id uuid references public.contacts (id))""", "lint_probe_child"),
    ("unindexed_foreign_key", "index not leading with the column",
     """create table public.lint_probe_child (id int primary key, n int,
        contact_id uuid references public.contacts (id));
        create index on public.lint_probe_child (n, contact_id)""", "lint_probe_child"),
    ("unindexed_foreign_key", "partial index only",
     """create table public.lint_probe_child (id int primary key,
        contact_id uuid references public.contacts (id));
        create index on public.lint_probe_child (contact_id) where id > 0""", "lint_probe_child"),
    ("unindexed_foreign_key", "two-column key, one column indexed",
     """create table public.lint_probe_parent (a int, b int, primary key (a, b));
        create table public.lint_probe_child (id int primary key, a int, b int,
        foreign key (a, b) references public.lint_probe_parent (a, b));
        create index on public.lint_probe_child (a)""", "lint_probe_child"),
    ("duplicate_index", "same column as a unique constraint",
     "create index lint_probe_dup on public.contacts (phone)", "lint_probe_dup"),
    ("duplicate_index", "same expression and predicate",
     """create index lint_probe_e1 on public.contacts (lower(display_name)) where display_name is not null;
        create index lint_probe_e2 on public.contacts (lower(display_name)) where display_name is not null""",
     "lint_probe_e1 = lint_probe_e2"),
    ("table_without_primary_key", "public table",
     "create table public.lint_probe_nopk (x int)", "lint_probe_nopk"),
    ("table_without_primary_key", "private table",
     "create table private.lint_probe_nopk (x int unique)", "private.lint_probe_nopk"),
    ("unreferenced_internal_function", "a private helper nothing calls",
     """create function private.lint_probe_unused() returns int language sql set search_path = '' as 'select 1'""",
     "private.lint_probe_unused()"),
    ("unreferenced_internal_function", "a guard helper whose only caller goes",
     """create function guard.lint_probe_leaf() returns int language sql set search_path = '' as 'select 1';
        create function private.lint_probe_caller() returns int language sql set search_path = ''
        as 'select guard.lint_probe_leaf()';
        drop function private.lint_probe_caller()""", "guard.lint_probe_leaf()"),
    ("policy_without_comment", "new policy",
     PROBE + """create policy "Probe silent" on public.lint_probe for select to authenticated using (false)""",
     "Probe silent"),
    ("policy_without_comment", "comment removed from a policy",
     """comment on policy "Staff delete deals" on public.deals is null""", "Staff delete deals"),
    ("policy_without_comment", "blank comment",
     """comment on policy "Staff delete deals" on public.deals is '  '""", "Staff delete deals"),
    ("trigger_without_comment", "new trigger",
     PROBE + """create trigger _999_probe before update on public.lint_probe
                for each row execute function private.tg__set_updated_at()""", "_999_probe on lint_probe"),
    ("trigger_without_comment", "comment removed from a trigger",
     "comment on trigger _170_budget on public.requests is null", "_170_budget on requests"),
    ("trigger_without_comment", "trigger on a private table",
     """create table private.lint_probe (id int primary key, updated_at timestamptz);
        create trigger _999_probe before update on private.lint_probe
        for each row execute function private.tg__set_updated_at()""", "_999_probe on private.lint_probe"),
]


@pytest.mark.parametrize(("name", "ddl", "expected"),
                         [pytest.param(n, d, e, id=f"{n}: {c}") for n, c, d, e in OFFENDERS])
def test_lint_reports_offender(db: psycopg.Connection, name: str, ddl: str, expected: str) -> None:
    before = LINTS[name](db)
    db.execute(ddl)
    after = LINTS[name](db)
    new = [line for line in after if line not in before]
    assert any(expected in line for line in new), (
        f"lint {name} did not report the deliberate offender (expected a new line containing {expected!r});\n"
        f"new lines: {new}")


def test_every_lint_can_fail() -> None:
    proven = {name for name, *_ in OFFENDERS}
    assert not set(LINTS) - proven, f"lints without an offender case: {sorted(set(LINTS) - proven)}"


# The parser of the auth-call lint, on expressions as PostgreSQL deparses them.
@pytest.mark.parametrize(("expr", "bad"), [
    ("(owner = ( SELECT auth.uid() AS uid))", []),
    ("(agent_id IN ( SELECT guard.managed_agent_ids() AS managed_agent_ids))", []),
    ("(( SELECT guard.is_staff() AS is_staff) OR (id = ( SELECT auth.uid() AS uid)))", []),
    ("(( SELECT (auth.jwt() ->> 'role'::text)) = 'service_role'::text)", []),
    ("(portfolio_id IN ( SELECT portfolios.id FROM portfolios))", []),
    ("(deal_id IN ( SELECT d.id FROM deals d WHERE (d.listing_agent_id IN "
     "( SELECT guard.managed_agent_ids() AS managed_agent_ids))))", []),
    ("(note = 'auth.uid() (select'::text)", []),
    ("(owner = auth.uid())", ["auth.uid()"]),
    ("(guard.is_staff() OR (owner = ( SELECT auth.uid() AS uid)))", ["guard.is_staff()"]),
    ("(id IN ( SELECT c.id FROM contacts c WHERE (c.id = auth.uid())))", ["auth.uid()"]),
    ("((auth.jwt() ->> 'sub'::text) = (id)::text)", ["auth.jwt()"]),
    ("(( SELECT 1 FROM t WHERE (t.a = auth.role())) = 1)", ["auth.role()"]),
])
def test_unwrapped_calls_parser(expr: str, bad: list[str]) -> None:
    assert unwrapped_calls(expr) == bad
