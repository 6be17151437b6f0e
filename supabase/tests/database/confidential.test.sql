-- Confidential data: the floor price never above the listed price, from either side, and the check
-- tells an outsider nothing.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(7);
\ir fixtures/helpers.psql

insert into public.contacts (id, phone, contact_type) values
  ('00000000-0000-0000-0000-0000000000a1', '+905321110001', 'agent'),
  ('00000000-0000-0000-0000-0000000000a2', '+905322220001', 'agent');
insert into public.agent_profiles (contact_id, role, office) values
  ('00000000-0000-0000-0000-0000000000a1', 'agent', 'Moda Emlak'),
  ('00000000-0000-0000-0000-0000000000a2', 'agent', 'Boğaziçi Gayrimenkul');
insert into public.portfolios (id, agent_id, type, listing_type, title, district, rooms, listed_price)
values ('2026-001', '00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'Moda 3+1', 'Kadıköy', '3+1', 12500000);


select throws_ok($$insert into public.portfolio_confidential (portfolio_id, min_price) values ('2026-001', 12500001)$$,
  'VC001', 'min_price cannot be above the listing''s listed_price', 'a floor above the price is rejected');
select lives_ok($$insert into public.portfolio_confidential (portfolio_id, min_price) values ('2026-001', 12500000)$$,
  'a floor equal to the price is accepted');
select throws_ok($$update public.portfolios set listed_price = 12000000 where id = '2026-001'$$,
  'VC001', 'listed_price cannot go below the floor price (min_price)', 'the price cannot drop below the floor');
update public.portfolio_confidential set min_price = 11800000 where portfolio_id = '2026-001';
select lives_ok($$update public.portfolios set listed_price = 12000000 where id = '2026-001'$$, 'after the floor drops, the price can');

-- The listing agent hits the same rule through the API.
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select throws_ok($$update public.portfolio_confidential set min_price = 99000000 where portfolio_id = '2026-001'$$,
  'VC001', 'min_price cannot be above the listing''s listed_price', 'the listing agent cannot set a floor above the price');
reset role;

-- Another agent probing the price with floors only ever meets row-level security, never the floor rule.
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select throws_ok($$insert into public.portfolio_confidential (portfolio_id, min_price) values ('2026-001', 99000000)$$,
  '42501', 'new row violates row-level security policy for table "portfolio_confidential"', 'an outsider''s high floor: only RLS speaks');
select throws_ok($$insert into public.portfolio_confidential (portfolio_id, min_price) values ('2026-001', 1)$$,
  '42501', 'new row violates row-level security policy for table "portfolio_confidential"', 'an outsider''s low floor: the same answer');
reset role;

select * from finish();
rollback;
