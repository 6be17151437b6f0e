-- Window: interaction_tracker kept by the database (one row per contact from its creation, moved by new messages,
-- never backwards), the 24-hour window (an outbound message never opens it; exactly 24 hours is closed), the
-- phone's 30-day validity, and claim_nudges (one nudge per closed window, consented customers only).
-- Times are explicit: now() is the transaction's, fixed for the whole file.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(45);
\ir fixtures/helpers.psql

-- c1, c2: customers with every consent; c3: reaches us by bsuid only; ad: an admin.
insert into public.contacts (id, phone, bsuid, contact_type, display_name, onboarding_status,
                             consent_transfer, consent_marketing) values
  ('00000000-0000-0000-0000-0000000000c1', '+905551110001', null, 'customer', 'Selin', 'active', true, true),
  ('00000000-0000-0000-0000-0000000000c2', '+905551110002', null, 'customer', 'Emre', 'active', true, true),
  ('00000000-0000-0000-0000-0000000000c3', null, 'TR.c3', 'lead', 'Gökhan', 'new', false, false),
  ('00000000-0000-0000-0000-0000000000ad', '+905320000001', null, 'staff', 'Admin', 'active', true, false);
insert into public.agent_profiles (contact_id, role) values ('00000000-0000-0000-0000-0000000000ad', 'admin');

-- Section - one row per contact, from its creation
select is((select count(*)::int from public.interaction_tracker
           where contact_id in ('00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000c2',
                                '00000000-0000-0000-0000-0000000000c3', '00000000-0000-0000-0000-0000000000ad')),
  4, 'each new contact has its tracker row at once');
select row_eq($$select last_inbound, last_outbound, phone_expires_at, nudge_sent_at from public.interaction_tracker
                where contact_id = '00000000-0000-0000-0000-0000000000c1'$$,
  row(null::timestamptz, null::timestamptz, null::timestamptz, null::timestamptz), 'with nothing in it yet');
select is(public.window_open('00000000-0000-0000-0000-0000000000c1'), false, 'no message: the window is closed');
select pg_temp.act_as_bot();
select id as new_id from public.upsert_contact(p_phone => '+905551110009') \gset
select is((select count(*)::int from public.interaction_tracker t where t.contact_id = :'new_id'), 1,
  'a contact the bot registers has its row too');
select pg_temp.act_as_db();

-- Section - an outbound message never opens the window
insert into public.message_log (to_contact, direction, content, wa_message_id, created_at)
values ('00000000-0000-0000-0000-0000000000c1', 'outbound', 'Merhaba Selin Hanım', 'wamid.w.out1', now());
select row_eq($$select last_inbound, last_outbound from public.interaction_tracker where contact_id = '00000000-0000-0000-0000-0000000000c1'$$,
  row(null::timestamptz, now()), 'an outbound message moves last_outbound only');
select is(public.window_open('00000000-0000-0000-0000-0000000000c1'), false, 'an outbound message never opens the window');
select is((select window_open from public.window_status('00000000-0000-0000-0000-0000000000c1')), false,
  'window_status agrees');

-- Section - exactly 24 hours
insert into public.message_log (from_contact, direction, content, wa_message_id, created_at)
values ('00000000-0000-0000-0000-0000000000c1', 'inbound', 'Merhaba', 'wamid.w.in1', now() - interval '24 hours');
select is((select last_inbound from public.interaction_tracker where contact_id = '00000000-0000-0000-0000-0000000000c1'),
  now() - interval '24 hours', 'last_inbound is the message''s (WhatsApp) time');
select is(public.window_open('00000000-0000-0000-0000-0000000000c1'), false, 'an inbound message exactly 24 hours old: closed');
insert into public.message_log (from_contact, direction, content, wa_message_id, created_at)
values ('00000000-0000-0000-0000-0000000000c1', 'inbound', 'Orada mısınız?', 'wamid.w.in2',
        now() - interval '24 hours' + interval '1 microsecond');
select is(public.window_open('00000000-0000-0000-0000-0000000000c1'), true, 'one microsecond younger: open');
select row_eq($$select window_open, window_closes_at from public.window_status('00000000-0000-0000-0000-0000000000c1')$$,
  row(true, now() + interval '1 microsecond'), 'open until the last inbound message + 24 hours');

-- Section - late messages never move a time back
insert into public.message_log (from_contact, direction, content, wa_message_id, created_at)
values ('00000000-0000-0000-0000-0000000000c1', 'inbound', 'eski mesaj', 'wamid.w.late1', now() - interval '3 days');
insert into public.message_log (to_contact, direction, content, wa_message_id, created_at)
values ('00000000-0000-0000-0000-0000000000c1', 'outbound', 'eski yanıt', 'wamid.w.late2', now() - interval '3 days');
select row_eq($$select last_inbound, last_outbound from public.interaction_tracker where contact_id = '00000000-0000-0000-0000-0000000000c1'$$,
  row(now() - interval '24 hours' + interval '1 microsecond', now()), 'an older message arriving late changes neither time');
select is(public.window_open('00000000-0000-0000-0000-0000000000c1'), true, 'nor the window');

-- one statement, many messages of several contacts: each contact's newest, in one pass
insert into public.message_log (from_contact, to_contact, direction, content, wa_message_id, created_at) values
  ('00000000-0000-0000-0000-0000000000c2', null, 'inbound', 'a', 'wamid.w.b1', now() - interval '2 hours'),
  ('00000000-0000-0000-0000-0000000000c2', null, 'inbound', 'b', 'wamid.w.b2', now() - interval '1 hour'),
  ('00000000-0000-0000-0000-0000000000c2', null, 'inbound', 'c', 'wamid.w.b3', now() - interval '5 hours'),
  (null, '00000000-0000-0000-0000-0000000000c2', 'outbound', 'd', 'wamid.w.b4', now() - interval '30 minutes'),
  ('00000000-0000-0000-0000-0000000000c3', null, 'inbound', 'e', 'wamid.w.b5', now() - interval '10 minutes');
select row_eq($$select last_inbound, last_outbound from public.interaction_tracker where contact_id = '00000000-0000-0000-0000-0000000000c2'$$,
  row(now() - interval '1 hour', now() - interval '30 minutes'), 'a batch sets each contact''s newest in and out');
select is((select last_inbound from public.interaction_tracker where contact_id = '00000000-0000-0000-0000-0000000000c3'),
  now() - interval '10 minutes', 'and every contact of the batch');
-- a redelivery (the same wamid, on conflict do nothing) writes no row and moves nothing
insert into public.message_log (from_contact, direction, content, wa_message_id, created_at)
values ('00000000-0000-0000-0000-0000000000c2', 'inbound', 'a', 'wamid.w.b1', now())
on conflict (wa_message_id) do nothing;
select is((select last_inbound from public.interaction_tracker where contact_id = '00000000-0000-0000-0000-0000000000c2'),
  now() - interval '1 hour', 'a redelivered message moves nothing');

-- Section - the phone's 30-day validity
select is((select phone_expires_at from public.interaction_tracker where contact_id = '00000000-0000-0000-0000-0000000000c2'),
  now() - interval '30 minutes' + interval '30 days', 'phone_expires_at: 30 days after the last message in or out');
select is((select phone_expires_at from public.interaction_tracker where contact_id = '00000000-0000-0000-0000-0000000000c3'),
  null, 'no phone (bsuid only): nothing expires');
update public.contacts set phone = '+905551110003' where id = '00000000-0000-0000-0000-0000000000c3';
select is((select phone_expires_at from public.interaction_tracker where contact_id = '00000000-0000-0000-0000-0000000000c3'),
  now() - interval '10 minutes' + interval '30 days', 'a phone gained: its validity runs from the last message');
update public.contacts set phone = null where id = '00000000-0000-0000-0000-0000000000c3';
select is((select phone_expires_at from public.interaction_tracker where contact_id = '00000000-0000-0000-0000-0000000000c3'),
  null, 'a phone lost: none');

-- Section - who reads and writes the tracker
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select is((select contact_id from public.window_status()), '00000000-0000-0000-0000-0000000000c1'::uuid,
  'a customer reads its own window (default: the acting contact)');
select is(public.window_open('00000000-0000-0000-0000-0000000000c2'), false,
  'another customer''s open window reads as closed: nothing about it is told');
select throws_ok($$select * from public.window_status('00000000-0000-0000-0000-0000000000c2')$$, '42501',
  'window of contact 00000000-0000-0000-0000-0000000000c2: not found or not yours', 'nor its status');
select throws_ok($$select * from public.window_status('00000000-0000-0000-0000-0000000000ff')$$, '42501',
  'window of contact 00000000-0000-0000-0000-0000000000ff: not found or not yours', 'the same refusal for a missing contact');
select is_empty($$select 1 from public.interaction_tracker where contact_id = '00000000-0000-0000-0000-0000000000c2'$$,
  'a customer cannot read another''s tracker row');
select throws_ok($$update public.interaction_tracker set last_inbound = now() where contact_id = '00000000-0000-0000-0000-0000000000c1'$$,
  '42501', 'permission denied for table interaction_tracker', 'a customer cannot move its own window');
select throws_ok($$update public.interaction_tracker set nudge_sent_at = null where contact_id = '00000000-0000-0000-0000-0000000000c1'$$,
  '42501', 'permission denied for table interaction_tracker', 'nor reset its nudge');
select throws_ok($$select * from public.claim_nudges(10)$$, '42501', 'claim_nudges: only staff and the bot claim nudges',
  'a customer claims no nudge');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select is(public.window_open('00000000-0000-0000-0000-0000000000c2'), true, 'staff read every window');
select throws_ok($$select * from public.window_status('00000000-0000-0000-0000-0000000000ff')$$, 'VC003',
  'window of contact 00000000-0000-0000-0000-0000000000ff not found', 'and learn that a contact is missing');
select pg_temp.act_as_bot();
select is(public.window_open('00000000-0000-0000-0000-0000000000c1'), true, 'the bot reads every window');
select throws_ok($$update public.interaction_tracker set last_inbound = now()$$, '42501',
  'permission denied for table interaction_tracker', 'the bot writes no tracker row itself: the database keeps it');
select throws_ok($$delete from public.interaction_tracker$$, '42501', 'permission denied for table interaction_tracker',
  'nor deletes one');
select pg_temp.act_as_db();

-- Section - claim_nudges: one template nudge per closed window, consented customers only
-- e1 due (its window closed 4 days ago); e2 opted out; e3 no marketing consent; e4 an agent; e5 window still open;
-- e6 closed 10 days ago (beyond the default 7 days); e7 blocked. c1, c2, c3 have open windows.
insert into public.contacts (id, phone, contact_type, onboarding_status, consent_transfer, consent_marketing) values
  ('00000000-0000-0000-0000-0000000000e1', '+905552220001', 'customer', 'active', true, true),
  ('00000000-0000-0000-0000-0000000000e2', '+905552220002', 'customer', 'opted_out', true, false),
  ('00000000-0000-0000-0000-0000000000e3', '+905552220003', 'customer', 'active', true, false),
  ('00000000-0000-0000-0000-0000000000e4', '+905552220004', 'agent', 'active', true, true),
  ('00000000-0000-0000-0000-0000000000e5', '+905552220005', 'lead', 'profiling', true, true),
  ('00000000-0000-0000-0000-0000000000e6', '+905552220006', 'property_owner', 'active', true, true),
  ('00000000-0000-0000-0000-0000000000e7', '+905552220007', 'customer', 'blocked', true, true);
insert into public.sessions (contact_id, language) values ('00000000-0000-0000-0000-0000000000e1', 'en');
insert into public.message_log (from_contact, direction, content, wa_message_id, created_at)
select ('00000000-0000-0000-0000-0000000000e' || n)::uuid, 'inbound', 'x', 'wamid.w.n' || n,
       now() - case n when 1 then interval '5 days' when 5 then interval '2 hours' when 6 then interval '11 days'
                      else interval '25 hours' end
from generate_series(1, 7) as n;
select pg_temp.act_as_bot();
select results_eq($$select contact_id, phone, language, window_closed_at, nudge_sent_at from public.claim_nudges(100)$$,
  $$values ('00000000-0000-0000-0000-0000000000e1'::uuid, '+905552220001'::text, 'en'::text, now() - interval '4 days', now())$$,
  'only the consented customer whose window closed is nudged, with where to send it and its language');
select is_empty($$select * from public.claim_nudges(100)$$, 'the same closed window is never nudged twice');
select is((select nudge_sent_at from public.interaction_tracker where contact_id = '00000000-0000-0000-0000-0000000000e1'),
  now(), 'nudge_sent_at is set by the claim');
select results_eq($$select contact_id from public.claim_nudges(100, interval '30 days')$$,
  $$values ('00000000-0000-0000-0000-0000000000e6'::uuid)$$, 'a window closed longer ago: only within max_age');
select throws_ok($$select * from public.claim_nudges(0)$$, 'VC001', 'batch must be between 1 and 1000', 'batch is bounded');
select throws_ok($$select * from public.claim_nudges(null)$$, 'VC001', 'batch is required (1 .. 1000)', 'batch is required');
select throws_ok($$select * from public.claim_nudges(10, interval '31 days')$$, 'VC001',
  'max_age must be between 00:00:00 and 30 days', 'max_age is bounded');
select pg_temp.act_as_db();
-- now() is fixed in this transaction: the nudge is moved to the time it would have had (an hour after the window
-- closed), and the later messages are placed after it
update public.interaction_tracker set nudge_sent_at = now() - interval '4 days' + interval '1 hour'
where contact_id = '00000000-0000-0000-0000-0000000000e1';
-- a message older than the nudge, arriving late, is no new window
insert into public.message_log (from_contact, direction, content, wa_message_id, created_at)
values ('00000000-0000-0000-0000-0000000000e1', 'inbound', 'geç gelen', 'wamid.w.n1late', now() - interval '4 days 12 hours');
select pg_temp.act_as_bot();
select is_empty($$select * from public.claim_nudges(100)$$, 'a late message older than the nudge opens no new window to nudge');
select pg_temp.act_as_db();
-- the customer writes again after the nudge, and that window closes too
insert into public.message_log (from_contact, direction, content, wa_message_id, created_at)
values ('00000000-0000-0000-0000-0000000000e1', 'inbound', 'yeniden merhaba', 'wamid.w.n1again', now() - interval '2 days');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select results_eq($$select contact_id, window_closed_at from public.claim_nudges(100)$$,
  $$values ('00000000-0000-0000-0000-0000000000e1'::uuid, now() - interval '1 day')$$,
  'a new inbound message and its closed window: exactly one more nudge (staff may claim)');
select is_empty($$select * from public.claim_nudges(100)$$, 'and only one');
select pg_temp.act_as_db();
-- withdrawing marketing consent stops a nudge (the last one undone: the window is due again)
update public.interaction_tracker set nudge_sent_at = now() - interval '3 days'
where contact_id = '00000000-0000-0000-0000-0000000000e1';
select row_eq($$select nudge_sent_at < last_inbound, last_inbound <= now() - interval '24 hours'
                from public.interaction_tracker where contact_id = '00000000-0000-0000-0000-0000000000e1'$$,
  row(true, true), 'another closed window is due ...');
update public.contacts set consent_marketing = false where id = '00000000-0000-0000-0000-0000000000e1';
select pg_temp.act_as_bot();
select is_empty($$select * from public.claim_nudges(100)$$, '... but no nudge goes out without marketing consent');
select pg_temp.act_as_db();

select * from finish();
rollback;
