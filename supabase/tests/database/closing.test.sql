-- Closing (docs/deals.md): start_closing creates one confirmation per agent side; only that agent confirms it;
-- the last confirmation closes the deal once: listing sold, request closed, the listing's other open deals
-- cancelled, the commission split written, full visibility to the buying agent, a contract without
-- confidential data. Confirming again is an answer, not an error. Every illegal step is rejected.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(45);
\ir fixtures/deals.psql

-- d1 (cross-agent, a1 + a2) agreed at 12,000,000; d2 (a1 alone, c2) agreed at 12,400,000 on the same listing;
-- d3: the rental 2026-002 x c2, agreed at 40,000; d4: 2026-003 (no confidential row) x c2, agreed.
insert into public.portfolios (id, agent_id, type, listing_type, title, district, rooms, listed_price)
values ('2026-003', '00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'Fenerbahçe''de 2+1', 'Kadıköy', '2+1', 9000000);
insert into public.deals (id, portfolio_id, customer_id) values
  ('00000000-0000-0000-0000-0000000000d3', '2026-002', '00000000-0000-0000-0000-0000000000c2'),
  ('00000000-0000-0000-0000-0000000000d4', '2026-003', '00000000-0000-0000-0000-0000000000c2'),
  ('00000000-0000-0000-0000-0000000000d5', '2026-003', '00000000-0000-0000-0000-0000000000c3');
update public.deals set status = 'showing' where id <> '00000000-0000-0000-0000-0000000000d5';
insert into public.deal_negotiations (deal_id, from_contact_id, to_contact_id, amount) values
  ('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-0000000000a1', 12000000),
  ('00000000-0000-0000-0000-0000000000d2', '00000000-0000-0000-0000-0000000000c2', '00000000-0000-0000-0000-0000000000a1', 12400000),
  ('00000000-0000-0000-0000-0000000000d3', '00000000-0000-0000-0000-0000000000c2', '00000000-0000-0000-0000-0000000000a1', 40000),
  ('00000000-0000-0000-0000-0000000000d4', '00000000-0000-0000-0000-0000000000c2', '00000000-0000-0000-0000-0000000000a1', 8800000);
update public.deal_negotiations set status = 'accepted';
select is((select array_agg(distinct status) from public.deals where id <> '00000000-0000-0000-0000-0000000000d5'),
  array['agreed'], 'the deals are agreed');

-- ============================================================================ start_closing
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select throws_ok($$select public.start_closing('00000000-0000-0000-0000-0000000000d1')$$, '42501',
  'deal 00000000-0000-0000-0000-0000000000d1: not found or not yours', 'the customer does not start the closing');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a3');
select throws_ok($$select public.start_closing('00000000-0000-0000-0000-0000000000d1')$$, '42501', null,
  'nor an agent outside the deal');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select throws_ok($$select public.start_closing('00000000-0000-0000-0000-0000000000d1', 0)$$, 'VC001',
  'closing_price must be a positive whole number of at most 1000000000000', 'a closing price is positive');
select results_eq($$select status, closing_price from public.start_closing('00000000-0000-0000-0000-0000000000d1')$$,
  $$values ('closing'::text, 12000000::bigint)$$, 'the buying agent starts the closing at the agreed price');
select results_eq($$select role, agent_id, confirmed from public.deal_confirmations
                   where deal_id = '00000000-0000-0000-0000-0000000000d1' order by role$$,
  $$values ('buying'::text, '00000000-0000-0000-0000-0000000000a2'::uuid, false),
           ('listing'::text, '00000000-0000-0000-0000-0000000000a1'::uuid, false)$$,
  'one unconfirmed confirmation per agent side');
select throws_ok($$insert into public.deal_confirmations (deal_id, agent_id, role) values ('00000000-0000-0000-0000-0000000000d3', '00000000-0000-0000-0000-0000000000a2', 'buying')$$,
  '42501', null, 'nobody inserts confirmations through the API');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select throws_ok($$select public.start_closing('00000000-0000-0000-0000-0000000000d5')$$, 'VC002',
  'deal status cannot move from matched to closing', 'a matched deal cannot start closing');
select throws_ok($$select public.start_closing('00000000-0000-0000-0000-0000000000d4')$$, 'VC001',
  'listing 2026-003 has no commission_rate: set it before closing', 'a listing without a commission rate cannot close');
select pg_temp.act_as_db();
update public.portfolios set status = 'inactive' where id = '2026-003';
select throws_ok($$update public.deals set status = 'closing' where id = '00000000-0000-0000-0000-0000000000d4'$$, 'VC002',
  'deal 00000000-0000-0000-0000-0000000000d4 cannot move from agreed to closing: listing 2026-003 is inactive',
  'nor one whose listing is off the market');
select throws_ok($$insert into public.deal_confirmations (deal_id, agent_id, role) values ('00000000-0000-0000-0000-0000000000d2', '00000000-0000-0000-0000-0000000000a1', 'listing')$$,
  'VC002', null, 'the dashboard cannot add a confirmation to a deal that is not closing');
select throws_ok($$insert into public.deal_confirmations (deal_id, agent_id, role) values ('00000000-0000-0000-0000-0000000000d3', '00000000-0000-0000-0000-0000000000a1', 'buying')$$,
  'VC002', null, 'nor to the listing''s other deals');
select throws_ok($$update public.deal_confirmations set role = 'buying' where deal_id = '00000000-0000-0000-0000-0000000000d1' and role = 'listing'$$,
  'VC001', null, 'a confirmation''s side never changes');
select throws_ok($$update public.deals set status = 'closed' where id = '00000000-0000-0000-0000-0000000000d1'$$, 'VC002',
  'deal 00000000-0000-0000-0000-0000000000d1 cannot move from closing to closed before every side confirmed',
  'a deal does not close before every side confirmed');

-- ============================================================================ confirm_closing
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
update public.deal_confirmations set confirmed = true where deal_id = '00000000-0000-0000-0000-0000000000d1' and role = 'buying';
select is((select confirmed from public.deal_confirmations where deal_id = '00000000-0000-0000-0000-0000000000d1' and role = 'buying'),
  false, 'the listing agent cannot confirm the buying side (no row to update)');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select throws_ok($$update public.deal_confirmations set confirmed = true where deal_id = '00000000-0000-0000-0000-0000000000d1' and role = 'buying'$$,
  '42501', 'only the buying agent confirms the buying side', 'nor can an admin');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select throws_ok($$select public.confirm_closing('00000000-0000-0000-0000-0000000000d1')$$, '42501', null, 'the customer does not confirm');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000b1');
select throws_ok($$select public.confirm_closing('00000000-0000-0000-0000-0000000000d1')$$, '42501',
  'deal 00000000-0000-0000-0000-0000000000d1: only its listing and buying agents confirm', 'the listing agent''s broker has no side');
select pg_temp.act_as_db();
update public.deals set last_activity_at = now() - interval '10 days' where id = '00000000-0000-0000-0000-0000000000d1';

select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select results_eq($$select role, outcome, deal_status, waiting_for from public.confirm_closing('00000000-0000-0000-0000-0000000000d1')$$,
  $$values ('listing'::text, 'confirmed'::text, 'closing'::text, array['buying'])$$, 'the listing side confirms and waits for the buying side');
select ok((select last_activity_at > now() - interval '1 minute' from public.deals where id = '00000000-0000-0000-0000-0000000000d1'),
  'a confirmation moves the deal''s last activity');
select results_eq($$select outcome from public.confirm_closing('00000000-0000-0000-0000-0000000000d1')$$,
  $$values ('already_confirmed'::text)$$, 'confirming twice is an answer, not an error');
select pg_temp.act_as_db();
select throws_ok($$update public.deal_confirmations set confirmed = false where deal_id = '00000000-0000-0000-0000-0000000000d1' and role = 'listing'$$,
  'VC002', 'confirmation cannot move from confirmed to unconfirmed', 'a confirmation is not withdrawn');

select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select results_eq($$select role, outcome, deal_status, waiting_for from public.confirm_closing('00000000-0000-0000-0000-0000000000d1')$$,
  $$values ('buying'::text, 'closed'::text, 'closed'::text, '{}'::text[])$$, 'the buying side''s confirmation closes the deal');
select pg_temp.act_as_db();
select results_eq($$select status, commission_total, closed_at is not null from public.deals where id = '00000000-0000-0000-0000-0000000000d1'$$,
  $$values ('closed'::text, 240000::bigint, true)$$, 'closed, with 2% of 12,000,000 as commission_total');
select is((select status from public.portfolios where id = '2026-001'), 'sold', 'the listing is sold');
select is((select status from public.requests where id = '00000000-0000-0000-0000-0000000000e1'), 'closed', 'the request is closed');
select results_eq($$select status, cancel_reason from public.deals where id = '00000000-0000-0000-0000-0000000000d2'$$,
  $$values ('cancelled'::text, 'listing 2026-001 was sold in deal 00000000-0000-0000-0000-0000000000d1'::text)$$,
  'the listing''s other open deal is cancelled, saying why');
select results_eq($$select role, contact_id, rate, amount, status from public.platform_commissions
                   where deal_id = '00000000-0000-0000-0000-0000000000d1' order by role$$,
  $$values ('buying'::text, '00000000-0000-0000-0000-0000000000a2'::uuid, 45.00::numeric, 108000::bigint, 'pending'::text),
           ('listing'::text, '00000000-0000-0000-0000-0000000000a1'::uuid, 45.00::numeric, 108000::bigint, 'pending'::text),
           ('platform'::text, null::uuid, 10.00::numeric, 24000::bigint, 'pending'::text)$$,
  'the commission split: listing, buying and platform rows');
select is((select visibility_level from public.agent_visibility where portfolio_id = '2026-001' and agent_id = '00000000-0000-0000-0000-0000000000a2'),
  'full', 'the buying agent sees the listing in full');
select results_eq($$select contact_id, agent_id, portfolio_id, (template_data ->> 'closing_price')::bigint,
                          template_data #>> '{buying_agent,name}' from public.documents
                   where type = 'contract' and deal_id = '00000000-0000-0000-0000-0000000000d1'$$,
  $$values ('00000000-0000-0000-0000-0000000000c1'::uuid, '00000000-0000-0000-0000-0000000000a1'::uuid, '2026-001'::text, 12000000::bigint, 'Can Demir'::text)$$,
  'one contract with the parties and the price');
select ok((select template_data::text !~ '(Nur Ateş|905301110006|min_price|commission_rate|owner)' from public.documents
           where type = 'contract' and deal_id = '00000000-0000-0000-0000-0000000000d1'), 'and nothing confidential');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select is((select count(*)::int from public.documents where type = 'contract'), 1, 'the customer reads its contract');

select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select results_eq($$select role, outcome, deal_status from public.confirm_closing('00000000-0000-0000-0000-0000000000d1')$$,
  $$values ('buying'::text, 'already_closed'::text, 'closed'::text)$$, 'a confirmation after closing is a no-op answer');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000b2');
select throws_ok($$select public.confirm_closing('00000000-0000-0000-0000-0000000000d1')$$, '42501', null,
  'the buying agent''s broker has no side either');
select pg_temp.act_as_db();
select is((select count(*)::int from public.platform_commissions where deal_id = '00000000-0000-0000-0000-0000000000d1'), 3,
  'still one set of commission rows');
select is((select count(*)::int from public.documents where type = 'contract'), 1, 'and one contract');
select throws_ok($$update public.deals set status = 'cancelled', cancel_reason = 'x' where id = '00000000-0000-0000-0000-0000000000d1'$$,
  'VC002', 'deal status cannot move from closed to cancelled', 'a closed deal is final');
select throws_ok($$update public.deals set commission_total = 1 where id = '00000000-0000-0000-0000-0000000000d1'$$,
  'VC001', null, 'its commission_total is the database''s');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select throws_ok($$select public.open_deal(p_portfolio_id => '2026-001', p_customer_id => '00000000-0000-0000-0000-0000000000c3')$$,
  'VC002', 'listing 2026-001 is sold: no new deals', 'a sold listing takes no new deals');

-- ============================================================================ a deal of one agent: one side
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select results_eq($$select status, closing_price from public.start_closing('00000000-0000-0000-0000-0000000000d3', 41000)$$,
  $$values ('closing'::text, 41000::bigint)$$, 'the rental closes at a price the agent gives');
select is((select array_agg(role) from public.deal_confirmations where deal_id = '00000000-0000-0000-0000-0000000000d3'),
  array['listing'], 'with the listing side only');
select results_eq($$select outcome, waiting_for from public.confirm_closing('00000000-0000-0000-0000-0000000000d3')$$,
  $$values ('closed'::text, '{}'::text[])$$, 'whose confirmation closes it');
select pg_temp.act_as_db();
select is((select commission_total from public.deals where id = '00000000-0000-0000-0000-0000000000d3'), 41000::bigint,
  'one month''s rent as commission');
select results_eq($$select role, amount from public.platform_commissions where deal_id = '00000000-0000-0000-0000-0000000000d3' order by role$$,
  $$values ('listing'::text, 36900::bigint), ('platform'::text, 4100::bigint)$$, 'split 90/10, no buying row');
select is((select status from public.portfolios where id = '2026-002'), 'sold', 'the rental is taken off the market');

select * from finish();
rollback;
