-- portfolio_history (docs/matching.md): written by triggers only, one row per create, update,
-- deactivate, reactivate and sold with only the changed fields, changed_by the acting contact; changes of
-- the confidential row audited as is_confidential rows that only its readers see; nobody writes it directly.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(52);
\ir fixtures/helpers.psql

-- Moda Emlak: agents a1, a3, broker b1. Boğaziçi: agent a2 (full grant on the listing). Admin, customer.
insert into public.contacts (id, phone, contact_type, display_name) values
  ('00000000-0000-0000-0000-0000000000a1', '+905321110001', 'agent', 'Ayşe Yılmaz'),
  ('00000000-0000-0000-0000-0000000000a3', '+905321110003', 'agent', 'Elif Şahin'),
  ('00000000-0000-0000-0000-0000000000b1', '+905321110009', 'agent', 'Kemal Aydın'),
  ('00000000-0000-0000-0000-0000000000a2', '+905322220001', 'agent', 'Can Demir'),
  ('00000000-0000-0000-0000-0000000000ad', '+905320000001', 'staff', 'Deniz Aksoy'),
  ('00000000-0000-0000-0000-0000000000c1', '+905551112233', 'customer', 'Zehra Polat');
insert into public.agent_profiles (contact_id, role, office) values
  ('00000000-0000-0000-0000-0000000000a1', 'agent', 'Moda Emlak'),
  ('00000000-0000-0000-0000-0000000000a3', 'agent', 'Moda Emlak'),
  ('00000000-0000-0000-0000-0000000000b1', 'broker', 'Moda Emlak'),
  ('00000000-0000-0000-0000-0000000000a2', 'agent', 'Boğaziçi Gayrimenkul'),
  ('00000000-0000-0000-0000-0000000000ad', 'admin', null);

-- History rows of listing 2026-100 (the listing of this file) that the current role reads.
create function pg_temp.h_count(p_confidential boolean default null) returns bigint language sql as $$
  select count(*) from public.portfolio_history
  where portfolio_id = '2026-100' and (p_confidential is null or is_confidential = p_confidential)
$$;
-- The rows of 2026-100 written since the last call (created_at is the transaction's time here, so rows
-- are told apart by remembering the ones already seen).
create temporary table t_seen (id uuid primary key);
grant select, insert on t_seen to authenticated, service_role;
create function pg_temp.h_new()
  returns table (is_confidential boolean, event_type text, old_value jsonb, new_value jsonb, changed_by uuid)
  language sql as $$
  with fresh as (
    insert into t_seen (id)
    select h.id from public.portfolio_history h
    where h.portfolio_id = '2026-100' and not exists (select 1 from t_seen s where s.id = h.id)
    returning id
  )
  select h.is_confidential, h.event_type, h.old_value, h.new_value, h.changed_by from public.portfolio_history h
  where h.id in (select id from fresh)
  order by h.is_confidential, h.event_type
$$;

-- ===================================================================================== create
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
-- (a fixed id takes a trusted session: through the API the database numbers listings; the claims stay)
reset role;
insert into public.portfolios (id, agent_id, type, listing_type, title, description, district, rooms, listed_price)
values ('2026-100', '00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'Moda 3+1', 'Deniz manzaralı', 'Kadıköy', '3+1', 12500000);
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select results_eq($$select is_confidential, event_type, old_value is null, new_value ->> 'title', changed_by from pg_temp.h_new()$$,
  $$values (false, 'create'::text, true, 'Moda 3+1'::text, '00000000-0000-0000-0000-0000000000a1'::uuid)$$,
  'a create writes one row: event create, no old value, the new fields, changed_by the acting agent');
reset role;
select ok((select not (new_value ?| array['search_vector', 'created_at', 'updated_at', 'district_norm', 'district_keys',
                                          'type_keys', 'match_floor', 'price_reach'])
           from public.portfolio_history where portfolio_id = '2026-100' and event_type = 'create'),
  'the create row holds no derived or bookkeeping column (search vector, timestamps, matching keys, the floor copy)');

-- ===================================================================================== updates
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select lives_ok($$select public.update_listing(p_portfolio_id => '2026-100', p_title => 'Moda''da 3+1')$$, 'a1 renames its listing');
select results_eq($$select * from pg_temp.h_new()$$,
  $$values (false, 'update'::text, '{"title": "Moda 3+1"}'::jsonb, '{"title": "Moda''da 3+1"}'::jsonb, '00000000-0000-0000-0000-0000000000a1'::uuid)$$,
  'an update writes one row with only the changed field, old and new');
select lives_ok($$select public.update_listing(p_portfolio_id => '2026-100', p_listed_price => 12000000, p_district => 'Üsküdar')$$,
  'a1 changes price and district');
select results_eq($$select event_type, old_value, new_value from pg_temp.h_new()$$,
  $$values ('update'::text, '{"district": "Kadıköy", "listed_price": 12500000}'::jsonb, '{"district": "Üsküdar", "listed_price": 12000000}'::jsonb)$$,
  'two fields changed: both, and only they');
select lives_ok($$select public.update_listing(p_portfolio_id => '2026-100', p_title => 'Moda''da 3+1', p_district => 'Üsküdar')$$,
  'an update to the same values');
select is((select count(*) from pg_temp.h_new()), 0::bigint, 'changes nothing and writes no row');
select lives_ok($$update public.portfolios set description = 'Deniz manzaralı, asansörlü' where id = '2026-100'$$,
  'a1 updates the table directly (as PostgREST does)');
select results_eq($$select * from pg_temp.h_new()$$,
  $$values (false, 'update'::text, '{"description": "Deniz manzaralı"}'::jsonb, '{"description": "Deniz manzaralı, asansörlü"}'::jsonb,
            '00000000-0000-0000-0000-0000000000a1'::uuid)$$, 'is audited the same way');
select matches(pg_temp.err($$select public.update_listing(p_portfolio_id => '2026-100', p_rooms => '3 + 1')$$), '^VC001',
  'a rejected update');
select is((select count(*) from pg_temp.h_new()), 0::bigint, 'writes no history');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000b1');
select lives_ok($$select public.update_listing(p_portfolio_id => '2026-100', p_rooms => '4+1')$$, 'the broker changes the rooms');
select results_eq($$select old_value, new_value, changed_by from pg_temp.h_new()$$,
  $$values ('{"rooms": "3+1"}'::jsonb, '{"rooms": "4+1"}'::jsonb, '00000000-0000-0000-0000-0000000000b1'::uuid)$$,
  'changed_by is the broker who acted, not the listing agent');
reset role;
select pg_temp.act_as_bot();
select lives_ok($$select public.update_listing(p_portfolio_id => '2026-100', p_rooms => '3+1')$$, 'the bot changes the rooms back');
select results_eq($$select old_value, new_value, changed_by from pg_temp.h_new()$$,
  $$values ('{"rooms": "4+1"}'::jsonb, '{"rooms": "3+1"}'::jsonb, null::uuid)$$, 'acting as no contact: changed_by is NULL');
reset role;

-- ===================================================================================== status
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select lives_ok($$select public.deactivate_listing('2026-100')$$, 'deactivate');
select results_eq($$select * from pg_temp.h_new()$$,
  $$values (false, 'deactivate'::text, '{"status": "active"}'::jsonb, '{"status": "inactive"}'::jsonb, '00000000-0000-0000-0000-0000000000a1'::uuid)$$,
  'a deactivate row with only the status');
select lives_ok($$select public.reactivate_listing('2026-100')$$, 'reactivate');
select results_eq($$select * from pg_temp.h_new()$$,
  $$values (false, 'reactivate'::text, '{"status": "inactive"}'::jsonb, '{"status": "active"}'::jsonb, '00000000-0000-0000-0000-0000000000a1'::uuid)$$,
  'a reactivate row with only the status');
select lives_ok($$select public.deactivate_listing('2026-100')$$, 'deactivate again');
select results_eq($$select event_type from pg_temp.h_new()$$, $$values ('deactivate'::text)$$, 'one more deactivate row');
select lives_ok($$update public.portfolios set status = 'active', title = 'Moda''da 3+1, yenilendi' where id = '2026-100'$$,
  'reactivate and rename in one statement');
select results_eq($$select * from pg_temp.h_new()$$,
  $$values (false, 'reactivate'::text, '{"status": "inactive", "title": "Moda''da 3+1"}'::jsonb,
            '{"status": "active", "title": "Moda''da 3+1, yenilendi"}'::jsonb, '00000000-0000-0000-0000-0000000000a1'::uuid)$$,
  'one reactivate row holding both changed fields');
reset role;

-- ===================================================================================== confidential
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select lives_ok($$select public.update_listing(p_portfolio_id => '2026-100', p_min_price => 11111111, p_owner_name => 'Hasan Kaya')$$,
  'a1 gives the owner and a floor');
select results_eq($$select is_confidential, event_type, new_value ->> 'min_price', new_value ->> 'owner_name', changed_by from pg_temp.h_new()$$,
  $$values (true, 'create'::text, '11111111'::text, 'Hasan Kaya'::text, '00000000-0000-0000-0000-0000000000a1'::uuid)$$,
  'the new confidential row is audited as one is_confidential row, and nothing else is written');
select lives_ok($$update public.portfolio_confidential set min_price = 11222222 where portfolio_id = '2026-100'$$,
  'a1 raises the floor on the table directly');
select results_eq($$select * from pg_temp.h_new()$$,
  $$values (true, 'update'::text, '{"min_price": 11111111}'::jsonb, '{"min_price": 11222222}'::jsonb, '00000000-0000-0000-0000-0000000000a1'::uuid)$$,
  'a confidential update: one row, only the changed field');
select lives_ok($$select public.update_listing(p_portfolio_id => '2026-100', p_title => 'Moda''da 3+1, son', p_listed_price => 13333333,
                                               p_min_price => 13000000)$$,
  'title, price and a floor above the old price in one call');
select results_eq($$select is_confidential, old_value, new_value from pg_temp.h_new()$$,
  $$values (false, '{"title": "Moda''da 3+1, yenilendi", "listed_price": 12000000}'::jsonb, '{"title": "Moda''da 3+1, son", "listed_price": 13333333}'::jsonb),
           (true, '{"min_price": 11222222}'::jsonb, '{"min_price": 13000000}'::jsonb)$$,
  'one update row for the listing''s fields of the call, one for its confidential field');
select lives_ok($$select public.update_listing(p_portfolio_id => '2026-100', p_private_notes => 'GİZLİ not')$$, 'a note');
select results_eq($$select is_confidential, old_value, new_value from pg_temp.h_new()$$,
  $$values (true, '{"private_notes": null}'::jsonb, '{"private_notes": "GİZLİ not"}'::jsonb)$$, 'one confidential row');
reset role;
-- no non-confidential row ever holds a confidential field or the floor's value
select is((select count(*) from public.portfolio_history h
           where not h.is_confidential
             and (coalesce(h.old_value, '{}') ?| array['min_price', 'owner_name', 'owner_phone', 'commission_rate', 'private_notes', 'match_floor', 'price_reach']
                  or coalesce(h.new_value, '{}') ?| array['min_price', 'owner_name', 'owner_phone', 'commission_rate', 'private_notes', 'match_floor', 'price_reach']
                  or concat(h.old_value, h.new_value) ~ '11111111|11222222|13000000|Hasan|GİZLİ')), 0::bigint,
  'no non-confidential row holds a confidential field or value');
-- create_listing with confidential fields: the create row and one confidential row
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
create temporary table t_villa as
  select id from public.create_listing(p_type => 'villa', p_listing_type => 'sale', p_title => 'Villa', p_district => 'Beykoz',
                                       p_listed_price => 40000000, p_rooms => '5+2', p_min_price => 38000000);
select results_eq($$select h.is_confidential, h.event_type, h.new_value ? 'min_price', h.changed_by from public.portfolio_history h
                    where h.portfolio_id = (select id from t_villa) order by h.is_confidential$$,
  $$values (false, 'create'::text, false, '00000000-0000-0000-0000-0000000000a1'::uuid),
           (true, 'create'::text, true, '00000000-0000-0000-0000-0000000000a1'::uuid)$$,
  'a create with a floor: a create row, and a confidential row holding the floor');
reset role;

-- ===================================================================================== sold
-- a deal walked to closing; its (only) confirmation closes it, which sells the listing
update public.portfolio_confidential set commission_rate = 2.00 where portfolio_id = '2026-100';
insert into public.deals (portfolio_id, customer_id, created_by)
values ('2026-100', '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a1');
update public.deals set status = 'showing' where portfolio_id = '2026-100';
insert into public.deal_negotiations (deal_id, from_contact_id, to_contact_id, amount)
select id, customer_id, customer_id, 13000000 from public.deals where portfolio_id = '2026-100';
update public.deal_negotiations set status = 'accepted';
update public.deals set status = 'closing' where portfolio_id = '2026-100';
select count(*) from pg_temp.h_new();  -- the commission rate's row is not the subject here
select pg_temp.act_as_db();
select lives_ok($$update public.deal_confirmations set confirmed = true$$, 'the closing deal sells the listing');
select results_eq($$select * from pg_temp.h_new()$$,
  $$values (false, 'sold'::text, '{"status": "active"}'::jsonb, '{"status": "sold"}'::jsonb, null::uuid)$$,
  'a sold row with only the status (the database acting: changed_by NULL)');
reset role;
create temporary table t_expect as
  select count(*) as total, count(*) filter (where is_confidential) as confidential
  from public.portfolio_history where portfolio_id = '2026-100';
grant select on t_expect to authenticated;

-- ===================================================================================== readers
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select is(pg_temp.h_count(), (select total from t_expect), 'the listing agent reads every row, confidential ones too');
select is(pg_temp.h_count(true), 5::bigint, '(among them the five confidential rows)');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000b1');
select is(pg_temp.h_count(true), (select confidential from t_expect),
  'the broker of the office reads the confidential rows');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select is(pg_temp.h_count(), (select total from t_expect), 'an admin reads every row');
reset role;
insert into public.agent_visibility (portfolio_id, agent_id, visibility_level, granted_by)
values ('2026-100', '00000000-0000-0000-0000-0000000000a2', 'full', '00000000-0000-0000-0000-0000000000a1');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select is(pg_temp.h_count(true), 0::bigint, 'an agent of another office, even with full visibility, reads no confidential row');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a3');
select is(pg_temp.h_count(true), 0::bigint, 'nor does another agent of the same office');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select is(pg_temp.h_count(), 0::bigint, 'a customer reads no history');
reset role;

-- ===================================================================================== nobody writes it
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select throws_ok($$insert into public.portfolio_history (portfolio_id, event_type, new_value, changed_by)
                   values ('2026-100', 'update', '{"title": "sahte"}', auth.uid())$$, '42501', null, 'the listing agent cannot insert history');
select throws_ok($$update public.portfolio_history set new_value = '{}' where portfolio_id = '2026-100'$$, '42501', null,
  'nor rewrite it');
select throws_ok($$delete from public.portfolio_history where portfolio_id = '2026-100'$$, '42501', null, 'nor delete it');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select throws_ok($$insert into public.portfolio_history (portfolio_id, event_type, new_value, changed_by)
                   values ('2026-100', 'update', '{"title": "sahte"}', auth.uid())$$, '42501', null, 'an admin cannot insert history');
select throws_ok($$delete from public.portfolio_history where portfolio_id = '2026-100'$$, '42501', null, 'nor delete it');
reset role;
select pg_temp.act_as_bot();
select throws_ok($$insert into public.portfolio_history (portfolio_id, event_type, new_value)
                   values ('2026-100', 'update', '{"title": "sahte"}')$$, '42501', null, 'the bot cannot insert history');
select throws_ok($$update public.portfolio_history set changed_by = null where portfolio_id = '2026-100'$$, '42501', null,
  'nor rewrite it');
select throws_ok($$delete from public.portfolio_history where portfolio_id = '2026-100'$$, '42501', null, 'nor delete it');
reset role;
select is((select count(*) from public.portfolio_history where portfolio_id = '2026-100'), (select total from t_expect),
  'the history is as the triggers wrote it');

select * from finish();
rollback;
