-- Delivery: notifications are handed out only inside the contact's 24-hour window, proactive ones only with
-- marketing consent, never to opted-out contacts; a send is logged with its WhatsApp id and delivered once;
-- nobody but the database writes the delivery; a listing card is shared only by the request's agent, at its
-- level. (The tracker is kept by triggers; here the superuser sets last_inbound to give a window an exact age.)
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(32);

-- Actors: a customer per situation, an agent with a listing, a second agent, an admin.
insert into public.contacts (id, phone, contact_type, display_name, onboarding_status, consent_transfer, consent_marketing) values
  ('00000000-0000-4000-8000-00000000e001', '+905556000001', 'customer', 'Açık Pencere', 'active', true, false),
  ('00000000-0000-4000-8000-00000000e002', '+905556000002', 'customer', 'Kapalı Pencere', 'active', true, true),
  ('00000000-0000-4000-8000-00000000e003', '+905556000003', 'customer', 'Ayrılan', 'opted_out', true, false),
  ('00000000-0000-4000-8000-00000000e004', '+905556000004', 'customer', 'Son Dakika', 'active', true, true),
  ('00000000-0000-4000-8000-00000000e005', '+905556000005', 'customer', 'Pazarlama', 'active', true, true),
  ('00000000-0000-4000-8000-00000000e011', '+905556000011', 'agent', 'Ayşe Yılmaz', 'active', true, false),
  ('00000000-0000-4000-8000-00000000e012', '+905556000012', 'agent', 'Can Demir', 'active', true, false),
  ('00000000-0000-4000-8000-00000000e031', '+905556000031', 'staff', 'Deniz Aksoy', 'active', true, false);
insert into public.agent_profiles (contact_id, role, office) values
  ('00000000-0000-4000-8000-00000000e011', 'agent', 'Moda Emlak'),
  ('00000000-0000-4000-8000-00000000e012', 'agent', 'Boğaziçi'),
  ('00000000-0000-4000-8000-00000000e031', 'admin', null);
insert into public.interaction_tracker (contact_id, last_inbound) values
  ('00000000-0000-4000-8000-00000000e001', now() - interval '1 hour'),
  ('00000000-0000-4000-8000-00000000e002', now() - interval '25 hours'),
  ('00000000-0000-4000-8000-00000000e003', now() - interval '1 hour'),
  ('00000000-0000-4000-8000-00000000e004', now() - interval '23 hours 58 minutes'),
  ('00000000-0000-4000-8000-00000000e005', now() - interval '2 hours')
on conflict (contact_id) do update set last_inbound = excluded.last_inbound;
insert into public.pending_notifications (id, contact_id, kind, body, created_at) values
  ('00000000-0000-4000-8000-00000000f001', '00000000-0000-4000-8000-00000000e001', 'match', 'Yeni eşleşme', now() - interval '5 minutes'),
  ('00000000-0000-4000-8000-00000000f002', '00000000-0000-4000-8000-00000000e001', 'proactive', 'Kampanya', now() - interval '4 minutes'),
  ('00000000-0000-4000-8000-00000000f003', '00000000-0000-4000-8000-00000000e002', 'match', 'Yeni eşleşme', now() - interval '3 minutes'),
  ('00000000-0000-4000-8000-00000000f004', '00000000-0000-4000-8000-00000000e003', 'match', 'Yeni eşleşme', now() - interval '2 minutes'),
  ('00000000-0000-4000-8000-00000000f005', '00000000-0000-4000-8000-00000000e004', 'match', 'Yeni eşleşme', now() - interval '1 minute'),
  ('00000000-0000-4000-8000-00000000f006', '00000000-0000-4000-8000-00000000e005', 'proactive', 'Kampanya', now());

-- Section - the kinds
select lives_ok($$insert into public.pending_notifications (contact_id, kind, body) values ('00000000-0000-4000-8000-00000000e011', 'reminder', 'Hatırlatma') returning 1$$,
  'a reminder is a notification kind');
select throws_ok($$insert into public.pending_notifications (contact_id, kind, body) values ('00000000-0000-4000-8000-00000000e011', 'spam', 'x')$$,
  '23514', null, 'an unknown kind is rejected');
delete from public.pending_notifications where kind = 'reminder';

-- Section - who hands out
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-8000-00000000e001", "role": "authenticated"}', true);
select throws_ok($$select * from public.claim_notifications(10)$$, '42501',
  'claim_notifications: only the bot (service_role) and staff hand out notifications', 'a customer cannot claim its notifications');
select throws_ok($$select * from public.notification_sent('00000000-0000-4000-8000-00000000f001', 'wamid.forged')$$, '42501',
  'notification_sent: only the bot (service_role) and staff record a delivery', 'nor mark one delivered');
select throws_ok($$update public.pending_notifications set delivered_at = now() where id = '00000000-0000-4000-8000-00000000f001'$$,
  '42501', 'permission denied for table pending_notifications', 'nor write delivered_at directly');
select set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-8000-00000000e011", "role": "authenticated"}', true);
select throws_ok($$select * from public.claim_notifications(10)$$, '42501', null, 'an agent cannot claim');
set local role anon;
select set_config('request.jwt.claims', '{"role": "anon"}', true);
select throws_ok($$select * from public.claim_notifications(10)$$, '42501', null, 'anon cannot claim');
reset role;
select is((select count(*)::int from public.pending_notifications where claim_attempts > 0), 0, 'the refused claims changed nothing');

-- Section - the bot's table privilege stops at the delivery columns
set local role service_role;
select set_config('request.jwt.claims', '{"role": "service_role"}', true);
select throws_ok($$update public.pending_notifications set delivered_at = now() where id = '00000000-0000-4000-8000-00000000f001'$$,
  '42501', 'pending_notifications: delivered_at, wa_message_id, the claim and match_id are the database''s', 'the bot cannot set delivered_at by hand');
select throws_ok($$update public.pending_notifications set claimed_until = now() + interval '1 day'$$,
  '42501', null, 'nor take a lease by hand');
select throws_ok($$insert into public.pending_notifications (contact_id, kind, body, delivered_at) values ('00000000-0000-4000-8000-00000000e001', 'match', 'x', now())$$,
  '42501', null, 'nor queue a notification as delivered');
select throws_ok($$select * from public.claim_notifications(0)$$, 'VC001', 'batch must be between 1 and 500', 'a batch is 1-500');
select throws_ok($$select * from public.claim_notifications(10, interval '2 hours')$$, 'VC001', 'lease must be between 1 second and 1 hour', 'a lease is at most an hour');

-- Section - the window and the consents
select set_eq($$select id from public.claim_notifications(10)$$,
  $$values ('00000000-0000-4000-8000-00000000f001'::uuid), ('00000000-0000-4000-8000-00000000f006'::uuid)$$,
  'handed out: an open window''s match, a proactive one with marketing consent; not a proactive one without it, a closed window, an opted-out contact, a window closing within the lease');
select is_empty($$select id from public.claim_notifications(10)$$, 'what is leased is not handed out again');
select is((select claim_attempts from public.pending_notifications where id = '00000000-0000-4000-8000-00000000f001'), 1, 'the attempt is counted');

-- Section - the send
select throws_ok($$select * from public.notification_sent('00000000-0000-4000-8000-00000000f003', 'wamid.early')$$, 'VC002',
  'notification 00000000-0000-4000-8000-00000000f003 cannot move from pending to delivered: it was never handed out',
  'a notification never handed out cannot be marked sent');
select results_eq($$select id, wa_message_id from public.notification_sent('00000000-0000-4000-8000-00000000f001', 'wamid.HBgMf001')$$,
  $$values ('00000000-0000-4000-8000-00000000f001'::uuid, 'wamid.HBgMf001')$$, 'the send is recorded with its WhatsApp id');
select row_eq($$select direction, to_contact, content, message_type from public.message_log where wa_message_id = 'wamid.HBgMf001'$$,
  row('outbound'::text, '00000000-0000-4000-8000-00000000e001'::uuid, 'Yeni eşleşme'::text, 'text'::text),
  'and logged in message_log as an outbound message to the contact');
select lives_ok($$select * from public.notification_sent('00000000-0000-4000-8000-00000000f001', 'wamid.HBgMf001')$$, 'a retried call is harmless');
select is((select count(*)::int from public.message_log where to_contact = '00000000-0000-4000-8000-00000000e001'), 1, 'and logs nothing twice');
select throws_ok($$select * from public.notification_sent('00000000-0000-4000-8000-00000000f001', 'wamid.HBgMother')$$, 'VC004', null,
  'a delivered notification cannot be delivered again under another id');
reset role;
select throws_ok($$update public.pending_notifications set body = 'değişti' where id = '00000000-0000-4000-8000-00000000f001'$$, 'VC002',
  'notification 00000000-0000-4000-8000-00000000f001 was delivered: a delivered notification never changes', 'a delivery is evidence: not even the owner edits it');

-- Section - closing reminders reach the agent as notifications
insert into public.tasks (agent_id, task_type, title) values ('00000000-0000-4000-8000-00000000e011', 'reminder', 'Hatırlatma: 2026-001 kapanışını onaylayın');
select is((select body from public.pending_notifications where contact_id = '00000000-0000-4000-8000-00000000e011' and kind = 'reminder'),
  'Hatırlatma: 2026-001 kapanışını onaylayın', 'a reminder task queues a reminder notification for its agent');

-- Section - share_listing
insert into public.portfolios (agent_id, type, listing_type, title, description, district, rooms, listed_price)
  values ('00000000-0000-4000-8000-00000000e011', 'daire', 'sale', 'Moda''da 3+1', 'Denize yakın.', 'Kadıköy', '3+1', 12500000);
insert into public.portfolio_confidential (portfolio_id, owner_name, owner_phone, min_price, commission_rate)
  values ('2026-001', 'Hasan Kaya', '+905301110001', 11800000, 2);
insert into public.requests (id, customer_id, assigned_agent, request_type, criteria) values
  ('00000000-0000-4000-8000-00000000a001', '00000000-0000-4000-8000-00000000e001', '00000000-0000-4000-8000-00000000e012', 'buy',
   '{"districts": ["Kadıköy"], "max_price": 13000000}');
select ok(public.process_match_events(1000) > 0, 'the matcher matched the request');
-- the request's agent of another office sees the listing at partial level (the matcher's grant)
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-8000-00000000e001", "role": "authenticated"}', true);
select throws_ok(format('select * from public.share_listing(%L)', (select m.id from public.portfolio_request_matches m where m.request_id = '00000000-0000-4000-8000-00000000a001')),
  '42501', null, 'the customer cannot share');
select throws_ok($$select * from public.share_listing('00000000-0000-4000-8000-00000000dead')$$,
  '42501', 'share_listing: match 00000000-0000-4000-8000-00000000dead: not found or not yours', 'a missing match is refused the same way');
select set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-8000-00000000e011", "role": "authenticated"}', true);
select throws_ok(format('select * from public.share_listing(%L)', (select m.id from public.portfolio_request_matches m where m.request_id = '00000000-0000-4000-8000-00000000a001')),
  '42501', null, 'the listing agent is not the request''s agent: it cannot share');
select set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-8000-00000000e012", "role": "authenticated"}', true);
select results_eq(format('select visibility_level, is_new from public.share_listing(%L)',
                         (select m.id from public.portfolio_request_matches m where m.request_id = '00000000-0000-4000-8000-00000000a001')),
  $$values ('partial'::text, true)$$, 'the request''s agent shares a card at its level');
reset role;
select is((select kind from public.pending_notifications where match_id is not null), 'match', 'as a service (match) notification');
select ok((select body like '%12.500.000 TRY%' and body not like '%Hasan%' and body not like '%11.800.000%' and body not like '%+905301110001%'
                  and body not like '%+905556000011%'
           from public.pending_notifications where match_id is not null),
  'the partial card has the price, never the owner, the floor or the listing agent''s phone');
select is((select contact_id from public.pending_notifications where match_id is not null),
  '00000000-0000-4000-8000-00000000e001'::uuid, 'it goes to the request''s customer');

select * from finish();
rollback;
