-- Commissions: the total rounded half up, the largest-remainder split to the last unit, the legal cap on
-- commission_rate, the platform_commissions status machine, write_commissions, and who may touch any of it.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(113);
\ir fixtures/helpers.psql

-- Cast: a1 lists everything (Moda Emlak), b1 is its broker, a2 an agent of another office who brings c1 to
-- 2026-003 (a cross deal), s1 an admin, c1 and c2 customers.
insert into public.contacts (id, phone, contact_type) values
  ('00000000-0000-0000-0000-0000000000a1', '+905321110001', 'agent'),
  ('00000000-0000-0000-0000-0000000000a2', '+905321110002', 'agent'),
  ('00000000-0000-0000-0000-0000000000b1', '+905321110003', 'agent'),
  ('00000000-0000-0000-0000-0000000000e1', '+905321110004', 'staff'),
  ('00000000-0000-0000-0000-0000000000c1', '+905551110001', 'customer'),
  ('00000000-0000-0000-0000-0000000000c2', '+905551110002', 'customer');
insert into public.agent_profiles (contact_id, role, office) values
  ('00000000-0000-0000-0000-0000000000a1', 'agent', 'Moda Emlak'),
  ('00000000-0000-0000-0000-0000000000a2', 'agent', 'Boğaziçi Gayrimenkul'),
  ('00000000-0000-0000-0000-0000000000b1', 'broker', 'Moda Emlak'),
  ('00000000-0000-0000-0000-0000000000e1', 'admin', null);
insert into public.portfolios (id, agent_id, type, listing_type, title, district, rooms, listed_price) values
  ('2026-001', '00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'Moda 3+1', 'Kadıköy', '3+1', 12500000),
  ('2026-002', '00000000-0000-0000-0000-0000000000a1', 'daire', 'rent', 'Moda kiralık 2+1', 'Kadıköy', '2+1', 40000),
  ('2026-003', '00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'Yeldeğirmeni 2+1', 'Kadıköy', '2+1', 10000000),
  ('2026-004', '00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'Fenerbahçe 4+1', 'Kadıköy', '4+1', 30000000);

-- Walk a deal to closed the way the pipeline does, at p_price, with the listing's commission.
-- Walks a deal to closed as the deal pipeline does: an accepted offer at p_price, closing, every side confirmed
-- (as the database owner, a trusted session); the closing computes commission_total and writes the rows.
create function pg_temp.close_deal(p_deal uuid, p_price bigint) returns void language plpgsql as $$
begin
  update public.deals set status = 'showing' where id = p_deal;
  insert into public.deal_negotiations (deal_id, from_contact_id, to_contact_id, amount)
  select id, listing_agent_id, listing_agent_id, p_price from public.deals where id = p_deal;
  update public.deal_negotiations set status = 'accepted' where deal_id = p_deal and status = 'pending';
  update public.deals set status = 'closing' where id = p_deal;
  update public.deal_confirmations set confirmed = true where deal_id = p_deal;
end
$$;
create function pg_temp.split() returns setof text language sql as $$
  select format('%s %s/%s/%s', deal_kind, listing_rate, buying_rate, platform_rate)
  from public.commission_split() order by deal_kind
$$;

-- Section - commission_total: closing_price x rate / 100, half up, whole units
select is(guard.commission_total(3333333, 2), 66667::bigint, '2% of 3.333.333 = 66.666,66 -> 66.667');
select is(guard.commission_total(50, 1), 1::bigint, '0,5 rounds up to 1');
select is(guard.commission_total(250, 1), 3::bigint, '2,5 rounds up to 3 (not to the even 2)');
select is(guard.commission_total(49, 1), 0::bigint, '0,49 rounds down to 0');
select is(guard.commission_total(12500000, 2.5), 312500::bigint, '2,5% of 12.500.000 = 312.500');
select is(guard.commission_total(40000, 100), 40000::bigint, '100% of a month''s rent is the rent');
select is(guard.commission_total(1000000000000, 4), 40000000000::bigint, '4% of 10^12 is exact');
select is(guard.commission_total(null, 2), null, 'no price, no total');
select is(guard.commission_total(1000, null), null, 'no rate, no total');
select throws_ok($$select guard.commission_total(0, 2)$$, 'VC001', 'closing_price 0 must be a positive whole amount',
  'a zero closing price is rejected naming closing_price');
select throws_ok($$select guard.commission_total(1000, 100.01)$$, 'VC001',
  'commission rate 100.01 must be a percentage from 0 to 100', 'a rate above 100 is rejected');

-- Section - split_commission: largest remainder, sums to the total exactly
select is(guard.split_commission(100, array[45, 45, 10]), array[45, 45, 10]::bigint[], 'cross 45/45/10 of 100');
select is(guard.split_commission(1, array[45, 45, 10]), array[1, 0, 0]::bigint[],
  'cross of 1: the unit goes to the largest remainder, listing and buying tie, the earlier (listing) wins');
select is(guard.split_commission(1, array[90, 0, 10]), array[1, 0, 0]::bigint[], 'single of 1: the listing share');
select is(guard.split_commission(66667, array[45, 45, 10]), array[30000, 30000, 6667]::bigint[],
  '66.667: shares 30.000,15 / 30.000,15 / 6.666,7 -> the leftover unit to the platform''s ,7');
select is(guard.split_commission(7, array[33.33, 33.33, 33.34]), array[2, 2, 3]::bigint[],
  'thirds of 7: 2,3331 / 2,3331 / 2,3338 -> the last has the largest remainder');
select is(guard.split_commission(3, array[50, 50]), array[2, 1]::bigint[], 'a tie of remainders goes to the earlier share');
select is(guard.split_commission(0, array[90, 0, 10]), array[0, 0, 0]::bigint[], 'nothing to split gives zeros');
select is(guard.split_commission(10, array[100]), array[10]::bigint[], 'one share takes everything');
select is(guard.split_commission(5, array[0, 100, 0]), array[0, 5, 0]::bigint[], 'a zero rate never gets a unit');
select throws_ok($$select guard.split_commission(100, array[45, 45, 9])$$, 'VC001', 'rates must add up to 100, not 99',
  'rates not adding up to 100 are rejected');
select throws_ok($$select guard.split_commission(100, array[110, -10])$$, 'VC001', 'rates cannot be negative',
  'a negative rate is rejected');
select throws_ok($$select guard.split_commission(-1, array[100])$$, 'VC001', 'total -1 must be a whole amount of at least 0',
  'a negative total is rejected naming total');
select throws_ok($$select guard.split_commission(100, array[50, null, 50])$$, 'VC001',
  'rates must be a non-empty array without NULL', 'a NULL rate is rejected');
select throws_ok($$select guard.split_commission(100, array[]::numeric[])$$, 'VC001',
  'rates must be a non-empty array without NULL', 'no rates at all are rejected');

-- Section - the legal cap: 4% of the sale price for a sale, one month's rent (100) for a rental
select lives_ok($$insert into public.portfolio_confidential (portfolio_id, commission_rate) values ('2026-001', 4.00)$$,
  'a sale at 4.00% is accepted');
select throws_ok($$update public.portfolio_confidential set commission_rate = 4.01 where portfolio_id = '2026-001'$$,
  'VC001', 'commission_rate 4.01 exceeds the legal cap of 4% of the sale price', 'a sale at 4.01% is rejected');
select throws_ok($$insert into public.portfolio_confidential (portfolio_id, commission_rate) values ('2026-003', 5)$$,
  'VC001', 'commission_rate 5.00 exceeds the legal cap of 4% of the sale price', 'a new sale row above the cap is rejected');
select lives_ok($$insert into public.portfolio_confidential (portfolio_id, commission_rate) values ('2026-002', 100)$$,
  'a rental at 100% (one month''s rent) is accepted');
select throws_ok($$update public.portfolio_confidential set commission_rate = 100.01 where portfolio_id = '2026-002'$$,
  'VC001', 'commission_rate 100.01 exceeds the legal cap of one month''s rent (100% of the monthly rent)',
  'a rental above one month''s rent is rejected naming the cap');
update public.portfolio_confidential set commission_rate = 50 where portfolio_id = '2026-002';
select throws_ok($$update public.portfolios set listing_type = 'sale' where id = '2026-002'$$,
  'VC001', 'commission_rate 50.00 exceeds the legal cap of 4% of the sale price', 'rent -> sale with a 50% rate is rejected');
select is((select listing_type from public.portfolios where id = '2026-002'), 'rent', 'and the listing stays a rental');
update public.portfolio_confidential set commission_rate = 3 where portfolio_id = '2026-002';
select lives_ok($$update public.portfolios set listing_type = 'sale' where id = '2026-002'$$, 'rent -> sale with 3% is accepted');
select lives_ok($$update public.portfolios set listing_type = 'rent', title = 'Moda kiralık 2+1' where id = '2026-002'$$,
  'sale -> rent is always within the rental cap');
select lives_ok($$update public.portfolios set listing_type = 'sale' where id = '2026-004'$$,
  'a listing without a confidential row changes type freely');

-- The same rule through the API, for the listing agent and for create_listing.
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select throws_ok($$update public.portfolio_confidential set commission_rate = 5 where portfolio_id = '2026-001'$$,
  'VC001', 'commission_rate 5.00 exceeds the legal cap of 4% of the sale price', 'the listing agent hits the cap too');
select throws_ok($$select public.create_listing(p_type => 'daire', p_listing_type => 'sale', p_title => 'Acıbadem 3+1',
                   p_district => 'Kadıköy', p_listed_price => 9000000, p_rooms => '3+1', p_commission_rate => 4.5)$$,
  'VC001', 'commission_rate 4.50 exceeds the legal cap of 4% of the sale price', 'create_listing above the cap is rejected');
select lives_ok($$select public.create_listing(p_type => 'daire', p_listing_type => 'rent', p_title => 'Acıbadem kiralık 3+1',
                  p_district => 'Kadıköy', p_listed_price => 45000, p_rooms => '3+1', p_commission_rate => 100)$$,
  'create_listing of a rental at one month''s rent is accepted');
reset role;
select is((select count(*)::integer from public.portfolios where title = 'Acıbadem 3+1'), 0, 'the rejected listing was not written');
select is((select commission_rate from public.portfolio_confidential where portfolio_id = '2026-001'), 4.00::numeric,
  'the rejected rate was not written');

-- Another agent probing with rates only ever meets row-level security, never the cap (nor the listing type).
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select throws_ok($$insert into public.portfolio_confidential (portfolio_id, commission_rate) values ('2026-003', 50)$$,
  '42501', 'new row violates row-level security policy for table "portfolio_confidential"', 'an outsider''s rate: only RLS speaks');
reset role;

-- Section - platform_commissions: rows start pending, move pending -> invoiced -> paid, never change otherwise
insert into public.deals (id, portfolio_id, customer_id, listing_agent_id) values
  ('00000000-0000-0000-0000-0000000000d1', '2026-001', '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a1');
insert into public.platform_commissions (id, deal_id, contact_id, role, rate, amount) values
  ('00000000-0000-0000-0000-0000000000f1', '00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000a1', 'listing', 90, 900),
  ('00000000-0000-0000-0000-0000000000f2', '00000000-0000-0000-0000-0000000000d1', null, 'platform', 10, 100);
select is((select array_agg(status order by role) from public.platform_commissions where deal_id = '00000000-0000-0000-0000-0000000000d1'),
  array['pending', 'pending'], 'rows start pending');
select throws_ok($$insert into public.platform_commissions (deal_id, contact_id, role, rate, amount, status) values ('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000a2', 'buying', 0, 0, 'paid')$$,
  'VC002', 'a commission row starts pending, not paid', 'a row cannot be inserted paid');
select throws_ok($$insert into public.platform_commissions (deal_id, contact_id, role, rate, amount, status) values ('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000a2', 'buying', 0, 0, 'invoiced')$$,
  'VC002', 'a commission row starts pending, not invoiced', 'a row cannot be inserted invoiced');
select throws_ok($$update public.platform_commissions set status = 'paid' where id = '00000000-0000-0000-0000-0000000000f1'$$,
  'VC002', 'commission status cannot move from pending to paid', 'pending -> paid skips the invoice');
select lives_ok($$update public.platform_commissions set status = 'pending' where id = '00000000-0000-0000-0000-0000000000f1'$$,
  'pending -> pending changes nothing');
select lives_ok($$update public.platform_commissions set status = 'invoiced' where id = '00000000-0000-0000-0000-0000000000f1'$$,
  'pending -> invoiced');
select throws_ok($$update public.platform_commissions set status = 'pending' where id = '00000000-0000-0000-0000-0000000000f1'$$,
  'VC002', 'commission status cannot move from invoiced to pending', 'invoiced -> pending is rejected');
select lives_ok($$update public.platform_commissions set status = 'paid' where id = '00000000-0000-0000-0000-0000000000f1'$$,
  'invoiced -> paid');
select throws_ok($$update public.platform_commissions set status = 'invoiced' where id = '00000000-0000-0000-0000-0000000000f1'$$,
  'VC002', 'commission status cannot move from paid to invoiced', 'paid -> invoiced is rejected');
select throws_ok($$update public.platform_commissions set status = 'pending' where id = '00000000-0000-0000-0000-0000000000f1'$$,
  'VC002', 'commission status cannot move from paid to pending', 'paid -> pending is rejected');
select throws_ok($$update public.platform_commissions set status = 'refunded' where id = '00000000-0000-0000-0000-0000000000f1'$$,
  'VC002', 'commission status cannot move from paid to refunded', 'no other status exists (the machine speaks first)');
select throws_ok($$update public.platform_commissions set amount = 901 where id = '00000000-0000-0000-0000-0000000000f1'$$,
  'VC001', 'platform_commissions.amount cannot change after the row is written', 'amount never changes');
select throws_ok($$update public.platform_commissions set rate = 95 where id = '00000000-0000-0000-0000-0000000000f2'$$,
  'VC001', 'platform_commissions.rate cannot change after the row is written', 'rate never changes');
select throws_ok($$update public.platform_commissions set role = 'buying' where id = '00000000-0000-0000-0000-0000000000f1'$$,
  'VC001', 'platform_commissions.role cannot change after the row is written', 'role never changes');
select throws_ok($$update public.platform_commissions set contact_id = '00000000-0000-0000-0000-0000000000a2' where id = '00000000-0000-0000-0000-0000000000f1'$$,
  'VC001', 'platform_commissions.contact_id cannot change after the row is written', 'the payee never changes');
select throws_ok($$update public.platform_commissions set contact_id = '00000000-0000-0000-0000-0000000000a2' where id = '00000000-0000-0000-0000-0000000000f2'$$,
  'VC001', 'platform_commissions.contact_id cannot change after the row is written', 'the platform row gets no payee either');
insert into public.deals (id, portfolio_id, customer_id, listing_agent_id) values
  ('00000000-0000-0000-0000-0000000000d9', '2026-004', '00000000-0000-0000-0000-0000000000c2', '00000000-0000-0000-0000-0000000000a1');
select throws_ok($$update public.platform_commissions set deal_id = '00000000-0000-0000-0000-0000000000d9' where id = '00000000-0000-0000-0000-0000000000f2'$$,
  'VC001', 'platform_commissions.deal_id cannot change after the row is written', 'a row never moves to another deal');
select results_eq($$select role, rate, amount, status from public.platform_commissions where deal_id = '00000000-0000-0000-0000-0000000000d1' order by role$$,
  $$values ('listing', 90.00::numeric, 900::bigint, 'paid'), ('platform', 10.00, 100, 'pending')$$, 'nothing rejected was written');

-- Section - write_commissions: the closing writes the split once
update public.portfolio_confidential set commission_rate = 2 where portfolio_id = '2026-001';
insert into public.portfolio_confidential (portfolio_id, commission_rate) values ('2026-003', 3);
insert into public.deals (id, portfolio_id, customer_id, listing_agent_id) values
  ('00000000-0000-0000-0000-0000000000d2', '2026-001', '00000000-0000-0000-0000-0000000000c2', '00000000-0000-0000-0000-0000000000a1');
insert into public.deals (id, portfolio_id, customer_id, listing_agent_id, buying_agent_id) values
  ('00000000-0000-0000-0000-0000000000d3', '2026-003', '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a2');

select throws_ok($$select private.write_commissions('00000000-0000-0000-0000-0000000000d2')$$, 'VC002',
  'deal 00000000-0000-0000-0000-0000000000d2 is matched, not closed: commissions are written when it closes',
  'an open deal gets no commissions, naming its status');
select throws_ok($$select private.write_commissions('00000000-0000-0000-0000-00000000dead')$$, 'VC003',
  'deal 00000000-0000-0000-0000-00000000dead not found', 'a missing deal is not found');
select pg_temp.close_deal('00000000-0000-0000-0000-0000000000d2', 3333333);
select is((select commission_total from public.deals where id = '00000000-0000-0000-0000-0000000000d2'), 66667::bigint,
  'the closed deal''s total: 2% of 3.333.333');

-- Outsiders cannot make the database write (or reveal) a deal's commissions. (Whatever the closing itself
-- wrote is the baseline.)
create temp table d2_closed as select id from public.platform_commissions where deal_id = '00000000-0000-0000-0000-0000000000d2';
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select throws_ok($$select private.write_commissions('00000000-0000-0000-0000-0000000000d2')$$, '42501',
  'permission denied for schema private', 'another office''s agent cannot call the closing''s helper');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c2');
select throws_ok($$select private.write_commissions('00000000-0000-0000-0000-0000000000d2')$$, '42501',
  'permission denied for schema private', 'nor can the deal''s customer');
select pg_temp.act_as_anon();
select throws_ok($$select private.write_commissions('00000000-0000-0000-0000-0000000000d2')$$, '42501',
  'permission denied for schema private', 'nor anon');
reset role;
select set_eq($$select id from public.platform_commissions where deal_id = '00000000-0000-0000-0000-0000000000d2'$$,
  $$select id from d2_closed$$, 'the refused calls wrote nothing');

-- Nor the deal's own agent: only the closing (a trigger, as the definer) reaches it.
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select throws_ok($$select private.write_commissions('00000000-0000-0000-0000-0000000000d2')$$, '42501',
  'permission denied for schema private', 'the deal''s own agent cannot call it either');
reset role;
select lives_ok($$select private.write_commissions('00000000-0000-0000-0000-0000000000d2')$$, 'the closing wrote them (a repeat is harmless)');
select results_eq($$select role, contact_id, rate, amount, status from public.platform_commissions
                    where deal_id = '00000000-0000-0000-0000-0000000000d2' order by role$$,
  $$values ('listing', '00000000-0000-0000-0000-0000000000a1'::uuid, 90.00::numeric, 60000::bigint, 'pending'),
           ('platform', null, 10.00, 6667, 'pending')$$,
  'single 90/10 of 66.667: 60.000,3 -> 60.000 and 6.666,7 -> 6.667; no buying row');
select is((select sum(amount)::bigint from public.platform_commissions where deal_id = '00000000-0000-0000-0000-0000000000d2'),
  66667::bigint, 'the rows add up to commission_total');
create temp table d2_rows as select id, role, amount from public.platform_commissions where deal_id = '00000000-0000-0000-0000-0000000000d2';
select lives_ok($$select private.write_commissions('00000000-0000-0000-0000-0000000000d2')$$, 'a second call is harmless');
select set_eq($$select id, role, amount from public.platform_commissions where deal_id = '00000000-0000-0000-0000-0000000000d2'$$,
  $$select * from d2_rows$$, 'and writes no second set');

-- A new split applies to deals closed afterwards only.
select lives_ok($$select public.set_commission_split('cross', 40, 40, 20)$$, 'the dashboard sets cross to 40/40/20');
select lives_ok($$select public.set_commission_split('single', 80, 0, 20)$$, 'and single to 80/0/20');
select is((select buying_rate from public.set_commission_split('single', 80, null, 20)), 0::numeric,
  'a single deal''s buying_rate left out (NULL) is 0');
select throws_ok($$select public.set_commission_split('cross', 40, null, 60)$$, 'VC001',
  'buying_rate is required for a cross deal (the buying agent''s share)', 'a cross deal needs its buying_rate');
select set_eq($$select id, role, amount from public.platform_commissions where deal_id = '00000000-0000-0000-0000-0000000000d2'$$,
  $$select * from d2_rows$$, 'the deal closed before keeps its rows');
select pg_temp.close_deal('00000000-0000-0000-0000-0000000000d3', 10000001);
select lives_ok($$select private.write_commissions('00000000-0000-0000-0000-0000000000d3')$$, 'the closing wrote a cross deal''s rows (a repeat is harmless)');
select results_eq($$select role, contact_id, rate, amount from public.platform_commissions
                    where deal_id = '00000000-0000-0000-0000-0000000000d3' order by role$$,
  $$values ('buying', '00000000-0000-0000-0000-0000000000a2'::uuid, 40.00::numeric, 120000::bigint),
           ('listing', '00000000-0000-0000-0000-0000000000a1', 40.00, 120000),
           ('platform', null, 20.00, 60000)$$,
  'cross 40/40/20 of 3% of 10.000.001 = 300.000 (300.000,03 rounded)');
-- A deal whose listing has no commission rate does not close, and so has no rows.
insert into public.deals (id, portfolio_id, customer_id, listing_agent_id) values
  ('00000000-0000-0000-0000-0000000000d4', '2026-004', '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a1');
select throws_ok($$select pg_temp.close_deal('00000000-0000-0000-0000-0000000000d4', 30000000)$$, 'VC001',
  'listing 2026-004 has no commission_rate: set it before closing', 'a deal without a commission rate does not close');
select is_empty($$select 1 from public.platform_commissions where deal_id = '00000000-0000-0000-0000-0000000000d4'$$, 'and gets no rows');

-- Section - who may read and set the split
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select results_eq($$select deal_kind, listing_rate, buying_rate, platform_rate from public.commission_split()$$,
  $$values ('single', 80.00::numeric, 0.00::numeric, 20.00::numeric), ('cross', 40.00, 40.00, 20.00)$$,
  'any signed-in caller reads the split, single first');
reset role;
select pg_temp.act_as_anon();
select throws_ok($$select * from public.commission_split()$$, '42501', 'permission denied for function commission_split', 'anon does not');
reset role;

create temp table split_before as select * from pg_temp.split();
grant select on split_before to authenticated, anon;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select throws_ok($$select public.set_commission_split('cross', 50, 40, 10)$$, '42501',
  'only admins and owners may set the commission split', 'an agent cannot set the split');
select throws_ok($$update private.commission_split set listing_rate = 50, buying_rate = 40 where deal_kind = 'cross'$$, '42501',
  'permission denied for schema private', 'nor write the settings directly');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000b1');
select throws_ok($$select public.set_commission_split('cross', 50, 40, 10)$$, '42501',
  'only admins and owners may set the commission split', 'a broker cannot set the split');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select throws_ok($$select public.set_commission_split('cross', 50, 40, 10)$$, '42501',
  'only admins and owners may set the commission split', 'a customer cannot set the split');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ff');
select throws_ok($$select public.set_commission_split('cross', 50, 40, 10)$$, '42501',
  'only admins and owners may set the commission split', 'a token naming no contact cannot set the split');
select pg_temp.act_as_anon();
select throws_ok($$select public.set_commission_split('cross', 50, 40, 10)$$, '42501',
  'permission denied for function set_commission_split', 'anon cannot set the split');
reset role;
select set_eq($$select * from pg_temp.split()$$, $$select * from split_before$$, 'the refused calls changed nothing');

select pg_temp.act_as('00000000-0000-0000-0000-0000000000e1');
select throws_ok($$select public.set_commission_split('cross', 45, 45, 9)$$, 'VC001',
  'listing_rate + buying_rate + platform_rate must add up to 100, not 99', 'rates not adding up to 100');
select throws_ok($$select public.set_commission_split('single', 85, 5, 10)$$, 'VC001',
  'buying_rate 5 must be 0 for a single deal: it has no buying agent', 'a single deal with a buying rate');
select throws_ok($$select public.set_commission_split('cross', 60, 50, -10)$$, 'VC001',
  'platform_rate -10 must be a percentage from 0 to 100 with at most two decimals', 'a negative rate');
select throws_ok($$select public.set_commission_split('cross', 33.333, 33.333, 33.334)$$, 'VC001',
  'listing_rate 33.333 must be a percentage from 0 to 100 with at most two decimals', 'a rate with three decimals');
select throws_ok($$select public.set_commission_split('cross', null, 50, 50)$$, 'VC001',
  'listing_rate NULL must be a percentage from 0 to 100 with at most two decimals', 'a missing rate');
select throws_ok($$select public.set_commission_split('triple', 40, 40, 20)$$, 'VC001',
  'deal_kind triple is not one of single, cross', 'an unknown deal kind');
select set_eq($$select * from pg_temp.split()$$, $$select * from split_before$$, 'invalid values changed nothing');
select results_eq($$select deal_kind, listing_rate, buying_rate, platform_rate from public.set_commission_split('cross', 42.5, 42.5, 15)$$,
  $$values ('cross', 42.50::numeric, 42.50::numeric, 15.00::numeric)$$, 'an admin sets the split and gets the row back');
reset role;

-- Section - who may move a commission's status (the update policy: staff only)
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select is((select count(*)::integer from public.platform_commissions where deal_id = '00000000-0000-0000-0000-0000000000d2'), 2,
  'the deal''s agent reads its commission rows');
select throws_ok($$select public.set_commission_status('00000000-0000-0000-0000-0000000000f2', 'invoiced')$$, '42501',
  'only admins and owners may set a commission''s status', 'but cannot move their status');
select is_empty($$update public.platform_commissions set status = 'invoiced' where id = '00000000-0000-0000-0000-0000000000f2' returning id$$,
  'nor by a direct update (the policy filters the row)');
select throws_ok($$insert into public.platform_commissions (deal_id, contact_id, role, rate, amount) values ('00000000-0000-0000-0000-0000000000d4', '00000000-0000-0000-0000-0000000000a1', 'listing', 90, 1000000)$$,
  '42501', 'new row violates row-level security policy for table "platform_commissions"', 'nor write itself a commission');
select is_empty($$delete from public.platform_commissions where deal_id = '00000000-0000-0000-0000-0000000000d2' returning id$$,
  'nor delete one');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000b1');
select throws_ok($$select public.set_commission_status('00000000-0000-0000-0000-0000000000f2', 'invoiced')$$, '42501',
  'only admins and owners may set a commission''s status', 'a broker cannot move a status');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select throws_ok($$select public.set_commission_status('00000000-0000-0000-0000-0000000000f2', 'invoiced')$$, '42501',
  'only admins and owners may set a commission''s status', 'a customer cannot');
select pg_temp.act_as_anon();
select throws_ok($$select public.set_commission_status('00000000-0000-0000-0000-0000000000f2', 'invoiced')$$, '42501',
  'permission denied for function set_commission_status', 'anon cannot');
reset role;
select is((select status from public.platform_commissions where id = '00000000-0000-0000-0000-0000000000f2'), 'pending',
  'the refused calls changed nothing');
select is((select count(*)::integer from public.platform_commissions where deal_id = '00000000-0000-0000-0000-0000000000d4'), 0,
  'and wrote nothing');

select pg_temp.act_as('00000000-0000-0000-0000-0000000000e1');
select results_eq($$select id, status from public.set_commission_status('00000000-0000-0000-0000-0000000000f2', 'invoiced')$$,
  $$values ('00000000-0000-0000-0000-0000000000f2'::uuid, 'invoiced')$$, 'an admin invoices a commission and gets the row');
select throws_ok($$select public.set_commission_status('00000000-0000-0000-0000-0000000000f2', 'pending')$$, 'VC002',
  'commission status cannot move from invoiced to pending', 'the status machine holds through the RPC');
select throws_ok($$select public.set_commission_status('00000000-0000-0000-0000-0000000000f2', 'refunded')$$, 'VC001',
  'status refunded is not one of pending, invoiced, paid', 'an unknown status names the field');
select throws_ok($$select public.set_commission_status('00000000-0000-0000-0000-00000000dead', 'paid')$$, 'VC003',
  'commission 00000000-0000-0000-0000-00000000dead not found', 'staff learn a missing row is missing');
reset role;
select set_config('role', 'service_role', true);
select results_eq($$select status from public.set_commission_status('00000000-0000-0000-0000-0000000000f2', 'paid')$$,
  $$values ('paid')$$, 'the bot marks it paid');
reset role;

select * from finish();
rollback;
