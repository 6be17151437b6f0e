-- Timestamps: updated_at is kept by the database on every table that has it, whatever the client sends.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(4);

select is_empty($$
  select c.relname from pg_class c
  join pg_attribute a on a.attrelid = c.oid and a.attname = 'updated_at'
  where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
    and not exists (select 1 from pg_trigger t where t.tgrelid = c.oid and t.tgname = '_100_timestamps')
$$, 'every table with updated_at has the _100_timestamps trigger');

insert into public.contacts (id, phone, created_at, updated_at)
values ('00000000-0000-0000-0000-0000000000c1', '+905551112233', '2020-01-01', '2020-01-01');
update public.contacts set display_name = 'Zeynep' where id = '00000000-0000-0000-0000-0000000000c1';
select is((select updated_at from public.contacts where id = '00000000-0000-0000-0000-0000000000c1'), now(), 'an update sets updated_at');
update public.contacts set updated_at = '1999-01-01' where id = '00000000-0000-0000-0000-0000000000c1';
select is((select updated_at from public.contacts where id = '00000000-0000-0000-0000-0000000000c1'), now(), 'a client cannot backdate updated_at');
select is((select created_at from public.contacts where id = '00000000-0000-0000-0000-0000000000c1'), '2020-01-01'::timestamptz, 'created_at is left alone');

select * from finish();
rollback;
