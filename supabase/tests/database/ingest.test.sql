-- Ingestion and identity changes: ingest_message stores a WhatsApp message once per wa_message_id, registers
-- the contact, attaches the message to the contact's active session, withholds inbound content without
-- consent_transfer; only the bot and staff ingest; change_contact_phone / _bsuid move a contact, keep its
-- history and never merge. (Concurrency: tests/test_ingest.py.)
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(50);
\ir fixtures/helpers.psql

insert into public.contacts (id, phone, contact_type, display_name, consent_transfer) values
  ('00000000-0000-0000-0000-0000000000c1', '+905551112233', 'customer', 'Selin', true),
  ('00000000-0000-0000-0000-0000000000c2', '+905551112244', 'customer', 'Emre', false),
  ('00000000-0000-0000-0000-0000000000a1', '+905321110001', 'agent', 'Ayşe', true),
  ('00000000-0000-0000-0000-0000000000ad', '+905320000001', 'staff', 'Admin', true);
insert into public.agent_profiles (contact_id, role, office) values
  ('00000000-0000-0000-0000-0000000000a1', 'agent', 'Moda Emlak'),
  ('00000000-0000-0000-0000-0000000000ad', 'admin', null);

-- A message's row, read as the table owner whoever is acting.
create function pg_temp.msg(p_wa text) returns public.message_log language sql security definer as $$
  select * from public.message_log where wa_message_id = p_wa
$$;

-- Section - the bot ingests: a new sender is registered, a session opened, WhatsApp's time kept
select pg_temp.act_as_bot();
select is((select is_new from public.ingest_message('wamid.t.1', 'inbound', '905559876543', '+902129990000',
                                                     p_content => 'Merhaba', p_sent_at => now() - interval '10 minutes')),
  true, 'a new message is new');
select pg_temp.act_as_db();
select is((select count(*)::int from public.contacts where phone = '+905559876543' and contact_type = 'lead' and onboarding_status = 'new'),
  1, 'its sender (WhatsApp''s wa_id form) is registered as a new lead with its E.164 phone');
select is((pg_temp.msg('wamid.t.1')).created_at, now() - interval '10 minutes', 'created_at is WhatsApp''s timestamp');
select is((pg_temp.msg('wamid.t.1')).from_contact, (select id from public.contacts where phone = '+905559876543'),
  'an inbound message''s from_contact is the customer');
select is((pg_temp.msg('wamid.t.1')).to_contact, null, 'our own number is no contact');
select results_eq($$select status, last_message_at from public.sessions s join public.contacts c on c.id = s.contact_id
                    where c.phone = '+905559876543'$$,
  $$values ('active'::text, now() - interval '10 minutes')$$, 'one active session, at the message''s time');
select is((pg_temp.msg('wamid.t.1')).session_id, (select s.id from public.sessions s join public.contacts c on c.id = s.contact_id
                                                   where c.phone = '+905559876543'), 'the message is in it');

-- Section - a redelivery changes nothing and returns the stored id
select pg_temp.act_as_bot();
select results_eq($$select message_id, is_new from public.ingest_message('wamid.t.1', 'inbound', '+905559876543', null,
                                                                         p_sent_at => now())$$,
  $$select id, false from public.message_log where wa_message_id = 'wamid.t.1'$$, 'a redelivery returns the stored id, not new');
select pg_temp.act_as_db();
select is((select count(*)::int from public.message_log where wa_message_id = 'wamid.t.1'), 1, 'stored once');
select is((select last_message_at from public.sessions s join public.contacts c on c.id = s.contact_id where c.phone = '+905559876543'),
  now() - interval '10 minutes', 'a redelivery does not move last_message_at');
select is((select count(*)::int from public.sessions s join public.contacts c on c.id = s.contact_id where c.phone = '+905559876543'),
  1, 'a redelivery opens no session');

-- Section - sessions: later messages join and move it; outbound messages join too; a closed session is not reused
select pg_temp.act_as_bot();
select lives_ok($$select public.ingest_message('wamid.t.2', 'inbound', '+905551112233', null, p_content => 'Kadıköy 3+1',
                                               p_sent_at => now() - interval '5 minutes')$$, 'a known customer writes');
select lives_ok($$select public.ingest_message('wamid.t.3', 'outbound', '+902129990000', '+905551112233',
                                               p_content => 'Bütçeniz?', p_sent_at => now() - interval '4 minutes')$$,
  'the bot answers');
select lives_ok($$select public.ingest_message('wamid.t.0', 'inbound', '+905551112233', null,
                                               p_sent_at => now() - interval '1 hour')$$, 'an older message arrives late');
select pg_temp.act_as_db();
select is((pg_temp.msg('wamid.t.3')).to_contact, '00000000-0000-0000-0000-0000000000c1'::uuid, 'an outbound message''s to_contact is the customer');
select is((select count(distinct session_id)::int from public.message_log where wa_message_id in ('wamid.t.0', 'wamid.t.2', 'wamid.t.3')),
  1, 'all in the customer''s one active session');
select is((select last_message_at from public.sessions where contact_id = '00000000-0000-0000-0000-0000000000c1'),
  now() - interval '4 minutes', 'last_message_at is the latest message, not the last to arrive');
update public.sessions set status = 'closed' where contact_id = '00000000-0000-0000-0000-0000000000c1';
select public.ingest_message('wamid.t.4', 'inbound', '+905551112233', null);
select is((select count(*)::int from public.sessions where contact_id = '00000000-0000-0000-0000-0000000000c1' and status = 'active'),
  1, 'after the session closed, the next message opens a new one');
select throws_ok($$insert into public.sessions (contact_id) values ('00000000-0000-0000-0000-0000000000c1')$$, '23505',
  'duplicate key value violates unique constraint "sessions_one_active_idx"', 'a contact has one active session at most');

-- Section - consent_transfer: inbound content is withheld until given
select public.ingest_message('wamid.t.5', 'inbound', '+905551112244', null, 'interactive', 'Evet',
                             '{"button_reply": {"id": "evet"}}');
select results_eq($$select message_type, content, interactive_payload, content_withheld from public.message_log where wa_message_id = 'wamid.t.5'$$,
  $$values ('interactive'::text, null::text, null::jsonb, true)$$, 'without consent_transfer: metadata only, content_withheld');
select is((pg_temp.msg('wamid.t.2')).content_withheld, false, 'with consent the content is kept');
select is((pg_temp.msg('wamid.t.3')).content, 'Bütçeniz?', 'the bot''s outbound text is kept');
insert into public.message_log (from_contact, direction, content, wa_message_id)
values ('00000000-0000-0000-0000-0000000000c2', 'inbound', 'gizli', 'wamid.t.direct');
select is((pg_temp.msg('wamid.t.direct')).content, null, 'a direct insert (the dashboard) withholds it too');
update public.message_log set content = 'sonradan', content_withheld = false where wa_message_id = 'wamid.t.5';
select is(((pg_temp.msg('wamid.t.5')).content, (pg_temp.msg('wamid.t.5')).content_withheld), (null::text, true),
  'content written later is withheld too; the flag is the database''s');
update public.message_log set content_withheld = true where wa_message_id = 'wamid.t.2';
select is(((pg_temp.msg('wamid.t.2')).content, (pg_temp.msg('wamid.t.2')).content_withheld), ('Kadıköy 3+1'::text, false),
  'a writer cannot mark stored content withheld either');
set local session_replication_role = replica;  -- triggers off: the check constraint alone
select throws_ok($$insert into public.message_log (to_contact, direction, content, content_withheld) values ('00000000-0000-0000-0000-0000000000c2', 'outbound', 'x', true)$$,
  '23514', 'new row for relation "message_log" violates check constraint "message_log_content_withheld_check"',
  'behind the trigger, the table itself holds that a withheld row is inbound and has no content');
set local session_replication_role = origin;
update public.contacts set consent_transfer = true where id = '00000000-0000-0000-0000-0000000000c2';
select public.ingest_message('wamid.t.6', 'inbound', '+905551112244', null, p_content => 'Artık kaydedin');
select is((pg_temp.msg('wamid.t.6')).content, 'Artık kaydedin', 'once consent is given, content is stored');

-- Section - bounds: VC001 naming the parameter
select pg_temp.act_as_bot();
select throws_ok($$select public.ingest_message('', 'inbound', '+905551112233', null)$$, 'VC001',
  'wa_message_id is required: WhatsApp''s message id, 1-256 characters', 'an empty wa_message_id');
select throws_ok($$select public.ingest_message('w', 'incoming', '+905551112233', null)$$, 'VC001',
  'direction incoming is not one of inbound, outbound', 'an unknown direction');
select throws_ok($$select public.ingest_message('w', 'inbound', null, '+905551112233')$$, 'VC001',
  'from is required for an inbound message: the contact''s E.164 phone or WhatsApp bsuid', 'an inbound message names its sender');
select throws_ok($$select public.ingest_message('w', 'inbound', '+90 555', null)$$, 'VC001',
  'from must be an E.164 phone (+905321234567) or a WhatsApp bsuid (at most 128 characters, no spaces)', 'a malformed sender');
select throws_ok($$select public.ingest_message('w', 'inbound', '+905551112233', null, p_sent_at => now() + interval '1 hour')$$,
  'VC001', 'sent_at must be between 30 days ago and 5 minutes from now', 'a message from the future');
select throws_ok($$select public.ingest_message('w', 'inbound', '+905551112233', null, p_sent_at => now() - interval '90 days')$$,
  'VC001', 'sent_at must be between 30 days ago and 5 minutes from now', 'an absurdly old message');
select throws_ok($$select public.ingest_message('w', 'inbound', '+905551112233', null, p_content => repeat('x', 10001))$$,
  'VC001', 'content must be at most 10000 characters', 'content is bounded');
select throws_ok($$select public.ingest_message('w', 'inbound', '+905551112233', null, p_interactive_payload => '[1]')$$,
  'VC001', 'interactive_payload must be a JSON object', 'the payload is an object');
select pg_temp.act_as_db();
select is((select count(*)::int from public.message_log where wa_message_id = 'w'), 0, 'a refused message is not stored');

-- Section - who may ingest
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select throws_ok($$select public.ingest_message('wamid.t.x', 'inbound', '+905551112233', null)$$, '42501',
  'ingest_message: only the bot, admins and owners ingest messages', 'a customer ingests nothing');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select throws_ok($$select public.ingest_message('wamid.t.1', 'inbound', '+905559876543', null)$$, '42501',
  'ingest_message: only the bot, admins and owners ingest messages', 'nor does an agent, even for a stored message');
select pg_temp.act_as_anon();
select throws_ok($$select public.ingest_message('wamid.t.x', 'inbound', '+905551112233', null)$$, '42501',
  'permission denied for function ingest_message', 'anon cannot call it');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select is((select is_new from public.ingest_message('wamid.t.x', 'inbound', 'TR.staff.test', null)), true, 'staff may ingest');
select pg_temp.act_as_db();

-- Section - identity changes
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select is((select id from public.change_contact_phone('00000000-0000-0000-0000-0000000000c1', '+905551119999')),
  '00000000-0000-0000-0000-0000000000c1'::uuid, 'staff move a contact to its new number, same id');
select throws_ok($$select public.change_contact_phone('00000000-0000-0000-0000-0000000000c1', '+905551112244')$$, 'VC004',
  'the phone already belongs to another contact: two contacts are never merged', 'a number another contact holds is refused');
select pg_temp.act_as_bot();
select lives_ok($$select public.change_contact_bsuid('00000000-0000-0000-0000-0000000000c1', 'TR.selin.1')$$, 'the bot sets a bsuid');
select throws_ok($$select public.change_contact_bsuid('00000000-0000-0000-0000-0000000000c2', 'TR.selin.1')$$, 'VC004',
  'the bsuid already belongs to another contact: two contacts are never merged', 'a bsuid another contact holds is refused');
select results_eq($$select field, old_value, new_value, changed_by from public.contact_identity_history('00000000-0000-0000-0000-0000000000c1')$$,
  $$values ('phone'::text, '+905551112233'::text, '+905551119999'::text, '00000000-0000-0000-0000-0000000000ad'::uuid),
           ('bsuid', null, 'TR.selin.1', null)$$, 'the history keeps the old identifiers, who and when');
select pg_temp.act_as_db();
select is((select count(*)::int from public.message_log where from_contact = '00000000-0000-0000-0000-0000000000c1'
                                                          or to_contact = '00000000-0000-0000-0000-0000000000c1'),
  4, 'its messages stay with it');

select pg_temp.act_as('00000000-0000-0000-0000-0000000000c2');
select throws_ok($$select public.change_contact_phone('00000000-0000-0000-0000-0000000000c2', '+905550000000')$$, '42501',
  'only admins, owners and the bot may change a contact''s phone', 'a contact does not change its own phone through the RPC');
select throws_ok($$update public.contacts set phone = '+905551119999' where id = '00000000-0000-0000-0000-0000000000c2'$$, '42501',
  'only admins, owners and the bot may change contacts.phone and bsuid', 'nor by a direct update (a number taken or not: the same 42501)');
select throws_ok($$update public.contacts set bsuid = 'TR.mine' where id = '00000000-0000-0000-0000-0000000000c2'$$, '42501',
  'only admins, owners and the bot may change contacts.phone and bsuid', 'nor its bsuid');
select throws_ok($$select * from public.contact_identity_history('00000000-0000-0000-0000-0000000000c2')$$, '42501',
  'contact_identity_history: admins, owners and the bot only', 'the history is for staff and the bot');
select pg_temp.act_as_db();

select * from finish();
rollback;
