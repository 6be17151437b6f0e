-- Visibility: grants that only rise, who may grant, the price band, and the cards at each level.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(24);
\ir fixtures/helpers.psql

insert into public.contacts (id, phone, contact_type, display_name) values
  ('00000000-0000-0000-0000-0000000000a1', '+905321110001', 'agent', 'Ayşe Yılmaz'),
  ('00000000-0000-0000-0000-0000000000b1', '+905321110009', 'agent', 'Broker Moda'),
  ('00000000-0000-0000-0000-0000000000a2', '+905322220001', 'agent', 'Can Demir'),
  ('00000000-0000-0000-0000-0000000000a3', '+905322220002', 'agent', 'Zeynep Arslan'),
  ('00000000-0000-0000-0000-0000000000c1', '+905551112233', 'customer', 'Selin');
insert into public.agent_profiles (contact_id, role, office) values
  ('00000000-0000-0000-0000-0000000000a1', 'agent', 'Moda Emlak'),
  ('00000000-0000-0000-0000-0000000000b1', 'broker', 'Moda Emlak'),
  ('00000000-0000-0000-0000-0000000000a2', 'agent', 'Boğaziçi Gayrimenkul'),
  ('00000000-0000-0000-0000-0000000000a3', 'agent', 'Boğaziçi Gayrimenkul');
insert into public.portfolios (id, agent_id, type, listing_type, title, description, district, rooms, listed_price, status) values
  ('2026-001', '00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'Moda 3+1', 'Deniz manzaralı', 'Kadıköy', '3+1', 12500000, 'active'),
  ('2026-002', '00000000-0000-0000-0000-0000000000a1', 'daire', 'rent', 'Eski ilan', null, 'Kadıköy', '1+1', 30000, 'inactive'),
  ('2026-1000', '00000000-0000-0000-0000-0000000000a1', 'arsa', 'sale', 'Arsa', null, 'Çatalca', null, 6500000, 'active');
insert into public.portfolio_media (portfolio_id, media_type, storage_path, sort_order)
values ('2026-001', 'photo', 'portfolios/2026-001/salon.jpg', 0);


-- Price bands.
select results_eq($$select b.band_min, b.band_max from unnest(array[12500000, 32000, 100, 999, 7500000, 950000]::bigint[]) p,
                    lateral guard.price_band(p) b$$,
  $$values (10000000::bigint, 15000000::bigint), (30000, 50000), (100, 150), (750, 1000), (7500000, 10000000), (750000, 1000000)$$,
  'price bands step 1-1.5-2-3-5-7.5 x 10^n');

-- An agent of another office, no grant: anonymous cards of active listings only, newest first (natural id order).
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select results_eq($$select id, visibility_level from public.portfolio_cards()$$,
  $$values ('2026-1000', 'anonymous'), ('2026-001', 'anonymous')$$, 'no grant: anonymous cards of the active listings, newest first: 1000 before 999');
select row_eq($$select price_band_min, price_band_max, listed_price, title, description, media, agent_name, agent_phone
                from public.portfolio_cards(array['2026-001'])$$,
  row(10000000::bigint, 15000000::bigint, null::bigint, null::text, null::text, null::jsonb, null::text, null::text),
  'anonymous: a price band, no price, text, media or agent');
select throws_ok($$select public.grant_visibility('2026-001', '00000000-0000-0000-0000-0000000000a2', 'full')$$, '42501',
  'only the listing agent, a broker of its office or an admin may grant visibility on listing 2026-001', 'nobody grants itself');
select throws_ok($$select public.grant_visibility('2099-001', '00000000-0000-0000-0000-0000000000a2', 'full')$$, '42501',
  'only the listing agent, a broker of its office or an admin may grant visibility on listing 2099-001',
  'a missing listing gets the same answer');
select throws_ok($$insert into public.agent_visibility (portfolio_id, agent_id, visibility_level, granted_by)
                   values ('2026-001', auth.uid(), 'full', auth.uid())$$, '42501',
  'new row violates row-level security policy for table "agent_visibility"', 'nor by writing the row');
select throws_ok($$select public.portfolio_cards(p_limit => 0)$$, 'VC001', 'limit must be between 1 and 500', 'limit is bounded');
reset role;

-- The listing agent grants; a grant never lowers.
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select row_eq($$select visibility_level, granted_by from public.grant_visibility('2026-001', '00000000-0000-0000-0000-0000000000a2', 'partial')$$,
  row('partial'::text, '00000000-0000-0000-0000-0000000000a1'::uuid), 'the listing agent grants partial, in its own name');
select is((select visibility_level from public.grant_visibility('2026-001', '00000000-0000-0000-0000-0000000000a2', 'anonymous')),
  'partial', 'a lower grant leaves the level as it was');
select throws_ok($$update public.agent_visibility set visibility_level = 'anonymous' where agent_id = '00000000-0000-0000-0000-0000000000a2'$$,
  'VC004', 'visibility of agent 00000000-0000-0000-0000-0000000000a2 on listing 2026-001 cannot be lowered from partial to anonymous',
  'nor can an update lower it');
select throws_ok($$select public.grant_visibility('2026-001', '00000000-0000-0000-0000-0000000000a1', 'full')$$, 'VC001',
  'agent_id is the listing agent, who sees the listing in full', 'the listing agent needs no grant');
select throws_ok($$select public.grant_visibility('2026-001', '00000000-0000-0000-0000-0000000000c1', 'full')$$, 'VC001',
  'agent_id 00000000-0000-0000-0000-0000000000c1 is not an active agent', 'only agents are granted');
select throws_ok($$select public.grant_visibility('2026-001', '00000000-0000-0000-0000-0000000000a3', 'total')$$, 'VC001',
  'level total is not one of anonymous, partial, full', 'an unknown level is rejected by name');
select results_eq($$select id, visibility_level from public.portfolio_cards()$$,
  $$values ('2026-1000', 'full'), ('2026-002', 'full'), ('2026-001', 'full')$$, 'the listing agent sees its own listings in full, inactive too');
reset role;

-- Partial: price, text, media and the agent's name, not its phone.
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select row_eq($$select visibility_level, listed_price, title, media, agent_name, agent_phone from public.portfolio_cards(array['2026-001'])$$,
  row('partial'::text, 12500000::bigint, 'Moda 3+1'::text,
      '[{"media_type": "photo", "storage_path": "portfolios/2026-001/salon.jpg"}]'::jsonb, 'Ayşe Yılmaz'::text, null::text),
  'partial: price, title, media and agent name; no phone');
reset role;

-- A broker of the office grants full; a granted agent sees even an inactive listing.
select pg_temp.act_as('00000000-0000-0000-0000-0000000000b1');
select is((select visibility_level from public.grant_visibility('2026-002', '00000000-0000-0000-0000-0000000000a2', 'full')), 'full',
  'a broker of the office grants');
select is((select granted_by from public.grant_visibility('2026-001', '00000000-0000-0000-0000-0000000000a2', 'full')),
  '00000000-0000-0000-0000-0000000000b1'::uuid, 'raising a grant records the new grantor');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select row_eq($$select visibility_level, agent_phone from public.portfolio_cards(array['2026-001'])$$,
  row('full'::text, '+905321110001'::text), 'full: the listing agent''s phone too');
select results_eq($$select id from public.portfolio_cards()$$, $$values ('2026-1000'), ('2026-002'), ('2026-001')$$,
  'a granted inactive listing is listed');
select is_empty($$select 1 from public.portfolios$$, 'even at full, no listing row is readable directly');
select is_empty($$select 1 from public.portfolio_confidential$$, 'nor any confidential row');
reset role;

-- The other office's agent still at anonymous; customers get no cards.
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a3');
select is((select visibility_level from public.portfolio_cards(array['2026-001'])), 'anonymous', 'grants are per agent');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select is_empty($$select 1 from public.portfolio_cards()$$, 'customers get no cards');
reset role;
set local role anon;
select throws_ok($$select public.portfolio_cards()$$, '42501', 'permission denied for function portfolio_cards', 'anon cannot call it');
reset role;

select * from finish();
rollback;
