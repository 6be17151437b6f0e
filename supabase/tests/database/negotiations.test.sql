-- Negotiations (docs/deals.md): offers only between the deal's two parties while it is showing or negotiating,
-- one pending at a time, a counter opens one the other way, only the addressee answers, pending -> countered |
-- accepted | rejected and nothing else, acceptance makes the deal agreed at the amount, every offer moves
-- last_activity_at.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(39);
\ir fixtures/deals.psql

create function pg_temp.offer(p_from text, p_to text) returns uuid language sql security definer as $$
  select id from public.deal_negotiations where from_contact_id = p_from::uuid and to_contact_id = p_to::uuid
  order by created_at desc, amount desc limit 1
$$;
create function pg_temp.offer_status(p_id uuid) returns text language sql security definer as $$
  select status from public.deal_negotiations where id = p_id
$$;

-- d1: cross-agent, parties a1 (listing) and a2 (buying). d2: a1 alone, parties a1 and its customer c2.
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select throws_ok($$select public.make_offer('00000000-0000-0000-0000-0000000000d1', 11500000)$$, 'VC002',
  'deal 00000000-0000-0000-0000-0000000000d1 is matched: offers are made while it is showing or negotiating',
  'no offers before the showing');
select pg_temp.act_as_db();
update public.deals set status = 'showing', last_activity_at = now() - interval '10 days';

select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select throws_ok($$select public.make_offer('00000000-0000-0000-0000-0000000000d1', 11500000)$$, '42501', null,
  'the customer of a cross-agent deal offers through its agent, not itself');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a3');
select throws_ok($$select public.make_offer('00000000-0000-0000-0000-0000000000d1', 11500000)$$, '42501',
  'deal 00000000-0000-0000-0000-0000000000d1: not found or not yours', 'an agent outside the deal is denied');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000b1');
select throws_ok($$select public.make_offer('00000000-0000-0000-0000-0000000000d1', 11500000)$$, '42501',
  'deal 00000000-0000-0000-0000-0000000000d1: only its parties make offers (the listing agent and the buyer''s side)',
  'the listing agent''s broker reads the deal but is no party');
select throws_ok($$insert into public.deal_negotiations (deal_id, from_contact_id, to_contact_id, amount) values ('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-0000000000a1', 11500000)$$,
  '42501', null, 'nor offers in a party''s name');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select throws_ok($$select public.make_offer('00000000-0000-0000-0000-0000000000d1', 0)$$, 'VC001',
  'amount must be a positive whole number of at most 1000000000000', 'a zero amount is rejected');
select throws_ok($$select public.make_offer('00000000-0000-0000-0000-0000000000d1', -5)$$, 'VC001', null, 'so is a negative one');

select is((select to_contact_id from public.make_offer('00000000-0000-0000-0000-0000000000d1', 11500000)),
  '00000000-0000-0000-0000-0000000000a1'::uuid, 'the buying agent offers; the offer goes to the listing agent');
select is(pg_temp.deal_status('00000000-0000-0000-0000-0000000000d1'), 'negotiating', 'the first offer makes the deal negotiating');
select ok((select last_activity_at > now() - interval '1 minute' from public.deals where id = '00000000-0000-0000-0000-0000000000d1'),
  'and moves its last activity');
select throws_ok($$select public.make_offer('00000000-0000-0000-0000-0000000000d1', 11600000)$$, 'VC004',
  'deal 00000000-0000-0000-0000-0000000000d1 already has a pending offer: counter, accept or reject it', 'one pending offer at a time');
select throws_ok(format('select public.accept_offer(%L)', pg_temp.offer('00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-0000000000a1')),
  '42501', 'only the addressee answers an offer: nobody accepts their own offer', 'nobody accepts their own offer');
select throws_ok(format('select public.counter_offer(%L, 11000000)', pg_temp.offer('00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-0000000000a1')),
  '42501', null, 'nor counters it');
select throws_ok(format($$update public.deal_negotiations set status = 'accepted' where id = %L$$, pg_temp.offer('00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-0000000000a1')),
  '42501', null, 'not even by a direct update');

select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select is((select to_contact_id from public.counter_offer(pg_temp.offer('00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-0000000000a1'), 12300000)),
  '00000000-0000-0000-0000-0000000000a2'::uuid, 'the listing agent counters: a new offer goes the other way');
select is(pg_temp.offer_status(pg_temp.offer('00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-0000000000a1')),
  'countered', 'and the previous offer is countered');
select is((select count(*)::int from public.deal_negotiations where deal_id = '00000000-0000-0000-0000-0000000000d1' and status = 'pending'),
  1, 'still one pending offer');
select throws_ok(format('select public.counter_offer(%L, 0)', pg_temp.offer('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a2')),
  'VC001', null, 'a counter needs a positive amount');

select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select is((select status from public.reject_offer(pg_temp.offer('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a2'))),
  'rejected', 'the buying agent rejects the counter');
select is(pg_temp.deal_status('00000000-0000-0000-0000-0000000000d1'), 'negotiating', 'a rejection leaves the deal negotiating');
select is(pg_temp.err(format('select public.%s(%L)', f, pg_temp.offer('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a2'))),
  format('VC002: offer status cannot move from rejected to %s', s), format('a rejected offer cannot be %s', s))
from (values ('accept_offer', 'accepted'), ('reject_offer', 'rejected')) as v (f, s);
select throws_ok(format('select public.counter_offer(%L, 12000000)', pg_temp.offer('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a2')),
  'VC002', 'offer status cannot move from rejected to countered', 'nor countered');
select is(pg_temp.offer_status(pg_temp.offer('00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-0000000000a1')),
  'countered', 'a failed counter changed nothing');

select lives_ok($$select public.make_offer('00000000-0000-0000-0000-0000000000d1', 12000000)$$, 'after a rejection a new offer may be made');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select is((select status from public.accept_offer(
            (select id from public.deal_negotiations where deal_id = '00000000-0000-0000-0000-0000000000d1' and status = 'pending'))),
  'accepted', 'the listing agent accepts');
select results_eq($$select status, offer_price from public.deals where id = '00000000-0000-0000-0000-0000000000d1'$$,
  $$values ('agreed'::text, 12000000::bigint)$$, 'acceptance makes the deal agreed at the offer''s amount');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select throws_ok($$select public.make_offer('00000000-0000-0000-0000-0000000000d1', 12100000)$$, 'VC002', null,
  'no offers once agreed');

-- the table itself, as the dashboard admin
select pg_temp.act_as_db();
select throws_ok($$update public.deal_negotiations set amount = 1 where status = 'accepted'$$, 'VC001', null, 'an amount never changes');
select throws_ok($$update public.deal_negotiations set status = 'rejected' where status = 'accepted'$$, 'VC002',
  'offer status cannot move from accepted to rejected', 'an accepted offer is final');
select throws_ok($$update public.deal_negotiations set status = 'pending' where status = 'countered'$$, 'VC002',
  'offer status cannot move from countered to pending', 'a countered offer is final');
select throws_ok($$insert into public.deal_negotiations (deal_id, from_contact_id, to_contact_id, amount, status) values ('00000000-0000-0000-0000-0000000000d2', '00000000-0000-0000-0000-0000000000c2', '00000000-0000-0000-0000-0000000000a1', 12000000, 'accepted')$$,
  'VC002', 'an offer starts pending, not accepted', 'an offer starts pending');

-- d2 has no other agent: the customer itself is the party
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c2');
select is((select to_contact_id from public.make_offer('00000000-0000-0000-0000-0000000000d2', 12400000)),
  '00000000-0000-0000-0000-0000000000a1'::uuid, 'the customer offers to the listing agent');
select is((select count(*)::int from public.deal_negotiations), 1, 'and reads only its own deal''s offers');
select pg_temp.act_as_db();
select throws_ok($$insert into public.deal_negotiations (deal_id, from_contact_id, to_contact_id, amount) values ('00000000-0000-0000-0000-0000000000d2', '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000b1', 12450000)$$,
  'VC004', null, 'a direct insert meets the same one-pending rule');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select is((select status from public.accept_offer(pg_temp.offer('00000000-0000-0000-0000-0000000000c2', '00000000-0000-0000-0000-0000000000a1'))),
  'accepted', 'the listing agent accepts the customer''s offer');
select is((select offer_price from public.deals where id = '00000000-0000-0000-0000-0000000000d2'), 12400000::bigint,
  'the deal is agreed at its amount');
select pg_temp.act_as_db();
select lives_ok($$update public.deals set status = 'cancelled', cancel_reason = 'test' where id = '00000000-0000-0000-0000-0000000000d2'$$,
  'an agreed deal can still be cancelled');
select throws_ok($$insert into public.deal_negotiations (deal_id, from_contact_id, to_contact_id, amount) values ('00000000-0000-0000-0000-0000000000d2', '00000000-0000-0000-0000-0000000000c2', '00000000-0000-0000-0000-0000000000b1', 12450000)$$,
  'VC002', null, 'no offers on a cancelled deal');

select * from finish();
rollback;
