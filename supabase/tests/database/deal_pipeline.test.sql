-- Deal pipeline: the constraints of its tables, the deal status machine (every illegal step), the columns
-- only the database writes, open_deal and cancel_deal and who may call them (docs/deals.md).
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(67);
\ir fixtures/deals.psql

-- ============================================================================ derived and fixed columns
select is((select is_cross_agent from public.deals where id = '00000000-0000-0000-0000-0000000000d1'), true,
  'a deal with another agent bringing the customer is cross-agent');
select is((select is_cross_agent from public.deals where id = '00000000-0000-0000-0000-0000000000d2'), false,
  'a deal of the listing agent alone is not');
select throws_ok($$update public.deals set is_cross_agent = false$$, '428C9', null, 'is_cross_agent is never written');
select throws_ok($$insert into public.deals (portfolio_id, customer_id, listing_agent_id, is_cross_agent) values ('2026-002', '00000000-0000-0000-0000-0000000000c3', '00000000-0000-0000-0000-0000000000a1', true)$$,
  '428C9', null, 'nor inserted');
select is((select listing_agent_id from public.deals where id = '00000000-0000-0000-0000-0000000000d1'),
  '00000000-0000-0000-0000-0000000000a1'::uuid, 'the listing agent comes from the listing');
select is((select visibility_level from public.agent_visibility where portfolio_id = '2026-001' and agent_id = '00000000-0000-0000-0000-0000000000a2'),
  'partial', 'the buying agent of a cross-agent deal sees the listing partially');
insert into public.deals (id, portfolio_id, customer_id, buying_agent_id) values
  ('00000000-0000-0000-0000-0000000000d3', '2026-002', '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a2');
select is((select visibility_level from public.agent_visibility where portfolio_id = '2026-002' and agent_id = '00000000-0000-0000-0000-0000000000a2'),
  'partial', 'opening a cross-agent deal grants partial visibility');
select is((select deal_id from public.agent_visibility where portfolio_id = '2026-002' and agent_id = '00000000-0000-0000-0000-0000000000a2'),
  '00000000-0000-0000-0000-0000000000d3'::uuid, 'naming the deal');

select throws_ok($$insert into public.deals (portfolio_id, customer_id, status) values ('2026-002', '00000000-0000-0000-0000-0000000000c3', 'agreed')$$,
  'VC002', 'a deal starts matched, not agreed', 'a deal starts matched');
select throws_ok($$insert into public.deals (portfolio_id, customer_id, offer_price) values ('2026-002', '00000000-0000-0000-0000-0000000000c3', 40000)$$,
  'VC001', null, 'with no agreed price');
select throws_ok($$insert into public.deals (portfolio_id, customer_id) values ('2026-001', '00000000-0000-0000-0000-0000000000c1')$$,
  '23505', null, 'one open deal per listing and customer');
select throws_ok($$update public.deals set status = 'won' where id = '00000000-0000-0000-0000-0000000000d2'$$, 'VC002',
  'deal status cannot move from matched to won', 'an unknown status is rejected');
select throws_ok($$update public.deals set customer_id = '00000000-0000-0000-0000-0000000000c3' where id = '00000000-0000-0000-0000-0000000000d2'$$,
  'VC001', null, 'the customer never changes');
select throws_ok($$update public.deals set buying_agent_id = '00000000-0000-0000-0000-0000000000a3' where id = '00000000-0000-0000-0000-0000000000d2'$$,
  'VC001', null, 'nor the buying agent');
select throws_ok($$update public.deals set offer_price = 1 where id = '00000000-0000-0000-0000-0000000000d2'$$,
  'VC001', null, 'offer_price is not written by hand');
select throws_ok($$update public.deals set commission_total = 1 where id = '00000000-0000-0000-0000-0000000000d2'$$,
  'VC001', null, 'nor commission_total');
select throws_ok($$update public.deals set closed_at = now() where id = '00000000-0000-0000-0000-0000000000d2'$$,
  'VC001', null, 'nor closed_at');

-- ============================================================================ the status machine
select is(pg_temp.err(format($$update public.deals set status = %L where id = '00000000-0000-0000-0000-0000000000d2'$$, s)),
          format('VC002: deal status cannot move from matched to %s', s), format('matched -> %s is rejected', s))
from unnest(array['negotiating', 'agreed', 'closing', 'closed']) as s;
select throws_ok($$update public.deals set status = 'cancelled' where id = '00000000-0000-0000-0000-0000000000d2'$$,
  'VC001', 'cancel_reason is required to cancel a deal', 'cancelling needs a reason');
select throws_ok($$update public.deals set cancel_reason = 'neden' where id = '00000000-0000-0000-0000-0000000000d2'$$,
  'VC001', null, 'a reason alone does not cancel');
select lives_ok($$update public.deals set status = 'showing' where id = '00000000-0000-0000-0000-0000000000d2'$$, 'matched -> showing');
select is(pg_temp.err(format($$update public.deals set status = %L where id = '00000000-0000-0000-0000-0000000000d2'$$, s)),
          format('VC002: deal status cannot move from showing to %s', s), format('showing -> %s is rejected', s))
from unnest(array['matched', 'agreed', 'closing', 'closed']) as s;
select lives_ok($$update public.deals set status = 'negotiating' where id = '00000000-0000-0000-0000-0000000000d2'$$, 'showing -> negotiating');
select throws_ok($$update public.deals set status = 'agreed' where id = '00000000-0000-0000-0000-0000000000d2'$$,
  'VC002', 'deal 00000000-0000-0000-0000-0000000000d2 cannot move from negotiating to agreed without an accepted offer',
  'negotiating -> agreed needs an accepted offer');
select is(pg_temp.err(format($$update public.deals set status = %L where id = '00000000-0000-0000-0000-0000000000d2'$$, s)),
          format('VC002: deal status cannot move from negotiating to %s', s), format('negotiating -> %s is rejected', s))
from unnest(array['matched', 'showing', 'closing', 'closed']) as s;
select lives_ok($$update public.deals set status = 'cancelled', cancel_reason = 'Müşteri vazgeçti' where id = '00000000-0000-0000-0000-0000000000d2'$$,
  'an open deal is cancelled with a reason');
select is(pg_temp.err(format($$update public.deals set status = %L where id = '00000000-0000-0000-0000-0000000000d2'$$, s)),
          format('VC002: deal status cannot move from cancelled to %s', s), format('cancelled -> %s is rejected', s))
from unnest(array['matched', 'showing', 'negotiating', 'agreed', 'closing', 'closed']) as s;
select throws_ok($$update public.deals set cancel_reason = 'başka' where id = '00000000-0000-0000-0000-0000000000d2'$$,
  'VC002', null, 'a cancelled deal is final');

-- ============================================================================ open_deal
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select is((select customer_id from public.open_deal(p_portfolio_id => '2026-001', p_request_id => '00000000-0000-0000-0000-0000000000e2')),
  '00000000-0000-0000-0000-0000000000c2'::uuid, 'the listing agent opens a deal for its own customer''s request (the cancelled one does not block)');
select throws_ok($$select public.open_deal(p_portfolio_id => '2026-001', p_customer_id => '00000000-0000-0000-0000-0000000000c2')$$,
  'VC004', 'the customer already has an open deal on listing 2026-001', 'a second open deal is a conflict');
select throws_ok($$select public.open_deal(p_portfolio_id => '2026-002', p_customer_id => '00000000-0000-0000-0000-0000000000c3')$$,
  '42501', null, 'not for a contact that is not the agent''s customer');
select throws_ok($$select public.open_deal(p_portfolio_id => '2026-002', p_request_id => '00000000-0000-0000-0000-0000000000e2')$$,
  'VC001', 'request_type buy does not fit a listing for rent', 'a buy request does not fit a rental');
select throws_ok($$select public.open_deal()$$, 'VC001', 'portfolio_id (or match_id) is required', 'a listing or match is required');
select throws_ok($$select public.open_deal(p_match_id => gen_random_uuid())$$, '42501', null, 'an unknown match is denied');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a3');
select throws_ok($$select public.open_deal(p_portfolio_id => '2026-002', p_customer_id => '00000000-0000-0000-0000-0000000000c2')$$,
  '42501', null, 'another agent of the office cannot open a deal on a listing it does not hold for a customer it does not serve');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000b1');
select throws_ok($$select public.open_deal(p_portfolio_id => '2026-002', p_customer_id => '00000000-0000-0000-0000-0000000000c1')$$,
  '42501', null, 'the broker cannot open one for the co-broker''s customer');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select throws_ok($$select public.open_deal(p_portfolio_id => '2026-001', p_customer_id => '00000000-0000-0000-0000-0000000000c1')$$,
  '42501', null, 'a customer does not open deals');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select throws_ok($$select public.open_deal(p_portfolio_id => '2026-999', p_customer_id => '00000000-0000-0000-0000-0000000000c1')$$,
  'VC003', 'listing 2026-999 not found', 'staff learn that a listing is missing');
select results_eq($$select listing_agent_id, buying_agent_id, created_by
                    from public.open_deal(p_portfolio_id => '2026-002', p_customer_id => '00000000-0000-0000-0000-0000000000c3')$$,
  $$values ('00000000-0000-0000-0000-0000000000a1'::uuid, null::uuid, '00000000-0000-0000-0000-0000000000ad'::uuid)$$,
  'an admin opens a deal for any customer without becoming its buying agent');

-- the buying agent cancels its deal and opens it again from the match
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select throws_ok($$select public.cancel_deal('00000000-0000-0000-0000-0000000000d1', 'Vazgeçtim')$$, '42501', null,
  'the customer sees the deal but cannot cancel it');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select throws_ok($$select public.cancel_deal('00000000-0000-0000-0000-0000000000d1', '  ')$$, 'VC001',
  'reason is required (1-1000 characters)', 'a reason is required');
select is((select cancel_reason from public.cancel_deal('00000000-0000-0000-0000-0000000000d1', 'Müşteri başka ev buldu')),
  'Müşteri başka ev buldu', 'the buying agent cancels its deal');
select is((select buying_agent_id from public.open_deal(
            p_match_id => (select id from public.portfolio_request_matches where portfolio_id = '2026-001'
                           and request_id = '00000000-0000-0000-0000-0000000000e1'))),
  '00000000-0000-0000-0000-0000000000a2'::uuid, 'and opens another from the match: the request''s agent is the buying agent');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a3');
select throws_ok($$select public.cancel_deal('00000000-0000-0000-0000-0000000000d3', 'x')$$, '42501',
  'deal 00000000-0000-0000-0000-0000000000d3: not found or not yours', 'an agent outside the deal cannot cancel it, nor learn it exists');
select pg_temp.act_as_db();

-- ============================================================================ the other tables' constraints
select throws_ok($$insert into public.showings (portfolio_id, customer_id, scheduled_at, ends_at, status) values ('2026-001', '00000000-0000-0000-0000-0000000000c1', now() + interval '1 day', now() + interval '1 day 1 hour', 'done')$$,
  '23514', null, 'an unknown showing status is rejected');
update public.deals set status = 'showing' where id = '00000000-0000-0000-0000-0000000000d3';
select throws_ok($$insert into public.deal_negotiations (deal_id, from_contact_id, to_contact_id, amount) values ('00000000-0000-0000-0000-0000000000d3', '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a2', 0)$$,
  '23514', null, 'a zero offer is rejected');
select throws_ok($$insert into public.platform_commissions (deal_id, contact_id, role, rate, amount) values ('00000000-0000-0000-0000-0000000000d3', null, 'listing', 45, 112500)$$,
  '23514', null, 'an agent''s share names the agent');
select throws_ok($$insert into public.platform_commissions (deal_id, contact_id, role, rate, amount) values ('00000000-0000-0000-0000-0000000000d3', '00000000-0000-0000-0000-0000000000a1', 'listing', 45, -1)$$,
  '23514', null, 'a negative amount is rejected');

-- A token that names no contact reads nothing (the access matrix covers every actor).
select pg_temp.act_as('00000000-0000-0000-0000-00000000dead');
select is_empty(format('select 1 from public.%I', t), format('a stranger reads no %s', t))
from unnest(array['deals', 'showings', 'deal_confirmations', 'deal_negotiations', 'platform_commissions']) as t;
select pg_temp.act_as_db();

select * from finish();
rollback;
