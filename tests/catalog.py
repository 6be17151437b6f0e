"""A text snapshot of a database's catalog, for comparing two roads to the same schema.

Covers every schema except the system ones and yoyo's `vic_migrations`; objects that belong to an
extension are left out (the extension itself is listed, with its schema). Column positions do not
count (a later `alter table … add column` may land anywhere), names do. ACL arrays are sorted and
a NULL ACL is spelled out as the default it stands for, so grant order does not count either.
Each object is one block: a header line, then indented detail lines; blocks are sorted by header.
"""
from __future__ import annotations

import difflib

import psycopg

EXCLUDED_SCHEMAS = ("pg_catalog", "information_schema", "vic_migrations")

# `n` is the pg_namespace of the object.
OURS = f"""n.nspname not in ({", ".join(f"'{s}'" for s in EXCLUDED_SCHEMAS)})
    and n.nspname !~ '^pg_(toast|temp_|toast_temp_)'"""


def _not_in_extension(catalog: str, oid: str) -> str:
    return (f"not exists (select 1 from pg_depend e where e.classid = '{catalog}'::regclass "
            f"and e.objid = {oid} and e.deptype = 'e')")


def _acl(expr: str, kind: str, owner: str) -> str:
    """Sorted ACL items; NULL (= the default) spelled out, so it equals an explicit default grant."""
    return (f"array(select a::text from unnest(coalesce({expr}, acldefault({kind}, {owner}))) a "
            f"order by 1)::text")


_REL_ACL = _acl("c.relacl", "(case when c.relkind = 'S' then 's' else 'r' end)::\"char\"", "c.relowner")

# Each query returns (header, detail lines as text[]); one row per object.
QUERIES: dict[str, str] = {
    "schema": f"""
        select 'schema ' || n.nspname,
               array['owner ' || pg_get_userbyid(n.nspowner),
                     'acl ' || {_acl('n.nspacl', "'n'", 'n.nspowner')},
                     'comment ' || coalesce(obj_description(n.oid, 'pg_namespace'), '-')]
        from pg_namespace n where {OURS} and {_not_in_extension('pg_namespace', 'n.oid')}""",
    "extension": """
        select 'extension ' || x.extname, array['schema ' || n.nspname, 'version ' || x.extversion]
        from pg_extension x join pg_namespace n on n.oid = x.extnamespace""",
    "relation": f"""
        select 'relation ' || c.oid::regclass::text,
               array['kind ' || c.relkind::text, 'persistence ' || c.relpersistence::text,
                     'rls ' || c.relrowsecurity, 'force_rls ' || c.relforcerowsecurity,
                     'owner ' || pg_get_userbyid(c.relowner),
                     'acl ' || {_REL_ACL},
                     'options ' || coalesce(c.reloptions::text, '-'),
                     'partition_key ' || coalesce(pg_get_partkeydef(c.oid), '-'),
                     'partition_of ' || coalesce(pg_get_expr(c.relpartbound, c.oid), '-'),
                     'inherits ' || coalesce((select string_agg(i.inhparent::regclass::text, ', ' order by i.inhseqno)
                                              from pg_inherits i where i.inhrelid = c.oid), '-'),
                     'comment ' || coalesce(obj_description(c.oid, 'pg_class'), '-')]
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where {OURS} and c.relkind not in ('i', 'I', 't') and {_not_in_extension('pg_class', 'c.oid')}""",
    "column": f"""
        select 'column ' || c.oid::regclass::text || '.' || quote_ident(a.attname),
               array['type ' || format_type(a.atttypid, a.atttypmod),
                     'not_null ' || a.attnotnull,
                     'default ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '-'),
                     'identity ' || coalesce(nullif(a.attidentity::text, ''), '-'),
                     'generated ' || coalesce(nullif(a.attgenerated::text, ''), '-'),
                     'collation ' || coalesce((select co.collname from pg_collation co
                                               where co.oid = a.attcollation and a.attcollation <> t.typcollation), '-'),
                     'acl ' || coalesce(array(select x::text from unnest(a.attacl) x order by 1)::text, '-'),
                     'comment ' || coalesce(col_description(c.oid, a.attnum), '-')]
        from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        join pg_type t on t.oid = a.atttypid
        left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where {OURS} and a.attnum > 0 and not a.attisdropped and c.relkind not in ('i', 'I', 't', 'S')
          and {_not_in_extension('pg_class', 'c.oid')}""",
    # Not-null constraints (contype 'n', PostgreSQL 18) are covered by the columns' not_null.
    "constraint": f"""
        select 'constraint ' || case when con.conrelid <> 0 then con.conrelid::regclass::text
                                     else con.contypid::regtype::text end || ' '
               || quote_ident(con.conname),
               array[pg_get_constraintdef(con.oid, true),
                     'comment ' || coalesce(obj_description(con.oid, 'pg_constraint'), '-')]
        from pg_constraint con join pg_namespace n on n.oid = con.connamespace
        where {OURS} and con.contype <> 'n'
          and {_not_in_extension('pg_class', 'con.conrelid')} and {_not_in_extension('pg_type', 'con.contypid')}""",
    "index": f"""
        select 'index ' || i.indexrelid::regclass::text,
               array[pg_get_indexdef(i.indexrelid),
                     'comment ' || coalesce(obj_description(i.indexrelid, 'pg_class'), '-')]
        from pg_index i join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
        where {OURS} and {_not_in_extension('pg_class', 'c.oid')}""",
    "trigger": f"""
        select 'trigger ' || tg.tgrelid::regclass::text || ' ' || quote_ident(tg.tgname),
               array[pg_get_triggerdef(tg.oid, true), 'enabled ' || tg.tgenabled::text,
                     'comment ' || coalesce(obj_description(tg.oid, 'pg_trigger'), '-')]
        from pg_trigger tg join pg_class c on c.oid = tg.tgrelid join pg_namespace n on n.oid = c.relnamespace
        where {OURS} and not tg.tgisinternal""",
    "policy": f"""
        select 'policy ' || p.polrelid::regclass::text || ' ' || quote_ident(p.polname),
               array['permissive ' || p.polpermissive, 'command ' || p.polcmd::text,
                     'roles ' || array(select case r when 0 then 'public' else pg_get_userbyid(r) end
                                       from unnest(p.polroles) r order by 1)::text,
                     'using ' || coalesce(pg_get_expr(p.polqual, p.polrelid), '-'),
                     'with_check ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '-'),
                     'comment ' || coalesce(obj_description(p.oid, 'pg_policy'), '-')]
        from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
        where {OURS}""",
    "function": f"""
        select 'function ' || p.oid::regprocedure::text,
               array['kind ' || p.prokind::text, 'security_definer ' || p.prosecdef,
                     'config ' || coalesce(p.proconfig::text, '-'),
                     'owner ' || pg_get_userbyid(p.proowner),
                     'acl ' || {_acl('p.proacl', "'f'", 'p.proowner')},
                     'comment ' || coalesce(obj_description(p.oid, 'pg_proc'), '-')]
               || case when p.prokind = 'a' then array[]::text[]
                       else string_to_array(pg_get_functiondef(p.oid), E'\\n') end
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where {OURS} and {_not_in_extension('pg_proc', 'p.oid')}""",
    "view": f"""
        select 'view ' || c.oid::regclass::text, string_to_array(pg_get_viewdef(c.oid, true), E'\\n')
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where {OURS} and c.relkind in ('v', 'm') and {_not_in_extension('pg_class', 'c.oid')}""",
    # Enums, domains, ranges, base types; not the row types of tables nor implicit array types.
    "type": f"""
        select 'type ' || t.oid::regtype::text,
               array['kind ' || t.typtype::text,
                     'labels ' || coalesce((select string_agg(quote_literal(e.enumlabel), ', ' order by e.enumsortorder)
                                            from pg_enum e where e.enumtypid = t.oid), '-'),
                     'base ' || case when t.typtype = 'd' then format_type(t.typbasetype, t.typtypmod) else '-' end,
                     'not_null ' || t.typnotnull,
                     'default ' || coalesce(t.typdefault, '-'),
                     'range_of ' || coalesce((select format_type(r.rngsubtype, null) from pg_range r
                                              where r.rngtypid = t.oid), '-'),
                     'owner ' || pg_get_userbyid(t.typowner),
                     'acl ' || {_acl('t.typacl', "'T'", 't.typowner')},
                     'comment ' || coalesce(obj_description(t.oid, 'pg_type'), '-')]
        from pg_type t join pg_namespace n on n.oid = t.typnamespace
        where {OURS} and t.typtype in ('e', 'd', 'r', 'm', 'b')
          and not (t.typcategory = 'A' and t.typelem <> 0)
          and {_not_in_extension('pg_type', 't.oid')}""",
    "sequence": f"""
        select 'sequence ' || s.seqrelid::regclass::text,
               array['type ' || format_type(s.seqtypid, null), 'start ' || s.seqstart,
                     'increment ' || s.seqincrement, 'min ' || s.seqmin, 'max ' || s.seqmax,
                     'cache ' || s.seqcache, 'cycle ' || s.seqcycle,
                     'owned_by ' || coalesce((select d.refobjid::regclass::text || '.' || a.attname
                                              from pg_depend d join pg_attribute a
                                                on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
                                              where d.classid = 'pg_class'::regclass and d.objid = s.seqrelid
                                                and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')
                                              limit 1), '-')]
        from pg_sequence s join pg_class c on c.oid = s.seqrelid join pg_namespace n on n.oid = c.relnamespace
        where {OURS} and {_not_in_extension('pg_class', 'c.oid')}""",
    "default_privileges": f"""
        select 'default_privileges ' || pg_get_userbyid(d.defaclrole) || ' in '
               || coalesce(n.nspname, '(all schemas)') || ' on ' || d.defaclobjtype::text,
               array['acl ' || array(select a::text from unnest(d.defaclacl) a order by 1)::text]
        from pg_default_acl d left join pg_namespace n on n.oid = d.defaclnamespace
        where n.oid is null or ({OURS})""",
    "rule": f"""
        select 'rule ' || r.ev_class::regclass::text || ' ' || quote_ident(r.rulename),
               array[pg_get_ruledef(r.oid, true)]
        from pg_rewrite r join pg_class c on c.oid = r.ev_class join pg_namespace n on n.oid = c.relnamespace
        where {OURS} and r.rulename <> '_RETURN'""",
    "publication": """
        select 'publication ' || p.pubname,
               array['all_tables ' || p.puballtables,
                     'tables ' || coalesce((select string_agg(pt.schemaname || '.' || pt.tablename, ', '
                                                              order by pt.schemaname, pt.tablename)
                                            from pg_publication_tables pt where pt.pubname = p.pubname), '-')]
        from pg_publication p""",
}


def snapshot(conn_or_url: psycopg.Connection | str) -> str:
    """The catalog as sorted text blocks (see the module docstring)."""
    if isinstance(conn_or_url, str):
        with psycopg.connect(conn_or_url, autocommit=True) as conn:
            return snapshot(conn)
    conn = conn_or_url
    blocks: list[str] = []
    # An empty search_path makes every name below come out schema-qualified.
    previous = conn.execute("select current_setting('search_path')").fetchone()[0]
    conn.execute("select set_config('search_path', 'pg_catalog', false)")
    try:
        for query in QUERIES.values():
            for header, details in conn.execute(query):
                blocks.append("\n".join([header, *("    " + d for d in details if d is not None)]))
    finally:
        conn.execute("select set_config('search_path', %s, false)", (previous,))
    return "\n".join(sorted(blocks)) + "\n"


def _blocks(text: str) -> dict[str, list[str]]:
    blocks: dict[str, list[str]] = {}
    header = ""
    for line in text.splitlines(keepends=True):
        if not line.startswith("    "):
            header = line.rstrip("\n")
        blocks.setdefault(header, []).append(line)
    return blocks


def diff(a: str, b: str, a_name: str = "a", b_name: str = "b") -> str:
    """A unified diff per differing object, each labelled with the object; empty when equal."""
    blocks_a, blocks_b = _blocks(a), _blocks(b)
    out: list[str] = []
    for header in sorted(blocks_a.keys() | blocks_b.keys()):
        lines_a, lines_b = blocks_a.get(header, []), blocks_b.get(header, [])
        if lines_a != lines_b:
            out.extend(difflib.unified_diff(lines_a, lines_b, fromfile=f"{a_name}: {header}",
                                            tofile=f"{b_name}: {header}", n=2))
    return "".join(out)
