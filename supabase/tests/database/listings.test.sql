-- Listings (docs/matching.md): ids YYYY-NNN per Istanbul year without gaps (2026-999 -> 2026-1000,
-- explicit ids raise the counter, a failed insert gives its number back); create, update, deactivate and
-- reactivate with their authority; sold only through a closed deal; media appended and reordered atomically
-- and exactly; the confidential row written in the same call.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(105);
\ir fixtures/helpers.psql

-- Moda Emlak: agents a1, a3, broker b1, inactive agent i1. Boğaziçi: agent a2, broker b2. Admin s1, customer c1.
insert into public.contacts (id, phone, contact_type, display_name) values
  ('00000000-0000-0000-0000-0000000000a1', '+905321110001', 'agent', 'Ayşe Yılmaz'),
  ('00000000-0000-0000-0000-0000000000a3', '+905321110003', 'agent', 'Elif Şahin'),
  ('00000000-0000-0000-0000-0000000000b1', '+905321110009', 'agent', 'Kemal Aydın'),
  ('00000000-0000-0000-0000-0000000000e1', '+905321110005', 'agent', 'Eski Ajan'),
  ('00000000-0000-0000-0000-0000000000a2', '+905322220001', 'agent', 'Can Demir'),
  ('00000000-0000-0000-0000-0000000000b2', '+905322220009', 'agent', 'Selin Koç'),
  ('00000000-0000-0000-0000-0000000000ad', '+905320000001', 'staff', 'Deniz Aksoy'),
  ('00000000-0000-0000-0000-0000000000c1', '+905551112233', 'customer', 'Zehra Polat');
insert into public.agent_profiles (contact_id, role, office, active) values
  ('00000000-0000-0000-0000-0000000000a1', 'agent', 'Moda Emlak', true),
  ('00000000-0000-0000-0000-0000000000a3', 'agent', 'Moda Emlak', true),
  ('00000000-0000-0000-0000-0000000000b1', 'broker', 'Moda Emlak', true),
  ('00000000-0000-0000-0000-0000000000e1', 'agent', 'Moda Emlak', false),
  ('00000000-0000-0000-0000-0000000000a2', 'agent', 'Boğaziçi Gayrimenkul', true),
  ('00000000-0000-0000-0000-0000000000b2', 'broker', 'Boğaziçi Gayrimenkul', true),
  ('00000000-0000-0000-0000-0000000000ad', 'admin', null, true);

-- The current year in Istanbul, and an id of it.
create function pg_temp.yr() returns text language sql as $$
  select extract(year from now() at time zone 'Europe/Istanbul')::integer::text
$$;
create function pg_temp.yid(p_number text) returns text language sql as $$ select pg_temp.yr() || '-' || p_number $$;
-- A flat in Kadıköy created through the RPC by the current caller: its id, or 'SQLSTATE: message'.
create function pg_temp.mk(p_title text, p_price bigint default 5000000, p_agent uuid default null) returns text
  language plpgsql as $$
begin
  return (select id from public.create_listing(p_type => 'daire', p_listing_type => 'sale', p_title => p_title,
                                               p_district => 'Kadıköy', p_listed_price => p_price, p_rooms => '2+1',
                                               p_agent_id => p_agent));
exception when others then
  return sqlstate || ': ' || sqlerrm;
end
$$;
-- The confidential row of a listing, read in a statement of its own (a query that calls an RPC in a subquery
-- would not see the rows that RPC wrote).
create function pg_temp.conf(p_id text)
  returns table (owner_name text, owner_phone text, min_price bigint, commission_rate numeric, private_notes text, listed_price bigint)
  language plpgsql as $$
begin
  return query select c.owner_name, c.owner_phone, c.min_price, c.commission_rate, c.private_notes, p.listed_price
               from public.portfolio_confidential c join public.portfolios p on p.id = c.portfolio_id where c.portfolio_id = p_id;
end
$$;
create temporary table t_new (k text primary key, id text);
grant select, insert on t_new to authenticated, service_role;
create function pg_temp.count_listings() returns bigint language sql as $$ select count(*) from public.portfolios $$;

-- ==================================================================================== ids
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select is(pg_temp.mk('Bir'), pg_temp.yid('001'), 'the first listing of the year is YYYY-001');
select is(pg_temp.mk('İki'), pg_temp.yid('002'), 'the next one is YYYY-002');
set local timezone = 'Pacific/Kiritimati';
select is(pg_temp.mk('Üç'), pg_temp.yid('003'), 'the year is Istanbul''s whatever the session time zone');
reset timezone;
reset role;

-- A failed insert gives its number back: the counter row is written in the rolled-back (sub)transaction.
select throws_ok($$insert into public.portfolios (agent_id, type, listing_type, title, district, rooms, listed_price)
                   values ('00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'Sıfır fiyat', 'Kadıköy', '2+1', 0)$$,
  '23514', null, 'an insert failing its checks after the id was taken fails');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select matches(pg_temp.err($$select public.create_listing(p_type => 'daire', p_listing_type => 'sale', p_title => 'Dip yüksek',
                                  p_district => 'Kadıköy', p_listed_price => 5000000, p_rooms => '2+1', p_min_price => 6000000)$$),
  '^VC001: .*min_price', 'a create whose confidential row fails (floor above the price) fails, naming min_price');
select is(pg_temp.mk('Dört'), pg_temp.yid('004'), 'neither failure left a gap');
select is((select count(*) from public.portfolios where title in ('Sıfır fiyat', 'Dip yüksek')), 0::bigint,
  'the failed creates wrote no listing');
reset role;

-- ==================================================================================== create
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select row_eq($$select agent_id, type, listing_type, title, description, city, district, rooms, listed_price, currency, status
                from public.create_listing(p_type => 'daire', p_listing_type => 'rent', p_title => '  Moda''da 1+1  ',
                                           p_district => 'Kadıköy', p_listed_price => 30000, p_rooms => '1+1',
                                           p_description => 'Eşyalı', p_currency => 'TRY')$$,
  row('00000000-0000-0000-0000-0000000000a1'::uuid, 'daire'::text, 'rent'::text, 'Moda''da 1+1'::text, 'Eşyalı'::text,
      'İstanbul'::text, 'Kadıköy'::text, '1+1'::text, 30000::bigint, 'TRY'::text, 'active'::text),
  'an agent creates a listing for itself: active, title trimmed, city İstanbul by default');
select is((select count(*) from public.portfolio_confidential c join public.portfolios p on p.id = c.portfolio_id
           where p.title = 'Moda''da 1+1'), 0::bigint, 'no confidential field given: no confidential row');
insert into t_new select 'villa', id from public.create_listing(
  p_type => 'villa', p_listing_type => 'sale', p_title => 'Bahçeli villa', p_district => 'Beykoz',
  p_listed_price => 40000000, p_rooms => '5+2', p_owner_name => 'Hasan Kaya', p_owner_phone => '+905301110001',
  p_min_price => 38000000, p_commission_rate => 2.5, p_private_notes => 'Acele satılık');
select row_eq($$select owner_name, owner_phone, min_price, commission_rate, private_notes
                from pg_temp.conf((select id from t_new where k = 'villa'))$$,
  row('Hasan Kaya'::text, '+905301110001'::text, 38000000::bigint, 2.50::numeric, 'Acele satılık'::text),
  'the confidential row is written in the same call');
insert into t_new select 'arsa', id from public.create_listing(p_type => 'arsa', p_listing_type => 'sale',
  p_title => 'Arsa', p_district => 'Çatalca', p_listed_price => 6500000, p_min_price => 6000000);
select is((select min_price from pg_temp.conf((select id from t_new where k = 'arsa'))),
  6000000::bigint, 'one confidential field is enough for the row (land needs no rooms)');
select is(pg_temp.count_listings(), 7::bigint, 'so far: every successful create, nothing else');
select throws_ok($$select public.create_listing(p_type => 'daire', p_listing_type => 'sale', p_title => 'Başkası için',
                   p_district => 'Kadıköy', p_listed_price => 5000000, p_rooms => '2+1',
                   p_agent_id => '00000000-0000-0000-0000-0000000000a3')$$, '42501', null,
  'an agent cannot list for another agent of its office');
select throws_ok($$select public.create_listing(p_type => 'daire', p_listing_type => 'sale', p_title => 'Başkası için',
                   p_district => 'Kadıköy', p_listed_price => 5000000, p_rooms => '2+1',
                   p_agent_id => '00000000-0000-0000-0000-0000000000a2')$$, '42501', null,
  'nor for an agent of another office');
-- bad input, each field named
select matches(pg_temp.err($$select public.create_listing(p_type => 'apartment', p_listing_type => 'sale', p_title => 'X',
                  p_district => 'Kadıköy', p_listed_price => 5000000, p_rooms => '2+1')$$), '^VC001: .*type', 'unknown type: VC001 naming type');
select matches(pg_temp.err($$select public.create_listing(p_type => 'daire', p_listing_type => 'lease', p_title => 'X',
                  p_district => 'Kadıköy', p_listed_price => 5000000, p_rooms => '2+1')$$), '^VC001: .*listing_type', 'unknown listing_type: VC001 naming it');
select matches(pg_temp.err($$select public.create_listing(p_type => 'daire', p_listing_type => 'sale', p_title => 'X',
                  p_district => 'Kadıköy', p_listed_price => 0, p_rooms => '2+1')$$), '^VC001: .*listed_price', 'zero price: VC001 naming listed_price');
select matches(pg_temp.err($$select public.create_listing(p_type => 'daire', p_listing_type => 'sale', p_title => 'X',
                  p_district => 'Kadıköy', p_listed_price => 5000000, p_rooms => '2+1', p_currency => 'TL')$$), '^VC001: .*currency', 'currency TL: VC001 naming currency');
select matches(pg_temp.err($$select public.create_listing(p_type => 'daire', p_listing_type => 'sale', p_title => 'X',
                  p_district => 'Kadıköy', p_listed_price => 5000000, p_rooms => '3 + 1')$$), '^VC001: .*rooms', 'rooms 3 + 1: VC001 naming rooms');
select matches(pg_temp.err($$select public.create_listing(p_type => 'daire', p_listing_type => 'sale', p_title => '   ',
                  p_district => 'Kadıköy', p_listed_price => 5000000, p_rooms => '2+1')$$), '^VC001: .*title', 'a blank title: VC001 naming title');
select matches(pg_temp.err($$select public.create_listing(p_type => 'daire', p_listing_type => 'sale', p_title => 'X',
                  p_district => 'Kadıköy', p_listed_price => 5000000)$$), '^(VC001|23514): .*rooms', 'a flat without rooms is rejected, naming rooms');
select matches(pg_temp.err($$select public.create_listing(p_type => 'daire', p_listing_type => 'sale', p_title => 'X',
                  p_district => 'Kadıköy', p_listed_price => 5000000, p_rooms => '2+1', p_owner_phone => '0532 111 22 33')$$),
  '^VC001: .*owner_phone', 'an owner phone not in E.164: VC001 naming owner_phone');
select matches(pg_temp.err($$select public.create_listing(p_type => 'daire', p_listing_type => 'sale', p_title => 'X',
                  p_district => 'Kadıköy', p_listed_price => 5000000, p_rooms => '2+1', p_commission_rate => 0)$$),
  '^VC001: .*commission_rate', 'a zero commission: VC001 naming commission_rate');
select is(pg_temp.count_listings(), 7::bigint, 'no rejected create wrote a listing');
-- An agent writing the table directly cannot put a listing on the market as sold.
select throws_ok($$insert into public.portfolios (agent_id, type, listing_type, title, district, rooms, listed_price, status)
                   values ('00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'Satılmış', 'Kadıköy', '2+1', 5000000, 'sold')$$,
  'VC002', null, 'a listing cannot be inserted as sold (sold only through a closed deal)');
reset role;

select pg_temp.act_as('00000000-0000-0000-0000-0000000000b1');
select is((select agent_id from public.create_listing(p_type => 'daire', p_listing_type => 'sale', p_title => 'Broker ilanı',
             p_district => 'Kadıköy', p_listed_price => 5000000, p_rooms => '2+1', p_agent_id => '00000000-0000-0000-0000-0000000000a3')),
  '00000000-0000-0000-0000-0000000000a3'::uuid, 'a broker lists for an agent of its office');
select throws_ok($$select public.create_listing(p_type => 'daire', p_listing_type => 'sale', p_title => 'Broker ilanı',
                   p_district => 'Kadıköy', p_listed_price => 5000000, p_rooms => '2+1', p_agent_id => '00000000-0000-0000-0000-0000000000a2')$$,
  '42501', null, 'a broker cannot list for an agent of another office');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select matches(pg_temp.mk('Müşteri ilanı'), '^42501: ', 'a customer cannot create listings');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000e1');
select matches(pg_temp.mk('Pasif ajan ilanı'), '^42501: ', 'an inactive agent cannot create listings');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select is((select agent_id from public.create_listing(p_type => 'daire', p_listing_type => 'sale', p_title => 'Admin ilanı',
             p_district => 'Şişli', p_listed_price => 9000000, p_rooms => '3+1', p_agent_id => '00000000-0000-0000-0000-0000000000a2')),
  '00000000-0000-0000-0000-0000000000a2'::uuid, 'staff list for any agent');
select matches(pg_temp.err($$select public.create_listing(p_type => 'daire', p_listing_type => 'sale', p_title => 'Müşteriye',
                   p_district => 'Şişli', p_listed_price => 9000000, p_rooms => '3+1', p_agent_id => '00000000-0000-0000-0000-0000000000c1')$$),
  '^VC001: .*agent', 'the listing agent must be an active agent');
reset role;
select pg_temp.act_as_bot();
select is((select agent_id from public.create_listing(p_type => 'daire', p_listing_type => 'sale', p_title => 'Bot ilanı',
             p_district => 'Kadıköy', p_listed_price => 5000000, p_rooms => '2+1', p_agent_id => '00000000-0000-0000-0000-0000000000a1')),
  '00000000-0000-0000-0000-0000000000a1'::uuid, 'the bot lists for an agent');
select matches(pg_temp.mk('Kimsesiz'), '^VC001: ', 'the bot must name the agent');
reset role;

-- ==================================================================================== update
-- l1, l2, l3: the first three listings of the year, a1's.
create temporary table t_ids as select pg_temp.yid('001') as l1, pg_temp.yid('002') as l2, pg_temp.yid('003') as l3;
grant select on t_ids to authenticated, service_role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select row_eq($$select title, description, district, rooms, listed_price, currency, status
                from public.update_listing(p_portfolio_id => (select l1 from t_ids), p_title => 'Bir, yeni başlık')$$,
  row('Bir, yeni başlık'::text, null::text, 'Kadıköy'::text, '2+1'::text, 5000000::bigint, 'TRY'::text, 'active'::text),
  'update changes the given field and keeps the others');
select row_eq($$select description, district, rooms, listed_price, currency
                from public.update_listing(p_portfolio_id => (select l1 from t_ids), p_description => 'Asansörlü',
                                           p_district => 'Üsküdar', p_rooms => '3+1', p_listed_price => 5500000, p_currency => 'EUR')$$,
  row('Asansörlü'::text, 'Üsküdar'::text, '3+1'::text, 5500000::bigint, 'EUR'::text), 'every listing field can be changed');
select is((select count(*) from pg_temp.conf((select l1 from t_ids))), 0::bigint, '(l1 has no confidential row yet)');
select lives_ok($$select public.update_listing(p_portfolio_id => (select l1 from t_ids), p_min_price => 5000000)$$, 'a1 gives l1 a floor');
select is((select min_price from pg_temp.conf((select l1 from t_ids))), 5000000::bigint,
  'a floor given to a listing without confidential row creates it');
select lives_ok($$select public.update_listing(p_portfolio_id => (select l1 from t_ids), p_private_notes => 'Pazarlık payı var')$$,
  'a1 adds a note');
select row_eq($$select min_price, private_notes, owner_name from pg_temp.conf((select l1 from t_ids))$$,
  row(5000000::bigint, 'Pazarlık payı var'::text, null::text), 'a confidential field given keeps the others');
select matches(pg_temp.err($$select public.update_listing(p_portfolio_id => (select l1 from t_ids), p_listed_price => 4900000)$$),
  '^VC001: .*listed_price', 'the price cannot go below the floor');
select lives_ok($$select public.update_listing(p_portfolio_id => (select l1 from t_ids), p_listed_price => 7000000, p_min_price => 6500000)$$,
  'a new price and a floor above the old price in one call');
select row_eq($$select listed_price, min_price from pg_temp.conf((select l1 from t_ids))$$,
  row(7000000::bigint, 6500000::bigint), 'are both set');
select lives_ok($$select public.update_listing(p_portfolio_id => (select l1 from t_ids), p_listed_price => 6000000, p_min_price => 5800000)$$,
  'a lower price and a floor below the new price in one call');
select row_eq($$select listed_price, min_price from pg_temp.conf((select l1 from t_ids))$$,
  row(6000000::bigint, 5800000::bigint), 'are both set');
select matches(pg_temp.err($$select public.update_listing(p_portfolio_id => (select l1 from t_ids), p_min_price => 6000001)$$),
  '^VC001: .*min_price', 'the floor cannot go above the price');
select matches(pg_temp.err($$select public.update_listing(p_portfolio_id => (select l1 from t_ids), p_rooms => '3+')$$),
  '^VC001: .*rooms', 'bad rooms on update: VC001 naming rooms');
select matches(pg_temp.err($$select public.update_listing(p_portfolio_id => (select l1 from t_ids), p_currency => 'TL')$$),
  '^VC001: .*currency', 'bad currency on update: VC001 naming currency');
select throws_ok($$select public.update_listing(p_portfolio_id => '2099-001', p_title => 'Yok')$$, '42501', null,
  'an agent updating a missing listing gets 42501, not whether it exists');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000b1');
select is((select title from public.update_listing(p_portfolio_id => (select l1 from t_ids), p_title => 'Broker düzeltti')),
  'Broker düzeltti', 'the broker of the office updates its agents'' listings');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a3');
select throws_ok($$select public.update_listing(p_portfolio_id => (select l1 from t_ids), p_title => 'Komşu')$$, '42501', null,
  'another agent of the same office cannot update it');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select throws_ok($$select public.update_listing(p_portfolio_id => (select l1 from t_ids), p_title => 'Rakip')$$, '42501', null,
  'an agent of another office cannot update it');
select throws_ok($$select public.update_listing(p_portfolio_id => (select l1 from t_ids), p_min_price => 1)$$, '42501', null,
  'nor set its floor');
select is(pg_temp.err($$select public.update_listing(p_portfolio_id => (select l1 from t_ids), p_title => 'Rakip')$$),
          replace(pg_temp.err($$select public.update_listing(p_portfolio_id => '2099-001', p_title => 'Rakip')$$), '2099-001', (select l1 from t_ids)),
  'the refusal reads the same whether the listing exists or not');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000b2');
select throws_ok($$select public.update_listing(p_portfolio_id => (select l1 from t_ids), p_title => 'Rakip broker')$$, '42501', null,
  'a broker of another office cannot update it');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select throws_ok($$select public.update_listing(p_portfolio_id => (select l1 from t_ids), p_title => 'Müşteri')$$, '42501', null,
  'a customer cannot update it');
reset role;
select row_eq($$select p.title, c.min_price from public.portfolios p join public.portfolio_confidential c on c.portfolio_id = p.id
                where p.id = (select l1 from t_ids)$$, row('Broker düzeltti'::text, 5800000::bigint), 'the refused updates changed nothing');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select throws_ok($$select public.update_listing(p_portfolio_id => '2099-001', p_title => 'Yok')$$, 'VC003', null,
  'staff updating a missing listing learn it is missing');
reset role;
select pg_temp.act_as_bot();
select throws_ok($$select public.update_listing(p_portfolio_id => '2099-001', p_min_price => 1000)$$, 'VC003', null,
  'the bot updating a missing listing (with a floor) learns it is missing');
reset role;

-- ==================================================================================== status
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select is((select status from public.deactivate_listing((select l2 from t_ids))), 'inactive', 'deactivate: active -> inactive');
select is((select status from public.reactivate_listing((select l2 from t_ids))), 'active', 'reactivate: inactive -> active');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select throws_ok($$select public.deactivate_listing((select l2 from t_ids))$$, '42501', null, 'another office cannot deactivate it');
select throws_ok($$select public.reactivate_listing((select l2 from t_ids))$$, '42501', null, 'nor reactivate it');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a3');
select throws_ok($$select public.deactivate_listing((select l2 from t_ids))$$, '42501', null, 'nor another agent of the same office');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000b1');
select is((select status from public.deactivate_listing((select l2 from t_ids))), 'inactive', 'the broker of the office deactivates it');
select is((select status from public.reactivate_listing((select l2 from t_ids))), 'active', 'and reactivates it');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select throws_ok($$select public.deactivate_listing('2099-001')$$, 'VC003', null, 'staff deactivating a missing listing learn it is missing');
reset role;
select is((select status from public.portfolios where id = (select l2 from t_ids)), 'active', 'the refused status changes changed nothing');

-- sold: never by hand, only when a deal on the listing has closed; then final.
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select matches(pg_temp.err($$update public.portfolios set status = 'sold' where id = (select l2 from t_ids)$$),
  '^VC002: .*active.*sold', 'the listing agent cannot mark it sold: VC002 naming both states');
reset role;
select matches(pg_temp.err($$update public.portfolios set status = 'sold' where id = (select l2 from t_ids)$$),
  '^VC002: .*active.*sold', 'nor can the database owner without a closed deal');
insert into public.portfolio_confidential (portfolio_id, commission_rate) values ((select l2 from t_ids), 2.00)
  on conflict (portfolio_id) do update set commission_rate = excluded.commission_rate;
insert into public.deals (portfolio_id, customer_id, created_by)
values ((select l2 from t_ids), '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a1');
update public.deals set status = 'showing' where portfolio_id = (select l2 from t_ids);
insert into public.deal_negotiations (deal_id, from_contact_id, to_contact_id, amount)
select id, customer_id, customer_id, 1000000 from public.deals where portfolio_id = (select l2 from t_ids);
update public.deal_negotiations set status = 'accepted';
update public.deals set status = 'closing' where portfolio_id = (select l2 from t_ids);
select matches(pg_temp.err($$update public.portfolios set status = 'sold' where id = (select l2 from t_ids)$$),
  '^VC002: ', 'an open deal is not enough, even closing');
update public.deal_confirmations set confirmed = true;
select is((select status from public.portfolios where id = (select l2 from t_ids)), 'sold', 'the deal''s closing sells the listing');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select matches(pg_temp.err($$select public.reactivate_listing((select l2 from t_ids))$$), '^VC002: .*sold.*active',
  'sold is final: no reactivation (VC002 naming both states)');
select matches(pg_temp.err($$select public.deactivate_listing((select l2 from t_ids))$$), '^VC002: .*sold.*inactive',
  'sold is final: no deactivation');
reset role;

-- ==================================================================================== media
create temporary table t_media (n integer primary key, id uuid);
grant select, insert on t_media to authenticated;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
insert into t_media select 0, id from public.add_media((select l1 from t_ids), 'photo', 'portfolios/x/salon.jpg');
insert into t_media select 1, id from public.add_media((select l1 from t_ids), 'photo', 'portfolios/x/mutfak.jpg');
insert into t_media select 2, id from public.add_media((select l1 from t_ids), 'video', 'portfolios/x/tur.mp4');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000b1');
insert into t_media select 3, id from public.add_media((select l1 from t_ids), 'photo', 'portfolios/x/balkon.jpg');
reset role;
select results_eq($$select m.id, m.sort_order, m.media_type, m.uploaded_by from public.portfolio_media m
                    join t_media t on t.id = m.id order by t.n$$,
  $$values ((select id from t_media where n = 0), 0, 'photo'::text, '00000000-0000-0000-0000-0000000000a1'::uuid),
           ((select id from t_media where n = 1), 1, 'photo'::text, '00000000-0000-0000-0000-0000000000a1'::uuid),
           ((select id from t_media where n = 2), 2, 'video'::text, '00000000-0000-0000-0000-0000000000a1'::uuid),
           ((select id from t_media where n = 3), 3, 'photo'::text, '00000000-0000-0000-0000-0000000000b1'::uuid)$$,
  'media are appended last, in order, with their uploader (the broker too)');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select matches(pg_temp.err($$select public.add_media((select l1 from t_ids), 'audio', 'x.mp3')$$), '^VC001: .*media_type',
  'audio is not media: VC001 naming media_type');
select matches(pg_temp.err($$select public.add_media((select l1 from t_ids), 'photo', '  ')$$), '^VC001: .*storage_path',
  'a blank storage path: VC001 naming storage_path');
-- reorder: exactly the listing's media, each once, atomically
select results_eq($$select id, sort_order from public.reorder_media((select l1 from t_ids),
                     array(select id from t_media order by array_position(array[3, 0, 2, 1], n)))$$,
  $$select id, (array_position(array[3, 0, 2, 1], n) - 1) from t_media order by array_position(array[3, 0, 2, 1], n)$$,
  'reorder returns the media in the new order, positions 0..n-1');
select results_eq($$select id from public.portfolio_media where portfolio_id = (select l1 from t_ids) order by sort_order$$,
  $$select id from t_media order by array_position(array[3, 0, 2, 1], n)$$, 'and the table holds that order');
select results_eq($$select id from public.reorder_media((select l1 from t_ids),
                     array(select id from t_media order by array_position(array[3, 0, 2, 1], n)))$$,
  $$select id from t_media order by array_position(array[3, 0, 2, 1], n)$$, 'reordering to the same order changes nothing');
select matches(pg_temp.err($$select public.reorder_media((select l1 from t_ids), array(select id from t_media where n <> 2))$$),
  '^VC001: ', 'a reorder missing one media is rejected');
select matches(pg_temp.err($$select public.reorder_media((select l1 from t_ids),
                              array(select id from t_media) || (select id from t_media where n = 0))$$),
  '^VC001: ', 'a reorder naming one media twice is rejected');
select matches(pg_temp.err($$select public.reorder_media((select l1 from t_ids),
                              array(select id from t_media where n <> 1) || (select id from t_media where n = 0))$$),
  '^VC001: ', 'a reorder with the right count but a duplicate instead of one media is rejected');
select matches(pg_temp.err($$select public.reorder_media((select l1 from t_ids), array(select id from t_media) || gen_random_uuid())$$),
  '^VC001: ', 'a reorder with an unknown id is rejected');
select matches(pg_temp.err($$select public.reorder_media((select l1 from t_ids), null)$$), '^VC001: ', 'a reorder of nothing is rejected');
select results_eq($$select id from public.portfolio_media where portfolio_id = (select l1 from t_ids) order by sort_order$$,
  $$select id from t_media order by array_position(array[3, 0, 2, 1], n)$$, 'the rejected reorders changed nothing');
-- a media of another listing cannot be pulled in
insert into t_media select 10, id from public.add_media((select l3 from t_ids), 'photo', 'portfolios/y/1.jpg');
select matches(pg_temp.err($$select public.reorder_media((select l1 from t_ids),
                              array(select id from t_media where n in (0, 1, 2, 10)))$$),
  '^VC001: ', 'a reorder naming another listing''s media is rejected');
select is((select sort_order from public.portfolio_media where id = (select id from t_media where n = 10)), 0,
  'another listing''s media keep their own positions from 0');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select throws_ok($$select public.add_media((select l1 from t_ids), 'photo', 'rakip.jpg')$$, '42501', null,
  'another office cannot add media');
select throws_ok($$select public.reorder_media((select l1 from t_ids), array(select id from t_media where n < 4))$$, '42501', null,
  'nor reorder them');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select throws_ok($$select public.add_media((select l1 from t_ids), 'photo', 'musteri.jpg')$$, '42501', null, 'a customer cannot add media');
reset role;
select results_eq($$select id from public.portfolio_media where portfolio_id = (select l1 from t_ids) order by sort_order$$,
  $$select id from t_media where n < 4 order by array_position(array[3, 0, 2, 1], n)$$, 'the refused calls changed nothing');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select throws_ok($$select public.add_media('2099-001', 'photo', 'yok.jpg')$$, 'VC003', null, 'staff adding media to a missing listing learn it is missing');
reset role;
-- sort_order stays unique per listing under any reorder: every position moves but one, in one call
select pg_temp.act_as('00000000-0000-0000-0000-0000000000b1');
select lives_ok($$select public.reorder_media((select l1 from t_ids), array(select id from t_media where n < 4 order by n))$$,
  'the broker reorders them, swapping positions, in one call');
reset role;
select results_eq($$select sort_order from public.portfolio_media where portfolio_id = (select l1 from t_ids) order by sort_order$$,
  $$values (0), (1), (2), (3)$$, 'positions stay 0..n-1, each once');

-- ==================================================================================== ids after 999
-- Explicit ids (seed, import) raise the counter; 999 is followed by 1000.
select lives_ok(format($$insert into public.portfolios (id, agent_id, type, listing_type, title, district, rooms, listed_price)
                         values (%L, '00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'İthal', 'Kadıköy', '2+1', 5000000)$$,
                       pg_temp.yid('998')), 'an explicit id YYYY-998 is accepted');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select is(pg_temp.mk('Dokuz yüz doksan dokuz'), pg_temp.yid('999'), 'after an explicit 998 comes 999');
select is(pg_temp.mk('Bin'), pg_temp.yid('1000'), '999 is followed by 1000');
select is(pg_temp.mk('Bin bir'), pg_temp.yid('1001'), 'then 1001');
reset role;
select lives_ok(format($$insert into public.portfolios (id, agent_id, type, listing_type, title, district, rooms, listed_price)
                         values (%L, '00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'Eski ithal', 'Kadıköy', '2+1', 5000000)$$,
                       pg_temp.yid('050')), 'an explicit id below the counter is accepted');
select lives_ok($$insert into public.portfolios (id, agent_id, type, listing_type, title, district, rooms, listed_price)
                  values ('2031-041', '00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'Gelecek', 'Kadıköy', '2+1', 5000000)$$,
  'an explicit id of another year is accepted');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select is(pg_temp.mk('Bin iki'), pg_temp.yid('1002'), 'a lower explicit id and another year''s id leave this year''s counter alone');
reset role;
select is((select last_number from private.portfolio_id_counters where year = 2031), 41,
  'another year''s explicit id raised that year''s counter');
select throws_ok(format($$insert into public.portfolios (id, agent_id, type, listing_type, title, district, rooms, listed_price)
                          values (%L, '00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'Çift', 'Kadıköy', '2+1', 5000000)$$,
                        pg_temp.yid('999')), '23505', null, 'an explicit id already taken is a duplicate');
select ok((select bool_and(id ~ '^[0-9]{4}-[0-9]{3,}$') from public.portfolios), 'every id is YYYY-NNN');


select * from finish();
rollback;
