-- Deal pipeline: the rules the schema itself enforces on deals, showings, confirmations, offers and
-- commissions, and the lock-down.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(25);

insert into public.contacts (id, phone, contact_type) values
  ('00000000-0000-0000-0000-0000000000a1', '+905321234567', 'agent'),
  ('00000000-0000-0000-0000-0000000000a2', '+905329876543', 'agent'),
  ('00000000-0000-0000-0000-0000000000c1', '+905551112233', 'customer');
insert into public.portfolios (id, agent_id, type, listing_type, title, district, rooms, listed_price)
values ('2026-001', '00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'Moda''da 3+1', 'Kadıköy', '3+1', 12500000);
insert into public.deals (id, portfolio_id, customer_id, listing_agent_id, buying_agent_id) values
  ('00000000-0000-0000-0000-0000000000d1', '2026-001', '00000000-0000-0000-0000-0000000000c1',
   '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a2');

-- deals: is_cross_agent is derived and never written.
select is((select is_cross_agent from public.deals where id = '00000000-0000-0000-0000-0000000000d1'), true,
  'another buying agent makes the deal cross-agent');
update public.deals set buying_agent_id = listing_agent_id where id = '00000000-0000-0000-0000-0000000000d1';
select is((select is_cross_agent from public.deals where id = '00000000-0000-0000-0000-0000000000d1'), false,
  'the listing agent bringing the customer is not cross-agent');
update public.deals set buying_agent_id = null where id = '00000000-0000-0000-0000-0000000000d1';
select is((select is_cross_agent from public.deals where id = '00000000-0000-0000-0000-0000000000d1'), false,
  'no buying agent is not cross-agent');
select throws_ok($$update public.deals set is_cross_agent = true$$, '428C9',
  'column "is_cross_agent" can only be updated to DEFAULT', 'is_cross_agent cannot be set by hand');
select throws_ok($$insert into public.deals (portfolio_id, customer_id, listing_agent_id, is_cross_agent) values ('2026-001', '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a1', true)$$,
  '428C9', null, 'is_cross_agent cannot be inserted');
select is((select status from public.deals where id = '00000000-0000-0000-0000-0000000000d1'), 'matched', 'a deal starts matched');

-- One open deal per listing and customer; a closed or cancelled one does not block a new one.
select throws_ok($$insert into public.deals (portfolio_id, customer_id, listing_agent_id) values ('2026-001', '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a1')$$,
  '23505', 'duplicate key value violates unique constraint "deals_one_open_per_customer_key"', 'a second open deal for the same listing and customer is rejected');
update public.deals set status = 'cancelled', cancel_reason = 'Müşteri vazgeçti' where id = '00000000-0000-0000-0000-0000000000d1';
select lives_ok($$insert into public.deals (id, portfolio_id, customer_id, listing_agent_id, buying_agent_id) values ('00000000-0000-0000-0000-0000000000d2', '2026-001', '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a2')$$,
  'after a cancellation a new deal may open');
select throws_ok($$update public.deals set status = 'won' where id = '00000000-0000-0000-0000-0000000000d2'$$, '23514',
  'new row for relation "deals" violates check constraint "deals_status_check"', 'unknown deal status is rejected');
select throws_ok($$update public.deals set offer_price = 0 where id = '00000000-0000-0000-0000-0000000000d2'$$, '23514',
  'new row for relation "deals" violates check constraint "deals_offer_price_check"', 'a zero offer price is rejected');
select throws_ok($$update public.deals set closing_price = -1 where id = '00000000-0000-0000-0000-0000000000d2'$$, '23514',
  'new row for relation "deals" violates check constraint "deals_closing_price_check"', 'a negative closing price is rejected');

-- showings.
select throws_ok($$insert into public.showings (portfolio_id, agent_id, customer_id, scheduled_at, status) values ('2026-001', '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000c1', now(), 'done')$$,
  '23514', 'new row for relation "showings" violates check constraint "showings_status_check"', 'unknown showing status is rejected');

-- deal_confirmations: one per side, a confirmation has its time.
insert into public.deal_confirmations (deal_id, agent_id, role)
values ('00000000-0000-0000-0000-0000000000d2', '00000000-0000-0000-0000-0000000000a1', 'listing');
select throws_ok($$insert into public.deal_confirmations (deal_id, agent_id, role) values ('00000000-0000-0000-0000-0000000000d2', '00000000-0000-0000-0000-0000000000a2', 'listing')$$,
  '23505', 'duplicate key value violates unique constraint "deal_confirmations_deal_id_role_key"', 'one confirmation per side');
select throws_ok($$update public.deal_confirmations set confirmed = true where deal_id = '00000000-0000-0000-0000-0000000000d2'$$, '23514',
  'new row for relation "deal_confirmations" violates check constraint "deal_confirmations_confirmed_at_check"', 'a confirmation records when');

-- deal_negotiations: positive amounts, two different parties, one pending offer at a time.
select throws_ok($$insert into public.deal_negotiations (deal_id, from_contact_id, to_contact_id, amount) values ('00000000-0000-0000-0000-0000000000d2', '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a1', 100)$$,
  '23514', 'new row for relation "deal_negotiations" violates check constraint "deal_negotiations_parties_check"', 'nobody makes an offer to themselves');
select throws_ok($$insert into public.deal_negotiations (deal_id, from_contact_id, to_contact_id, amount) values ('00000000-0000-0000-0000-0000000000d2', '00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-0000000000a1', 0)$$,
  '23514', 'new row for relation "deal_negotiations" violates check constraint "deal_negotiations_amount_check"', 'a zero offer is rejected');
insert into public.deal_negotiations (deal_id, from_contact_id, to_contact_id, amount)
values ('00000000-0000-0000-0000-0000000000d2', '00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-0000000000a1', 11000000);
select throws_ok($$insert into public.deal_negotiations (deal_id, from_contact_id, to_contact_id, amount) values ('00000000-0000-0000-0000-0000000000d2', '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a2', 12000000)$$,
  '23505', 'duplicate key value violates unique constraint "deal_negotiations_one_pending_key"', 'only one pending offer per deal');

-- platform_commissions: one row per role, agents' rows name the agent, amounts never negative.
insert into public.platform_commissions (deal_id, contact_id, role, rate, amount)
values ('00000000-0000-0000-0000-0000000000d2', null, 'platform', 10, 25000);
select throws_ok($$insert into public.platform_commissions (deal_id, contact_id, role, rate, amount) values ('00000000-0000-0000-0000-0000000000d2', null, 'listing', 45, 112500)$$,
  '23514', 'new row for relation "platform_commissions" violates check constraint "platform_commissions_contact_id_check"', 'an agent''s share names the agent');
select throws_ok($$insert into public.platform_commissions (deal_id, contact_id, role, rate, amount) values ('00000000-0000-0000-0000-0000000000d2', '00000000-0000-0000-0000-0000000000a1', 'listing', 45, -1)$$,
  '23514', 'new row for relation "platform_commissions" violates check constraint "platform_commissions_amount_check"', 'a negative amount is rejected');
select throws_ok($$insert into public.platform_commissions (deal_id, contact_id, role, rate, amount) values ('00000000-0000-0000-0000-0000000000d2', null, 'platform', 10, 1)$$,
  '23505', 'duplicate key value violates unique constraint "platform_commissions_deal_id_role_key"', 'one row per role and deal');

-- A token that names no contact reads nothing (the access matrix covers every actor).
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-00000000dead", "role": "authenticated"}', true);
select is_empty(format('select 1 from public.%I', t), format('a stranger reads no %s', t))
from unnest(array['deals', 'showings', 'deal_confirmations', 'deal_negotiations', 'platform_commissions']) as t;
reset role;

select * from finish();
rollback;
