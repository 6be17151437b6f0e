-- Consent: each rule on every path (RPC, a customer's direct write, the bot, the dashboard's postgres) and as
-- attacks; the history (who, role, when, which, from which message) written by the database only, never changed,
-- read by the contact itself, staff and the bot.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(53);
\ir fixtures/helpers.psql

-- c1, c2: customers starting onboarding; ad: an admin. m1: c1's message, m2: c2's, m3: the bot's reply to c1.
insert into public.contacts (id, phone, contact_type, display_name) values
  ('00000000-0000-0000-0000-0000000000c1', '+905551110001', 'customer', 'Selin'),
  ('00000000-0000-0000-0000-0000000000c2', '+905551110002', 'customer', 'Emre'),
  ('00000000-0000-0000-0000-0000000000ad', '+905320000001', 'staff', 'Admin');
insert into public.agent_profiles (contact_id, role) values ('00000000-0000-0000-0000-0000000000ad', 'admin');
insert into public.message_log (id, from_contact, to_contact, direction, content, wa_message_id) values
  ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000c1', null, 'inbound', 'EVET, onaylıyorum', 'wamid.c.1'),
  ('00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-0000000000c2', null, 'inbound', 'EVET', 'wamid.c.2'),
  ('00000000-0000-0000-0000-0000000000a3', null, '00000000-0000-0000-0000-0000000000c1', 'outbound', 'Onaylıyor musunuz?', 'wamid.c.3');
create function pg_temp.history(p_contact uuid) returns bigint language sql security definer as
  $$ select count(*) from private.consent_history where contact_id = p_contact $$;

-- Section - onboarding reaches active only with transfer consent (every path)
update public.contacts set onboarding_status = 'consent_pending' where id = '00000000-0000-0000-0000-0000000000c1';
update public.contacts set onboarding_status = 'profiling' where id = '00000000-0000-0000-0000-0000000000c1';
select throws_ok($$update public.contacts set onboarding_status = 'active' where id = '00000000-0000-0000-0000-0000000000c1'$$,
  'VC002', 'onboarding_status cannot move from profiling to active without consent_transfer',
  'the dashboard cannot activate a contact without its KVKK consent');
select pg_temp.act_as_bot();
select throws_ok($$select public.set_onboarding_status('00000000-0000-0000-0000-0000000000c1', 'active')$$,
  'VC002', 'onboarding_status cannot move from profiling to active without consent_transfer', 'nor the bot');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select throws_ok($$select public.set_onboarding_status('00000000-0000-0000-0000-0000000000c1', 'active')$$,
  'VC002', 'onboarding_status cannot move from profiling to active without consent_transfer', 'nor staff');
select pg_temp.act_as_db();
select throws_ok($$insert into public.contacts (phone, onboarding_status) values ('+905551110099', 'active')$$,
  'VC002', 'a contact cannot be created active without consent_transfer', 'nor can a contact be created active without it');
select throws_ok($$update public.contacts set onboarding_status = 'active' where id = '00000000-0000-0000-0000-0000000000c2'$$,
  'VC002', 'onboarding_status cannot move from new to active', 'a move the state machine refuses says so first');
select pg_temp.act_as_bot();
select is((select consent_transfer from public.record_consent('transfer', true, '00000000-0000-0000-0000-0000000000c1',
                                                              '00000000-0000-0000-0000-0000000000a1')),
  true, 'the bot records the consent from the contact''s message');
select is((select onboarding_status from public.set_onboarding_status('00000000-0000-0000-0000-0000000000c1', 'active')),
  'active', 'with it, the contact becomes active');
select pg_temp.act_as_db();

-- Section - the history records it: who, role, when, which, from which message
select results_eq($$select consent, granted, changed_at, changed_by, actor_role, message_id, onboarding_status
                    from private.consent_history where contact_id = '00000000-0000-0000-0000-0000000000c1'$$,
  $$values ('transfer'::text, true, now(), null::uuid, 'service_role'::text, '00000000-0000-0000-0000-0000000000a1'::uuid,
            'profiling'::text)$$,
  'one history row: transfer granted now by the bot, from message m1, while profiling');
select is(pg_temp.history('00000000-0000-0000-0000-0000000000c1'), 1::bigint,
  'moving the onboarding status changes no consent and records nothing');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select lives_ok($$select public.record_consent('marketing', true)$$, 'the contact grants marketing itself');
select lives_ok($$select public.record_consent('marketing', true)$$, 'and once more: nothing changes');
select lives_ok($$update public.contacts set consent_training = true where id = '00000000-0000-0000-0000-0000000000c1'$$,
  'a direct API write of its own consent (PostgREST)');
select pg_temp.act_as_db();
select results_eq($$select consent, granted, changed_by, actor_role, message_id from private.consent_history
                    where contact_id = '00000000-0000-0000-0000-0000000000c1' and id > (select min(id) from private.consent_history
                                                                                    where contact_id = '00000000-0000-0000-0000-0000000000c1')
                    order by id$$,
  $$values ('marketing'::text, true, '00000000-0000-0000-0000-0000000000c1'::uuid, 'authenticated'::text, null::uuid),
           ('training'::text, true, '00000000-0000-0000-0000-0000000000c1'::uuid, 'authenticated'::text, null::uuid)$$,
  'the contact''s own changes, by RPC and direct write, recorded as its own (a repeated grant is no change)');
update public.contacts set consent_training = false where id = '00000000-0000-0000-0000-0000000000c1';
select results_eq($$select consent, granted, changed_by, actor_role = session_user::text from private.consent_history
                    where contact_id = '00000000-0000-0000-0000-0000000000c1' order by id desc limit 1$$,
  $$values ('training'::text, false, null::uuid, true)$$, 'a dashboard update is recorded too, as its user');

-- Section - the message must be the contact's own inbound one
select pg_temp.act_as_bot();
select throws_ok($$select public.record_consent('training', true, '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a2')$$,
  'VC001', 'message_id must be an inbound message of the contact', 'another contact''s message is no evidence');
select throws_ok($$select public.record_consent('training', true, '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a3')$$,
  'VC001', 'message_id must be an inbound message of the contact', 'nor is the bot''s own outbound message');
select throws_ok($$select public.record_consent('training', true, '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000ff')$$,
  'VC001', 'message_id must be an inbound message of the contact', 'nor a message that does not exist');
select pg_temp.act_as_db();
select row_eq($$select consent_training, (select count(*) from private.consent_history
                                          where contact_id = '00000000-0000-0000-0000-0000000000c1')
                from public.contacts where id = '00000000-0000-0000-0000-0000000000c1'$$,
  row(false, 4::bigint), 'a refused call writes nothing');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select throws_ok($$select set_config('vic.consent_message_id', '00000000-0000-0000-0000-0000000000a2', true);
                   update public.contacts set consent_training = true where id = '00000000-0000-0000-0000-0000000000c1'$$,
  'VC001', 'message_id must be an inbound message of the contact',
  'attack: a contact naming another''s message in the setting is refused too');
select lives_ok($$select public.record_consent('training', true, p_message_id => '00000000-0000-0000-0000-0000000000a1')$$,
  'a contact records a consent from its own message');
select lives_ok($$update public.contacts set display_name = 'Selin K.', consent_training = false where id = '00000000-0000-0000-0000-0000000000c1'$$,
  'a later write in the same transaction');
select pg_temp.act_as_db();
select results_eq($$select consent, granted, message_id from private.consent_history
                    where contact_id = '00000000-0000-0000-0000-0000000000c1' order by id desc limit 2$$,
  $$values ('training'::text, false, null::uuid), ('training'::text, true, '00000000-0000-0000-0000-0000000000a1'::uuid)$$,
  'the message belongs to its own call only: a later write in the transaction does not inherit it');

-- Section - withdrawing transfer consent takes the contact out of active
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select row_eq($$select onboarding_status, consent_transfer, consent_marketing, consent_marketing_at
                from public.record_consent('transfer', false)$$,
  row('opted_out'::text, false, false, now()), 'a withdrawal is never refused: the active contact is opted out, marketing withdrawn and stamped');
select pg_temp.act_as_db();
select results_eq($$select consent, granted, onboarding_status, actor_role from private.consent_history
                    where contact_id = '00000000-0000-0000-0000-0000000000c1' order by id desc limit 2$$,
  $$values ('marketing'::text, false, 'opted_out'::text, 'authenticated'::text),
           ('transfer'::text, false, 'opted_out'::text, 'authenticated'::text)$$,
  'both withdrawals are in the history, with the status they led to');

-- Section - opted_out withdraws marketing consent, and refuses a new grant until the contact opts in again
update public.contacts set onboarding_status = 'consent_pending' where id = '00000000-0000-0000-0000-0000000000c2';
update public.contacts set consent_marketing = true where id = '00000000-0000-0000-0000-0000000000c2';
select pg_temp.act_as_bot();
select row_eq($$select onboarding_status, consent_marketing from public.set_onboarding_status('00000000-0000-0000-0000-0000000000c2', 'opted_out')$$,
  row('opted_out'::text, false), 'opting out withdraws marketing consent (the database does it)');
select throws_ok($$select public.record_consent('marketing', true, '00000000-0000-0000-0000-0000000000c2')$$,
  'VC002', 'an opted-out contact cannot grant marketing consent', 'an opted-out contact cannot be given marketing consent');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c2');
select throws_ok($$update public.contacts set consent_marketing = true where id = '00000000-0000-0000-0000-0000000000c2'$$,
  'VC002', 'an opted-out contact cannot grant marketing consent', 'nor give it to itself directly');
select pg_temp.act_as_db();
select throws_ok($$update public.contacts set consent_marketing = true where id = '00000000-0000-0000-0000-0000000000c2'$$,
  'VC002', 'an opted-out contact cannot grant marketing consent', 'nor the dashboard');
select lives_ok($$update public.contacts set onboarding_status = 'consent_pending', consent_marketing = true
                  where id = '00000000-0000-0000-0000-0000000000c2'$$, 'opting in again, marketing may be granted');
update public.contacts set onboarding_status = 'blocked' where id = '00000000-0000-0000-0000-0000000000c2';
select is((select consent_marketing from public.contacts where id = '00000000-0000-0000-0000-0000000000c2'), true,
  'blocked is no opt-out: the consent stays (nudges and proactive messages skip blocked contacts anyway)');
insert into public.contacts (id, phone, onboarding_status, consent_marketing)
values ('00000000-0000-0000-0000-0000000000c3', '+905551110003', 'opted_out', true);
select is((select consent_marketing from public.contacts where id = '00000000-0000-0000-0000-0000000000c3'), false,
  'a contact created opted out has no marketing consent');
select is(pg_temp.history('00000000-0000-0000-0000-0000000000c3'), 0::bigint, 'and no history: nothing was granted');
insert into public.contacts (id, phone, onboarding_status, consent_transfer, consent_training)
values ('00000000-0000-0000-0000-0000000000c4', '+905551110004', 'active', true, true);
select results_eq($$select consent, granted, onboarding_status from private.consent_history
                    where contact_id = '00000000-0000-0000-0000-0000000000c4' order by id$$,
  $$values ('transfer'::text, true, 'active'::text), ('training'::text, true, 'active'::text)$$,
  'a contact created with consents has them in its history');

-- Section - consent timestamps are the database's
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c2');
update public.contacts set consent_marketing_at = '2000-01-01', consent_transfer_at = '2000-01-01'
where id = '00000000-0000-0000-0000-0000000000c2';
select row_eq($$select consent_marketing_at, consent_transfer_at from public.contacts where id = '00000000-0000-0000-0000-0000000000c2'$$,
  row(now(), null::timestamptz), 'attack: a customer cannot rewrite its consent timestamps');
select throws_ok($$update public.interaction_tracker set last_inbound = now(), nudge_sent_at = null
                   where contact_id = '00000000-0000-0000-0000-0000000000c2'$$,
  '42501', 'permission denied for table interaction_tracker', 'attack: nor its tracker (to open its window or reset a nudge)');
select is_empty($$select 1 from public.interaction_tracker where contact_id = '00000000-0000-0000-0000-0000000000c1'$$,
  'attack: nor read another contact''s tracker');
select pg_temp.act_as_db();

-- Section - consent_history: the contact itself, staff and the bot
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select is((select count(*) from public.consent_history()), pg_temp.history('00000000-0000-0000-0000-0000000000c1'),
  'a contact reads its own history');
select results_eq($$select consent, granted, message_id from public.consent_history('00000000-0000-0000-0000-0000000000c1') order by id limit 1$$,
  $$values ('transfer'::text, true, '00000000-0000-0000-0000-0000000000a1'::uuid)$$, 'oldest first, with the message');
select throws_ok($$select * from public.consent_history('00000000-0000-0000-0000-0000000000c2')$$, '42501',
  'consent history of contact 00000000-0000-0000-0000-0000000000c2: not found or not yours', 'attack: not another''s');
select throws_ok($$select * from public.consent_history('00000000-0000-0000-0000-0000000000ff')$$, '42501',
  'consent history of contact 00000000-0000-0000-0000-0000000000ff: not found or not yours',
  'the same refusal for a contact that does not exist');
select throws_ok($$select 1 from private.consent_history$$, '42501', 'permission denied for schema private',
  'attack: the table itself is out of reach');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c9');
select throws_ok($$select * from public.consent_history()$$, '42501',
  'consent history of contact 00000000-0000-0000-0000-0000000000c9: not found or not yours', 'a token naming no contact reads nothing');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select is((select count(*) from public.consent_history('00000000-0000-0000-0000-0000000000c2')),
  pg_temp.history('00000000-0000-0000-0000-0000000000c2'), 'staff read any contact''s history');
select throws_ok($$select * from public.consent_history('00000000-0000-0000-0000-0000000000ff')$$, 'VC003',
  'consent history of contact 00000000-0000-0000-0000-0000000000ff not found', 'and learn that a contact is missing');
select pg_temp.act_as_bot();
select is((select count(*) from public.consent_history('00000000-0000-0000-0000-0000000000c1')),
  pg_temp.history('00000000-0000-0000-0000-0000000000c1'), 'so does the bot');
select throws_ok($$select * from public.consent_history()$$, 'VC001', 'contact_id is required when not acting as a contact',
  'the bot names the contact');
select throws_ok($$update private.consent_history set granted = true$$, '42501', 'permission denied for schema private',
  'the bot cannot edit the history');
select pg_temp.act_as_anon();
select throws_ok($$select * from public.consent_history('00000000-0000-0000-0000-0000000000c1')$$, '42501',
  'permission denied for function consent_history', 'anon reads nothing');
select pg_temp.act_as_db();

-- Section - the history is append-only, for the dashboard's postgres too
select throws_ok($$update private.consent_history set granted = not granted where contact_id = '00000000-0000-0000-0000-0000000000c1'$$,
  '42501', 'consent_history is append-only: evidence is never changed', 'no update, even by postgres');
select throws_ok($$delete from private.consent_history where contact_id = '00000000-0000-0000-0000-0000000000c1'$$,
  '42501', 'consent_history is append-only: evidence is never changed', 'no delete');
select throws_ok($$truncate private.consent_history$$,
  '42501', 'consent_history is append-only: evidence is never changed', 'no truncate');
select throws_ok($$delete from public.message_log where id = '00000000-0000-0000-0000-0000000000a1'$$, '23503', null,
  'the message that carried a consent stays while its evidence does');
delete from public.contacts where id = '00000000-0000-0000-0000-0000000000c4';
select is(pg_temp.history('00000000-0000-0000-0000-0000000000c4'), 0::bigint, 'a deleted contact takes its history with it');

select * from finish();
rollback;
