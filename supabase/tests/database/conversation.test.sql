-- Conversation: the rules the schema itself enforces on sessions, messages, the interaction tracker and
-- notifications, and the lock-down.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(15);

insert into public.contacts (id, phone) values ('00000000-0000-0000-0000-0000000000c1', '+905551112233');
insert into public.sessions (id, contact_id) values ('00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000c1');

-- sessions.
select row_eq($$select status, language, qualifying_completeness from public.sessions where id = '00000000-0000-0000-0000-0000000000b1'$$,
  row('active'::text, 'tr'::text, 0::numeric(3, 2)), 'a session starts active, in Turkish, with nothing qualified');
-- completeness is the database's (sessions.test.sql): a written value, even an impossible one, is ignored
select row_eq($$update public.sessions set qualifying_completeness = 1.5 returning qualifying_completeness$$,
  row(0::numeric(3, 2)), 'a written completeness is ignored (0: nothing qualified)');
select throws_ok($$update public.sessions set status = 'paused'$$, '23514',
  'new row for relation "sessions" violates check constraint "sessions_status_check"', 'unknown session status is rejected');
select throws_ok($$update public.sessions set rooms = 'three'$$, '23514',
  'new row for relation "sessions" violates check constraint "sessions_rooms_check"', 'the rooms slot uses the 3+1 form');

-- message_log: a WhatsApp message id is stored once; inbound messages carry sender and id.
insert into public.message_log (from_contact, direction, content, wa_message_id, session_id)
values ('00000000-0000-0000-0000-0000000000c1', 'inbound', 'Merhaba, Kadıköy''de 3+1 arıyorum', 'wamid.HBgM001', '00000000-0000-0000-0000-0000000000b1');
select throws_ok($$insert into public.message_log (from_contact, direction, content, wa_message_id) values ('00000000-0000-0000-0000-0000000000c1', 'inbound', 'Merhaba', 'wamid.HBgM001')$$,
  '23505', 'duplicate key value violates unique constraint "message_log_wa_message_id_key"', 'a redelivered webhook cannot store the message twice');
select throws_ok($$insert into public.message_log (from_contact, direction, content) values ('00000000-0000-0000-0000-0000000000c1', 'inbound', 'x')$$,
  '23514', 'new row for relation "message_log" violates check constraint "message_log_direction_parties_check"', 'an inbound message has a WhatsApp id');
select throws_ok($$insert into public.message_log (direction, content) values ('outbound', 'x')$$,
  '23514', 'new row for relation "message_log" violates check constraint "message_log_direction_parties_check"', 'an outbound message has a recipient');
select throws_ok($$insert into public.message_log (from_contact, direction, message_type, wa_message_id) values ('00000000-0000-0000-0000-0000000000c1', 'inbound', 'fax', 'wamid.2')$$,
  '23514', 'new row for relation "message_log" violates check constraint "message_log_message_type_check"', 'unknown message type is rejected');

-- interaction_tracker: one row per contact, from its creation (the database's; functions/window.sql).
select is((select count(*)::int from public.interaction_tracker where contact_id = '00000000-0000-0000-0000-0000000000c1'), 1,
  'a new contact has its tracker row at once');
select throws_ok($$insert into public.interaction_tracker (contact_id) values ('00000000-0000-0000-0000-0000000000c1')$$,
  '23505', 'duplicate key value violates unique constraint "interaction_tracker_pkey"', 'one tracker row per contact');

-- pending_notifications.
select throws_ok($$insert into public.pending_notifications (contact_id, kind, body) values ('00000000-0000-0000-0000-0000000000c1', 'spam', 'x')$$,
  '23514', 'new row for relation "pending_notifications" violates check constraint "pending_notifications_kind_check"', 'unknown notification kind is rejected');
select throws_ok($$insert into public.pending_notifications (contact_id, kind, body, buttons) values ('00000000-0000-0000-0000-0000000000c1', 'match', 'Yeni eşleşme', '{"a": 1}')$$,
  '23514', 'new row for relation "pending_notifications" violates check constraint "pending_notifications_buttons_check"', 'buttons are a JSON array');

-- anon reaches nothing (the access matrix covers every actor).
set local role anon;
select throws_ok(format('select 1 from public.%I', t), '42501', format('permission denied for table %s', t), format('anon cannot read %s', t))
from unnest(array['sessions', 'message_log', 'interaction_tracker']) as t;
reset role;

select * from finish();
rollback;
