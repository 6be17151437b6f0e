-- Operations: the rules the schema itself enforces on tasks and documents, and the lock-down.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(7);

insert into public.contacts (id, phone, contact_type) values ('00000000-0000-0000-0000-0000000000a1', '+905321234567', 'agent');

select throws_ok($$insert into public.tasks (agent_id, task_type, title) values ('00000000-0000-0000-0000-0000000000a1', 'party', 'x')$$,
  '23514', 'new row for relation "tasks" violates check constraint "tasks_task_type_check"', 'unknown task type is rejected');
select throws_ok($$insert into public.tasks (agent_id, task_type, title) values ('00000000-0000-0000-0000-0000000000a1', 'call', '  ')$$,
  '23514', 'new row for relation "tasks" violates check constraint "tasks_title_check"', 'a task has a title');
select throws_ok($$insert into public.tasks (agent_id, task_type, title, status) values ('00000000-0000-0000-0000-0000000000a1', 'call', 'Ara', 'late')$$,
  '23514', 'new row for relation "tasks" violates check constraint "tasks_status_check"', 'unknown task status is rejected');
select throws_ok($$insert into public.documents (type) values ('invoice')$$,
  '23514', 'new row for relation "documents" violates check constraint "documents_type_check"', 'a document is a contract or a certificate');
select throws_ok($$insert into public.documents (type, template_data) values ('contract', '"x"')$$,
  '23514', 'new row for relation "documents" violates check constraint "documents_template_data_check"', 'template_data is a JSON object');

set local role anon;
select throws_ok(format('select 1 from public.%I', t), '42501', format('permission denied for table %s', t), format('anon cannot read %s', t))
from unnest(array['tasks', 'documents']) as t;
reset role;

select * from finish();
rollback;
