-- Timestamps: updated_at is kept by the database on every table that has it.

-- Sets updated_at to the statement's time on every update, whatever the client sent.
create or replace function private.tg__set_updated_at() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;
comment on function private.tg__set_updated_at() is 'Trigger function: keeps updated_at on every update.';

-- Attach _100_timestamps to every public table with an updated_at column, so a new table cannot forget it.
do $$
declare
  v_table regclass;
begin
  for v_table in
    select c.oid::regclass
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = c.oid and a.attname = 'updated_at' and not a.attisdropped
    where n.nspname = 'public' and c.relkind = 'r'
    order by c.relname
  loop
    execute format(
      'create or replace trigger _100_timestamps before update on %s '
      'for each row execute function private.tg__set_updated_at()', v_table);
    execute format('comment on trigger _100_timestamps on %s is %L', v_table,
                   'updated_at is set by the database to the time of every update, whatever the client sends.');
  end loop;
end
$$;
