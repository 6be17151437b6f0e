-- Inbox: the rules of the claim queue (functions/inbox.sql). One transaction, so now() stands still: an expired
-- lease is written as one. The races (8 workers, a killed one, open claims) are tests/test_claim_queue.py's.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(36);

insert into public.contacts (id, phone, contact_type) values
  ('00000000-0000-4000-8000-00000000a001', '+905551110001', 'customer'),
  ('00000000-0000-4000-8000-00000000a002', '+905551110002', 'customer'),
  ('00000000-0000-4000-8000-00000000a003', '+905551110003', 'staff');
insert into public.agent_profiles (contact_id, role) values ('00000000-0000-4000-8000-00000000a003', 'admin');
-- Ayşe (a001) wrote three messages, Deniz (a002) one in between; the bot answered Ayşe once
insert into public.message_log (id, from_contact, to_contact, direction, content, wa_message_id, created_at) values
  ('00000000-0000-4000-8000-0000000b0001', '00000000-0000-4000-8000-00000000a001', null, 'inbound', 'Merhaba', 'wamid.1', now() - interval '10 minutes'),
  ('00000000-0000-4000-8000-0000000b0002', '00000000-0000-4000-8000-00000000a002', null, 'inbound', 'Selam', 'wamid.2', now() - interval '9 minutes'),
  ('00000000-0000-4000-8000-0000000b0003', '00000000-0000-4000-8000-00000000a001', null, 'inbound', 'Kadıköy''de 3+1', 'wamid.3', now() - interval '8 minutes'),
  ('00000000-0000-4000-8000-0000000b0004', '00000000-0000-4000-8000-00000000a001', null, 'inbound', 'Bütçem 12 milyon', 'wamid.4', now() - interval '7 minutes'),
  ('00000000-0000-4000-8000-0000000b0009', null, '00000000-0000-4000-8000-00000000a001', 'outbound', 'Hoş geldiniz', 'wamid.9', now() - interval '9 minutes');

-- Section - customers and anon work nothing (checked first: the queue is untouched)
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-8000-00000000a001", "role": "authenticated"}', true);
select throws_ok($$select * from public.claim_messages('ayse')$$, '42501',
  'claim_messages: only the bot (service_role) and staff work the inbox', 'a customer cannot claim, not even her own messages');
select throws_ok($$select * from public.ack_message('00000000-0000-4000-8000-0000000b0001', 'ayse')$$, '42501',
  'ack_message: only the bot (service_role) and staff work the inbox', 'a customer cannot acknowledge');
select throws_ok($$select * from public.ack_messages(array['00000000-0000-4000-8000-0000000b0001'::uuid], 'ayse')$$, '42501',
  'ack_messages: only the bot (service_role) and staff work the inbox', 'a customer cannot acknowledge a batch');
select throws_ok($$select * from public.release_message('00000000-0000-4000-8000-0000000b0001', 'ayse')$$, '42501',
  'release_message: only the bot (service_role) and staff work the inbox', 'a customer cannot release');
select throws_ok($$select * from public.dead_messages()$$, '42501',
  'dead_messages: only the bot (service_role) and staff work the inbox', 'a customer cannot read the dead letters');
select throws_ok($$select * from public.requeue_message('00000000-0000-4000-8000-0000000b0001')$$, '42501',
  'requeue_message: only the bot (service_role) and staff work the inbox', 'a customer cannot requeue');
select throws_ok($$update public.message_log set processed_at = now()$$, '42501',
  'permission denied for table message_log', 'a customer cannot mark a message processed directly');
set local role anon;
select set_config('request.jwt.claims', '{"role": "anon"}', true);
select throws_ok($$select * from public.claim_messages('x')$$, '42501',
  'permission denied for function claim_messages', 'anon cannot claim');
reset role;
select is((select count(*) from public.message_log where claimed_by is not null or processed_at is not null), 0::bigint,
  'nothing was claimed or processed by the refused calls');

-- Section - claim: oldest first per contact, one worker per contact, inbound only
set local role service_role;
select set_config('request.jwt.claims', '{"role": "service_role"}', true);
select results_eq($$select id, claimed_by, claim_attempts, lease_until = now() + interval '2 minutes'
                    from public.claim_messages('bot-1', 2, interval '2 minutes')$$,
  $$values ('00000000-0000-4000-8000-0000000b0001'::uuid, 'bot-1'::text, 1, true),
           ('00000000-0000-4000-8000-0000000b0002'::uuid, 'bot-1'::text, 1, true)$$,
  'the two oldest waiting messages, with worker, attempt and lease');
select is_empty($$select * from public.claim_messages('bot-2', 10)$$,
  'Ayşe''s later messages are not handed out while her first is held; the outbound message never is');
select results_eq($$select processed_at = now(), lease_until is null from public.ack_message('00000000-0000-4000-8000-0000000b0001', 'bot-1')$$,
  $$values (true, true)$$, 'the holder acknowledges: processed_at is set');
select results_eq($$select id from public.claim_messages('bot-2', 10)$$,
  $$values ('00000000-0000-4000-8000-0000000b0003'::uuid), ('00000000-0000-4000-8000-0000000b0004'::uuid)$$,
  'then Ayşe''s next messages, together and in order, to one worker');

-- Section - only the holder acknowledges or releases
select throws_ok($$select * from public.ack_message('00000000-0000-4000-8000-0000000b0003', 'bot-1')$$, 'VC004',
  'message 00000000-0000-4000-8000-0000000b0003 is not held by worker bot-1', 'another worker''s ack is refused');
select throws_ok($$select * from public.ack_message('00000000-0000-4000-8000-0000000b0001', 'bot-1')$$, 'VC004',
  'message 00000000-0000-4000-8000-0000000b0001 is not held by worker bot-1', 'a second ack is refused');
select throws_ok($$select * from public.ack_message('00000000-0000-4000-8000-0000000b0009', 'bot-1')$$, 'VC003',
  'inbound message 00000000-0000-4000-8000-0000000b0009 not found', 'an outbound message is not in the queue');
select results_eq($$select id, claim_attempts, last_error from public.release_message('00000000-0000-4000-8000-0000000b0003', 'bot-2', 'LLM zaman aşımı')$$,
  $$values ('00000000-0000-4000-8000-0000000b0003'::uuid, 1, 'LLM zaman aşımı'::text),
           ('00000000-0000-4000-8000-0000000b0004'::uuid, 0, null::text)$$,
  'a release with an error counts the attempt; the holder''s later message of that contact goes back untried');
select throws_ok($$select * from public.release_message('00000000-0000-4000-8000-0000000b0003', 'bot-2')$$, 'VC004',
  'message 00000000-0000-4000-8000-0000000b0003 is not held by worker bot-2', 'a released message is no longer the worker''s');

-- Section - an expired lease hands the message out again; attempts run out into the dead letters
reset role;
update public.message_log set lease_until = now() - interval '1 second' where id = '00000000-0000-4000-8000-0000000b0002';
set local role service_role;
select results_eq($$select id, claimed_by, claim_attempts from public.claim_messages('bot-3', 10)$$,
  $$values ('00000000-0000-4000-8000-0000000b0002'::uuid, 'bot-3'::text, 2),
           ('00000000-0000-4000-8000-0000000b0003'::uuid, 'bot-3'::text, 2),
           ('00000000-0000-4000-8000-0000000b0004'::uuid, 'bot-3'::text, 1)$$,
  'the expired message goes out again, with the released ones, oldest first');
select is((select last_error from public.message_log where id = '00000000-0000-4000-8000-0000000b0002'),
  format('the lease of worker bot-1 expired at %s without an acknowledgement', now() - interval '1 second'),
  'the expired lease is recorded as the last failure');
select lives_ok($$select public.release_message('00000000-0000-4000-8000-0000000b0003', 'bot-3', 'tekrar hata')$$,
  'a second failure of the same message');
select results_eq($$select id from public.claim_messages('bot-4', 10, interval '1 minute', 2)$$,
  $$values ('00000000-0000-4000-8000-0000000b0004'::uuid)$$,
  'with at most 2 attempts the twice-failed message is not handed out again; it does not hold Ayşe''s next one up');
select results_eq($$select id, claim_attempts, last_error from public.dead_messages()$$,
  $$values ('00000000-0000-4000-8000-0000000b0003'::uuid, 2, 'tekrar hata'::text)$$,
  'it is a dead letter, listed with its attempts and last error');
select throws_ok($$select * from public.requeue_message('00000000-0000-4000-8000-0000000b0004')$$, 'VC002',
  'message 00000000-0000-4000-8000-0000000b0004 is held by a worker, not a dead letter: only a dead letter is requeued',
  'only a dead letter is requeued');

-- Section - staff read and requeue dead letters, and may work the queue
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-8000-00000000a003", "role": "authenticated"}', true);
select results_eq($$select count(*) from public.dead_messages()$$, $$values (1::bigint)$$, 'staff read the dead letters');
select results_eq($$select claim_attempts, dead_at, last_error from public.requeue_message('00000000-0000-4000-8000-0000000b0003')$$,
  $$values (0, null::timestamptz, 'tekrar hata'::text)$$, 'staff requeue it: attempts at 0, the last error kept');
select results_eq($$select id from public.release_message('00000000-0000-4000-8000-0000000b0004', 'bot-4')$$,
  $$values ('00000000-0000-4000-8000-0000000b0004'::uuid)$$, 'staff may hand a worker''s message back in its name');
select results_eq($$select id from public.claim_messages('ayse@ofis', 10)$$,
  $$values ('00000000-0000-4000-8000-0000000b0003'::uuid), ('00000000-0000-4000-8000-0000000b0004'::uuid)$$,
  'the requeued message goes out before its contact''s later one');

select throws_ok($$select * from public.ack_messages(array['00000000-0000-4000-8000-0000000b0003', '00000000-0000-4000-8000-0000000b0001']::uuid[], 'ayse@ofis')$$,
  'VC004', 'message 00000000-0000-4000-8000-0000000b0001 is not held by worker ayse@ofis', 'a batch with one message not held is refused');
select results_eq($$select count(*), count(processed_at) from public.message_log where id in ('00000000-0000-4000-8000-0000000b0003', '00000000-0000-4000-8000-0000000b0004')$$,
  $$values (2::bigint, 0::bigint)$$, 'and nothing of it was acknowledged');
select results_eq($$select id from public.ack_messages(array['00000000-0000-4000-8000-0000000b0004', '00000000-0000-4000-8000-0000000b0003']::uuid[], 'ayse@ofis') order by id$$,
  $$values ('00000000-0000-4000-8000-0000000b0003'::uuid), ('00000000-0000-4000-8000-0000000b0004'::uuid)$$,
  'a batch held by the worker is acknowledged in one call');
reset role;

-- Section - bounds and table rules
select throws_ok($$select public.claim_messages('bot', 1001)$$, 'VC001', 'batch must be between 1 and 1000 messages', 'batch at most 1000');
select throws_ok($$select public.claim_messages('bot', 10, interval '2 hours')$$, 'VC001', 'lease must be between 1 second and 1 hour', 'lease at most 1 hour');
select throws_ok($$select public.claim_messages(' ')$$, 'VC001',
  'worker must be 1-200 characters (the name of the process that claims, e.g. bot-1)', 'a worker has a name');
select throws_ok($$update public.message_log set lease_until = now() where direction = 'outbound'$$, '23514',
  'new row for relation "message_log" violates check constraint "message_log_claim_inbound_check"', 'an outbound message is never leased');
select throws_ok($$update public.message_log set dead_at = now() where processed_at is not null$$, '23514',
  'new row for relation "message_log" violates check constraint "message_log_processed_or_dead_check"', 'a processed message is not dead');

select * from finish();
rollback;
