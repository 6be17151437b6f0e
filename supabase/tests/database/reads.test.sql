-- Reads (functions/reads.sql): the RPCs a person uses instead of psql. Row-level security decides what each
-- caller sees: the parties of a deal, a request or a match and their brokers, staff everything; an agent of
-- another office, an unrelated customer and anon see nothing, and a refused single read is the same 42501
-- whether the row exists or not. Other agents' listings only as cards; the confidential row (owner, floor,
-- commission rate) only for its readers. Lists are bounded.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(64);
\ir fixtures/deals.psql

-- x1: an agent of a third office, party to nothing.
insert into public.contacts (id, phone, contact_type, display_name) values
  ('00000000-0000-0000-0000-0000000000f9', '+905323330001', 'agent', 'Oğuz Tekin');
insert into public.agent_profiles (contact_id, role, office) values ('00000000-0000-0000-0000-0000000000f9', 'agent', 'Ege Emlak');
-- d1's story so far: a1 schedules a showing, a2 offers; a task of a1 (pending) and one done; commission rows of d1
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select id as showing_id from public.schedule_showing('00000000-0000-0000-0000-0000000000d1', now() + interval '1 day') \gset
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select id as offer_id from public.make_offer('00000000-0000-0000-0000-0000000000d1', 12300000) \gset
select pg_temp.act_as_db();
insert into public.tasks (id, agent_id, task_type, title, related_contact, related_portfolio, due_at, status) values
  ('00000000-0000-0000-0000-0000000007a1', '00000000-0000-0000-0000-0000000000a1', 'call', 'Ahmet Bey''i ara',
   '00000000-0000-0000-0000-0000000000c2', '2026-001', now() + interval '2 days', 'pending'),
  ('00000000-0000-0000-0000-0000000007a2', '00000000-0000-0000-0000-0000000000a1', 'document', 'Tapu fotokopisi',
   null, '2026-001', now() + interval '1 day', 'pending');
update public.tasks set status = 'done' where id = '00000000-0000-0000-0000-0000000007a2';
insert into public.platform_commissions (deal_id, contact_id, role, rate, amount) values
  ('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000a1', 'listing', 45, 112950),
  ('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000a2', 'buying', 45, 112950),
  ('00000000-0000-0000-0000-0000000000d1', null, 'platform', 10, 25100);

-- ===================================================================================== grants
select is((select count(*)::integer from pg_proc p
           where p.pronamespace = 'public'::regnamespace
             and p.proname in ('list_matches', 'list_deals', 'deal_summary', 'list_requests', 'request_summary',
                               'list_tasks', 'list_commissions', 'listing_summary', 'contact_summary')
             and not p.prosecdef and has_function_privilege('authenticated', p.oid, 'execute')
             and not has_function_privilege('anon', p.oid, 'execute')),
  9, 'the nine reads: security invoker, authenticated may call them, anon may not');
select pg_temp.act_as_anon();
select throws_ok($$select * from public.list_deals()$$, '42501', null, 'anon cannot call a read');
select throws_ok($$select * from public.listing_summary('2026-001')$$, '42501', null, 'nor a single read');

-- ===================================================================================== list_matches
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select results_eq($$select portfolio_id, request_id, customer_name, request_agent_name, listing_agent_name,
                           listing_title is not null from public.list_matches()$$,
  $$values ('2026-001'::text, '00000000-0000-0000-0000-0000000000e1'::uuid, 'Zehra Polat'::text, 'Can Demir'::text,
            'Ayşe Yılmaz'::text, true)$$,
  'the request''s agent: its match, with its customer, and the listing''s title and agent from its (partial) card');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select results_eq($$select request_id, customer_name from public.list_matches(p_portfolio_id => '2026-001')$$,
  $$values ('00000000-0000-0000-0000-0000000000e2'::uuid, 'Ahmet Yıldız'::text)$$,
  'the listing agent: its own request''s match only, not the co-broker''s (assigned in another office)');
select is_empty($$select * from public.list_matches(p_request_id => '00000000-0000-0000-0000-0000000000e1')$$,
  'asking for the other office''s request by id shows nothing');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000b2');
select is((select count(*)::integer from public.list_matches()), 1, 'the co-broker''s broker: its office''s match');
-- an unassigned request (c3's) that matches 2026-001: the listing side reads it while nobody is assigned
select pg_temp.act_as_db();
insert into public.requests (id, customer_id, request_type, criteria) values
  ('00000000-0000-0000-0000-0000000000e3', '00000000-0000-0000-0000-0000000000c3', 'buy',
   '{"districts": ["Kadıköy"], "max_price": 13000000}');
select pg_temp.drain();
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select ok(exists (select 1 from public.list_matches(p_request_id => '00000000-0000-0000-0000-0000000000e3')),
  'the listing agent reads the match of an unassigned request on its listing');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select is_empty($$select * from public.list_matches(p_request_id => '00000000-0000-0000-0000-0000000000e3')$$,
  'another office''s agent does not');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000f9');
select is_empty($$select * from public.list_matches()$$, 'an agent of another office sees no match');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select is_empty($$select * from public.list_matches()$$, 'a customer sees no match');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select is((select count(*)::integer from public.list_matches()),
  (select count(*)::integer from public.portfolio_request_matches), 'staff see every match');
select throws_ok($$select * from public.list_matches(p_limit => 501)$$, 'VC001', 'limit must be between 1 and 500',
  'the page is bounded, naming the limit');
select throws_ok($$select * from public.list_matches(p_portfolio_id => repeat('9', 21))$$, 'VC001',
  'portfolio_id must be at most 20 characters', 'a listing id is bounded before it is looked up');
select is((select count(*)::integer from public.list_matches(p_limit => 1)), 1, 'limit 1: one row');

-- ===================================================================================== list_deals, deal_summary
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select set_eq($$select deal_id, customer_name from public.list_deals()$$,
  $$values ('00000000-0000-0000-0000-0000000000d1'::uuid, null::text), ('00000000-0000-0000-0000-0000000000d2', 'Ahmet Yıldız')$$,
  'the listing agent: both deals; the co-broker''s customer stays nameless to it');
select is((select count(*)::integer from public.list_deals(p_status => 'open')), 2, 'status open: both (neither closed nor cancelled)');
select is_empty($$select * from public.list_deals(p_status => 'closed')$$, 'status closed: none');
select throws_ok($$select * from public.list_deals(p_status => 'bogus')$$, 'VC001',
  'status bogus is not one of open, matched, showing, negotiating, agreed, closing, closed, cancelled',
  'an unknown status is refused naming the field and the values');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select results_eq($$select deal_id, listing_agent_name, buying_agent_name, customer_name from public.list_deals()$$,
  $$values ('00000000-0000-0000-0000-0000000000d1'::uuid, 'Ayşe Yılmaz'::text, 'Can Demir'::text, 'Zehra Polat'::text)$$,
  'the buying agent: its deal, the listing agent named from the card');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select results_eq($$select deal_id from public.list_deals()$$, $$values ('00000000-0000-0000-0000-0000000000d1'::uuid)$$,
  'the customer: its own deal');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000f9');
select is_empty($$select * from public.list_deals()$$, 'an agent of another office: none');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c3');
select is_empty($$select * from public.list_deals()$$, 'an unrelated customer: none');

select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select results_eq($$select status, jsonb_array_length(offers), offers -> 0 ->> 'amount', offers -> 0 ->> 'from_name',
                           jsonb_array_length(showings), jsonb_array_length(commissions), commissions -> 0 ->> 'role'
                    from public.deal_summary('00000000-0000-0000-0000-0000000000d1')$$,
  $$values ('negotiating'::text, 1, '12300000'::text, 'Can Demir'::text, 1, 1, 'buying'::text)$$,
  'the buying agent: the deal with its offer, its showing, and only its own commission row');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select results_eq($$select jsonb_array_length(commissions), customer_name, currency, listing_title
                    from public.deal_summary('00000000-0000-0000-0000-0000000000d1')$$,
  $$values (3, null::text, 'TRY'::text, 'Moda''da deniz manzaralı 3+1'::text)$$,
  'the listing agent: every commission row of its deal; the co-broker''s customer nameless');
select is((select showings -> 0 ->> 'status' from public.deal_summary('00000000-0000-0000-0000-0000000000d1')), 'scheduled',
  'the showing, with its status');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000f9');
select throws_ok($$select * from public.deal_summary('00000000-0000-0000-0000-0000000000d1')$$, '42501',
  'deal 00000000-0000-0000-0000-0000000000d1: not found or not yours', 'an agent of another office is refused');
select throws_ok($$select * from public.deal_summary('00000000-0000-0000-0000-00000000dead')$$, '42501',
  'deal 00000000-0000-0000-0000-00000000dead: not found or not yours', 'in the same words as for a missing deal');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c3');
select throws_ok($$select * from public.deal_summary('00000000-0000-0000-0000-0000000000d1')$$, '42501', null,
  'an unrelated customer is refused');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select throws_ok($$select * from public.deal_summary('00000000-0000-0000-0000-00000000dead')$$, 'VC003',
  'deal 00000000-0000-0000-0000-00000000dead not found', 'staff learn that it is missing');

-- ===================================================================================== list_requests, request_summary
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select results_eq($$select request_id, customer_name, agent_name, districts, types, max_price, currency, match_count
                    from public.list_requests()$$,
  $$values ('00000000-0000-0000-0000-0000000000e1'::uuid, 'Zehra Polat'::text, 'Can Demir'::text, array['Kadıköy'],
            array['daire'], 13000000::bigint, 'TRY'::text, 1)$$,
  'the assigned agent: its request, criteria spelled out, its match counted');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select results_eq($$select request_id, types from public.list_requests()$$,
  $$values ('00000000-0000-0000-0000-0000000000e2'::uuid, '{}'::text[])$$, 'another agent''s request is not listed; no types: any');
select throws_ok($$select * from public.request_summary('00000000-0000-0000-0000-0000000000e1')$$, '42501',
  'request 00000000-0000-0000-0000-0000000000e1: not found or not yours', 'nor read by id');
select is_empty($$select * from public.list_requests(p_status => 'closed')$$, 'status closed: none');
select throws_ok($$select * from public.list_requests(p_status => 'open')$$, 'VC001',
  'status open is not one of new, assigned, closed', 'request statuses are the table''s');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select results_eq($$select customer_name, agent_name, match_count, best_score is null from public.request_summary('00000000-0000-0000-0000-0000000000e1')$$,
  $$values ('Zehra Polat'::text, null::text, 0, true)$$,
  'the customer reads its request; its agent''s name and the matches are not the customer''s to read');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select results_eq($$select criteria ->> 'max_price', match_count, best_score from public.request_summary('00000000-0000-0000-0000-0000000000e1')$$,
  $$values ('13000000'::text, 1, (select match_score from public.portfolio_request_matches where request_id = '00000000-0000-0000-0000-0000000000e1'))$$,
  'the agent: criteria, match count and best score');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000f9');
select is_empty($$select * from public.list_requests()$$, 'an agent of another office lists none');
select throws_ok($$select * from public.request_summary('00000000-0000-0000-0000-0000000000e1')$$, '42501', null, 'nor reads one');

-- ===================================================================================== list_tasks
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select results_eq($$select task_id, contact_name, portfolio_id from public.list_tasks()$$,
  $$values ('00000000-0000-0000-0000-0000000007a1'::uuid, 'Ahmet Yıldız'::text, '2026-001'::text)$$,
  'the agent''s open tasks by default (the done one not)');
select results_eq($$select task_id from public.list_tasks(p_status => 'all')$$,
  $$values ('00000000-0000-0000-0000-0000000007a2'::uuid), ('00000000-0000-0000-0000-0000000007a1')$$, 'all: soonest due first');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000b1');
select is((select count(*)::integer from public.list_tasks(p_status => 'all')), 2, 'its broker sees the office''s tasks');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select is_empty($$select * from public.list_tasks(p_status => 'all')$$, 'an agent of another office: none');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c2');
select is_empty($$select * from public.list_tasks(p_status => 'all')$$, 'a customer: none, even about itself');

-- ===================================================================================== list_commissions
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select results_eq($$select role, name, amount, currency from public.list_commissions()$$,
  $$values ('buying'::text, 'Can Demir'::text, 112950::bigint, 'TRY'::text)$$, 'the buying agent: its own share');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select is((select sum(amount)::bigint from public.list_commissions()), 251000::bigint, 'the listing side: every row of its deal');
select is_empty($$select * from public.list_commissions(p_status => 'paid')$$, 'none paid yet');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000f9');
select is_empty($$select * from public.list_commissions()$$, 'an agent of another office: none');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select is_empty($$select * from public.list_commissions()$$, 'a customer: none');

-- ===================================================================================== listing_summary
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select results_eq($$select visibility_level, listed_price, owner_name, min_price, commission_rate, match_count
                    from public.listing_summary('2026-001')$$,
  $$values ('full'::text, 12500000::bigint, 'Nur Ateş'::text, 12000000::bigint, 2.00::numeric, 2)$$,
  'its agent: the listing in full with its confidential row; the matches it may read (its own request''s and the unassigned one, not the co-broker''s)');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000b1');
select is((select min_price from public.listing_summary('2026-001')), 12000000::bigint, 'its broker too');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select results_eq($$select visibility_level, listed_price, owner_name, owner_phone, min_price, commission_rate, private_notes,
                           created_at, match_count
                    from public.listing_summary('2026-001')$$,
  $$values ('partial'::text, 12500000::bigint, null::text, null::text, null::bigint, null::numeric, null::text,
            null::timestamptz, 1)$$,
  'the co-broker: its card (partial) and the matches it may read; never the confidential fields');
select ok((select row_to_json(s)::text !~ '12000000' from public.listing_summary('2026-001') s),
  'no value of its row carries the floor');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000f9');
select results_eq($$select visibility_level, listed_price, title, min_price, price_band_min, price_band_max
                    from public.listing_summary('2026-001')$$,
  $$values ('anonymous'::text, null::bigint, null::text, null::bigint, 10000000::bigint, 15000000::bigint)$$,
  'an agent of another office: the anonymous card, a price band, nothing confidential');
select throws_ok($$select * from public.listing_summary('2026-999')$$, '42501', 'listing 2026-999: not found or not yours',
  'a listing it has no card of: refused');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select throws_ok($$select * from public.listing_summary('2026-001')$$, '42501', 'listing 2026-001: not found or not yours',
  'a customer gets no card: refused in the same words');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select is((select owner_name from public.listing_summary('2026-001')), 'Nur Ateş', 'staff read the confidential row');

-- ===================================================================================== contact_summary
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select results_eq($$select display_name, contact_type, window_open, open_requests from public.contact_summary()$$,
  $$values ('Zehra Polat'::text, 'customer'::text, false, 1)$$, 'a customer reads itself, its window included');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select results_eq($$select display_name, phone, window_open, session_id from public.contact_summary('00000000-0000-0000-0000-0000000000c1')$$,
  $$values ('Zehra Polat'::text, '+905551112233'::text, null::boolean, null::uuid)$$,
  'its agent reads its customer''s identity; the window and sessions are the contact''s, staff''s and the bot''s');
select results_eq($$select agent_role, agent_office, agent_active from public.contact_summary()$$,
  $$values ('agent'::text, 'Boğaziçi Gayrimenkul'::text, true)$$, 'an agent reads its own profile');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select throws_ok($$select * from public.contact_summary('00000000-0000-0000-0000-0000000000c1')$$, '42501',
  'contact 00000000-0000-0000-0000-0000000000c1: not found or not yours',
  'the listing agent never reads the co-broker''s customer');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000f9');
select throws_ok($$select * from public.contact_summary('00000000-0000-0000-0000-00000000dead')$$, '42501',
  'contact 00000000-0000-0000-0000-00000000dead: not found or not yours', 'a missing contact: the same refusal');
select pg_temp.act_as_bot();
select throws_ok($$select * from public.contact_summary()$$, 'VC001', 'contact_id is required when not acting as a contact',
  'the bot names the contact');
select is((select window_open from public.contact_summary('00000000-0000-0000-0000-0000000000c1')), false,
  'the bot reads the window');

select * from finish();
rollback;
