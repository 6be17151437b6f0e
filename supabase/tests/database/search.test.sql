-- Search (docs/matching.md): Turkish-aware, accent-insensitive full text (kadikoy -> Kadıköy,
-- sisli -> Şişli, İSTANBUL/istanbul/ISTANBUL, daire <-> daireler), structured filters, ranking, the search
-- vector kept by the database, visibility (an anonymous-level agent learns nothing hidden by searching,
-- not even the exact price through price filters), and a market signal per search.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(80);
\ir fixtures/helpers.psql

-- Moda Emlak: agent a1 (lists everything here). Boğaziçi: agent a2 (no grant), agent a4 (partial grant on 2026-001).
insert into public.contacts (id, phone, contact_type, display_name) values
  ('00000000-0000-0000-0000-0000000000a1', '+905321110001', 'agent', 'Ayşe Yılmaz'),
  ('00000000-0000-0000-0000-0000000000a2', '+905322220001', 'agent', 'Can Demir'),
  ('00000000-0000-0000-0000-0000000000a4', '+905322220004', 'agent', 'Deniz Kara'),
  ('00000000-0000-0000-0000-0000000000c1', '+905551112233', 'customer', 'Zehra Polat');
insert into public.agent_profiles (contact_id, role, office) values
  ('00000000-0000-0000-0000-0000000000a1', 'agent', 'Moda Emlak'),
  ('00000000-0000-0000-0000-0000000000a2', 'agent', 'Boğaziçi Gayrimenkul'),
  ('00000000-0000-0000-0000-0000000000a4', 'agent', 'Boğaziçi Gayrimenkul');
insert into public.portfolios (id, agent_id, type, listing_type, title, description, district, rooms, listed_price, currency, status) values
  ('2026-001', '00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'Moda''da zümrüt manzaralı daireler',
   'Asansörlü, otoparklı. İSTANBUL''un kalbinde.', 'Kadıköy', '3+1', 12500000, 'TRY', 'active'),
  ('2026-002', '00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'Nişantaşı merkezi',
   'Metroya yakın, ISTANBUL', 'Şişli', '2+1', 8000000, 'TRY', 'active'),
  ('2026-003', '00000000-0000-0000-0000-0000000000a1', 'villa', 'sale', 'Bebek''te boğaz manzaralı villa',
   'Bahçeli, havuzlu. istanbul boğazı', 'Beşiktaş', '5+2', 2000000, 'USD', 'active'),
  ('2026-004', '00000000-0000-0000-0000-0000000000a1', 'dukkan', 'rent', 'Bahariye''de köşe dükkan',
   'Üst katlarda daireler var', 'Kadıköy', null, 40000, 'TRY', 'active'),
  ('2026-005', '00000000-0000-0000-0000-0000000000a1', 'arsa', 'sale', 'İmarlı arsa',
   'Yanında daire projesi onaylı', 'Çatalca', null, 6500000, 'TRY', 'active'),
  ('2026-006', '00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'Eski ilan, zümrüt bahçe',
   null, 'Kadıköy', '3+1', 9000000, 'TRY', 'inactive'),
  ('2026-007', '00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'Kadıköy Moda, Kadıköy çarşı',
   'Kadıköy''ün en güzel yeri, Kadıköy iskelesine yakın', 'Kadıköy', '3+1', 12000000, 'TRY', 'active');
insert into public.portfolio_confidential (portfolio_id, owner_name, owner_phone, min_price, private_notes)
values ('2026-001', 'Hasan Kaya', '+905301110001', 11800000, 'gizlinot pazarlık');
insert into public.agent_visibility (portfolio_id, agent_id, visibility_level, granted_by)
values ('2026-001', '00000000-0000-0000-0000-0000000000a4', 'partial', '00000000-0000-0000-0000-0000000000a1');

-- The ids a search finds, sorted.
create function pg_temp.found(p_query text, p_district text default null, p_type text default null, p_rooms text default null,
                              p_min_price bigint default null, p_max_price bigint default null, p_currency text default null,
                              p_listing_type text default null) returns text[]
  language sql as $$
  select coalesce(array_agg(s.id order by s.id), '{}')
  from public.search_portfolios(p_query => p_query, p_district => p_district, p_type => p_type, p_rooms => p_rooms,
                                p_min_price => p_min_price, p_max_price => p_max_price, p_currency => p_currency,
                                p_listing_type => p_listing_type, p_limit => 500) s
$$;

-- ====================================================================== Turkish text, as the listing agent
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select is(pg_temp.found('kadikoy'), array['2026-001', '2026-004', '2026-006', '2026-007'], 'kadikoy finds Kadıköy (own listings, inactive too)');
select is(pg_temp.found('Kadıköy'), pg_temp.found('kadikoy'), 'Kadıköy finds the same');
select is(pg_temp.found('KADIKÖY'), pg_temp.found('kadikoy'), 'KADIKÖY finds the same');
select is(pg_temp.found('sisli'), array['2026-002'], 'sisli finds Şişli');
select is(pg_temp.found('ŞİŞLİ'), array['2026-002'], 'ŞİŞLİ finds Şişli');
select is(pg_temp.found('şişli'), array['2026-002'], 'şişli finds Şişli');
select is(pg_temp.found('istanbul'), array['2026-001', '2026-002', '2026-003'], 'istanbul finds İSTANBUL, ISTANBUL and istanbul');
select is(pg_temp.found('İSTANBUL'), array['2026-001', '2026-002', '2026-003'], 'İSTANBUL finds the same three');
select is(pg_temp.found('ISTANBUL'), array['2026-001', '2026-002', '2026-003'], 'ISTANBUL (dotless capital I) finds the same three');
select is(pg_temp.found('İstanbul'), array['2026-001', '2026-002', '2026-003'], 'İstanbul finds the same three');
select ok('2026-004' = any (pg_temp.found('daire')), 'daire finds daireler (the shop whose text says daireler)');
select ok('2026-005' = any (pg_temp.found('daireler')), 'daireler finds daire (the land whose text says daire)');
select is(pg_temp.found('daire'), array['2026-001', '2026-002', '2026-004', '2026-005', '2026-006', '2026-007'],
  'daire: every flat, and the texts saying daire or daireler');
select is(pg_temp.found('daireler'), pg_temp.found('daire'), 'daireler finds exactly what daire finds');
select is(pg_temp.found('DAİRELER'), pg_temp.found('daire'), 'DAİRELER too');
select is(pg_temp.found('manzara'), array['2026-001', '2026-003'], 'a word matches as a prefix (manzara -> manzaralı)');
select is(pg_temp.found('boğaz'), array['2026-003'], 'boğaz finds Boğaz and boğazı');
select is(pg_temp.found('bogazi'), array['2026-003'], 'bogazi finds boğazı');
select is(pg_temp.found('kadikoy dukkan'), array['2026-004'], 'every word must match (kadikoy dukkan: the shop)');
select is(pg_temp.found('Kadıköy''de daire'), array['2026-001', '2026-004', '2026-006', '2026-007'],
  'a phrase as people type it (Kadıköy''de daire: the stop word de is not required)');
select is(pg_temp.found('3+1'), array['2026-001', '2026-006', '2026-007'], 'rooms are searchable');
select is(pg_temp.found('hasan'), '{}'::text[], 'the owner''s name is not searchable, even by the listing agent');
select is(pg_temp.found('gizlinot'), '{}'::text[], 'nor the private notes');
select is(pg_temp.found('11800000'), '{}'::text[], 'nor the floor');
select is(pg_temp.found('xyzzy'), '{}'::text[], 'an unknown word finds nothing');

-- ====================================================================== filters and paging
select is(pg_temp.found(null), array['2026-001', '2026-002', '2026-003', '2026-004', '2026-005', '2026-006', '2026-007'],
  'no text, no filter: every listing the caller may see');
select is(pg_temp.found(null, p_district => 'Kadıköy'), array['2026-001', '2026-004', '2026-006', '2026-007'], 'district filter');
select is(pg_temp.found(null, p_district => 'KADIKOY'), array['2026-001', '2026-004', '2026-006', '2026-007'],
  'the district filter is Turkish-insensitive');
select is(pg_temp.found(null, p_type => 'villa'), array['2026-003'], 'type filter');
select is(pg_temp.found(null, p_rooms => '3+1'), array['2026-001', '2026-006', '2026-007'], 'rooms filter');
select is(pg_temp.found(null, p_min_price => 12000000, p_currency => 'TRY'), array['2026-001', '2026-007'], 'min price filter (own: exact)');
select is(pg_temp.found(null, p_min_price => 12000001, p_currency => 'TRY'), array['2026-001'], 'min price filter, one above 12.000.000');
select is(pg_temp.found(null, p_max_price => 40000), array['2026-004'], 'max price filter');
select is(pg_temp.found(null, p_currency => 'USD'), array['2026-003'], 'currency filter');
select is(pg_temp.found(null, p_listing_type => 'rent'), array['2026-004'], 'listing type filter');
select is(pg_temp.found('manzara', p_type => 'villa'), array['2026-003'], 'text and filters combine');
select is(pg_temp.found('kadikoy', p_rooms => '3+1', p_max_price => 12000000), array['2026-006', '2026-007'], 'text and several filters');
select is((select count(*) from public.search_portfolios(p_limit => 2)), 2::bigint, 'limit');
select is((select count(*) from public.search_portfolios(p_limit => 5, p_offset => 5)), 2::bigint, 'offset');
select matches(pg_temp.err($$select public.search_portfolios(p_limit => 0)$$), '^VC001: .*limit', 'limit 0: VC001 naming limit');
select matches(pg_temp.err($$select public.search_portfolios(p_offset => -1)$$), '^VC001: .*offset', 'a negative offset: VC001 naming offset');
select matches(pg_temp.err($$select public.search_portfolios(p_min_price => 10, p_max_price => 5)$$), '^VC001: .*min_price',
  'min above max: VC001 naming min_price');
select matches(pg_temp.err($$select public.search_portfolios(p_type => 'apartment')$$), '^VC001: .*type', 'an unknown type: VC001 naming type');

-- ====================================================================== ranking
select is((select id from public.search_portfolios(p_query => 'kadikoy') limit 1), '2026-007',
  'the listing that says Kadıköy everywhere ranks first');
select ok((select bool_and(rank >= coalesce(next_rank, rank))
           from (select rank, lead(rank) over () as next_rank from public.search_portfolios(p_query => 'kadikoy')) r),
  'results come by rank, highest first');
reset role;

-- ====================================================================== rank, window, count
-- Title (A) and district (B) weigh more than description (C); ties come newest first.
insert into public.portfolios (id, agent_id, type, listing_type, title, description, district, rooms, listed_price, currency, status) values
  ('2026-010', '00000000-0000-0000-0000-0000000000a1', 'dukkan', 'sale', 'Köşe dükkan', 'Çatısı teraslı', 'Sarıyer', null, 3000000, 'TRY', 'active'),
  ('2026-011', '00000000-0000-0000-0000-0000000000a1', 'dukkan', 'sale', 'Teraslı dükkan', 'Köşede', 'Sarıyer', null, 3000000, 'TRY', 'active'),
  ('2026-012', '00000000-0000-0000-0000-0000000000a1', 'dukkan', 'sale', 'Teraslı dükkan', 'Köşede', 'Sarıyer', null, 3000000, 'TRY', 'active');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select is((select array_agg(id order by ord) from public.search_portfolios(p_query => 'terasli') with ordinality as s(id, type, listing_type, city, district, rooms, currency, status, price_band_min, price_band_max, visibility_level, listed_price, title, description, media, agent_name, agent_phone, rank, total, total_capped, ord)),
  array['2026-012', '2026-011', '2026-010'], 'a title hit ranks above a description hit; equal ranks newest first');
select ok((select rank from public.search_portfolios(p_query => 'terasli') where id = '2026-011')
          > (select rank from public.search_portfolios(p_query => 'terasli') where id = '2026-010'), 'the title hit has the higher rank');
-- no text: newest first
select is((select id from public.search_portfolios(p_limit => 1)), '2026-012', 'no text: the newest listing first');
-- The count: every row carries the hits counted up to the cap; more than the cap is total = cap, total_capped.
select results_eq($$select distinct total, total_capped from public.search_portfolios(p_query => 'daire', p_limit => 1)$$,
  $$values (6::bigint, false)$$, 'total counts the hits of every page (under the cap: exact)');
set local vic.search_count_cap = 3;
select results_eq($$select distinct total, total_capped from public.search_portfolios(p_query => 'daire', p_limit => 1)$$,
  $$values (3::bigint, true)$$, 'over the cap: total is the cap and total_capped says "3+"');
reset vic.search_count_cap;
reset role;
-- The window (here the 2 newest active listings, plus own and granted ones): an agent of another office
-- gets a full page from it; a word found only outside it is found by the full path (fewer hits than a
-- page); the count goes past the window up to the cap.
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
set local vic.search_window = 2;
select is((select array_agg(id order by id) from public.search_portfolios(p_query => 'sariyer', p_limit => 2)),
  array['2026-011', '2026-012'], 'a full page from the window (the two newest)');
select results_eq($$select distinct total, total_capped from public.search_portfolios(p_query => 'sariyer', p_limit => 2)$$,
  $$values (3::bigint, false)$$, 'the count is not the window''s: all three Sarıyer listings');
select is(pg_temp.found('catalca'), array['2026-005'], 'a word found only in an old listing outside the window: the full path finds it');
set local vic.search_count_cap = 1;
select results_eq($$select distinct total, total_capped from public.search_portfolios(p_query => 'sariyer', p_limit => 1)$$,
  $$values (1::bigint, true)$$, 'the window''s hits reach the cap: "1+"');
-- Hidden fields stay hidden in the window too: neither the hidden title nor the hidden description of the
-- newest listings is found, nor counted.
select is(pg_temp.found('terasli'), '{}'::text[], 'no listing found by a hidden title or description word in the window');
select is(pg_temp.found('köşe'), '{}'::text[], 'nor by another');
reset vic.search_window;
reset vic.search_count_cap;
reset role;

-- ====================================================================== visibility: anonymous level
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select is(pg_temp.found('kadikoy'), array['2026-001', '2026-004', '2026-007'], 'another office finds active listings by district');
select ok((select bool_and(visibility_level = 'anonymous' and listed_price is null and title is null and description is null
                           and media is null and agent_name is null and agent_phone is null)
           from public.search_portfolios(p_query => 'kadikoy')), 'as anonymous cards, every hidden field NULL');
select is(pg_temp.found('sisli'), array['2026-002'], 'and by Turkish-insensitive district');
select is(pg_temp.found('zümrüt'), '{}'::text[], 'not by a word of the hidden title');
select is(pg_temp.found('asansörlü'), '{}'::text[], 'not by a word of the hidden description');
select is(pg_temp.found('nisantasi'), '{}'::text[], 'not by another hidden title');
select is(pg_temp.found('daire'), array['2026-001', '2026-002', '2026-007'], 'daire: only the flats by type, not the texts saying daire');
select is(pg_temp.found('eski'), '{}'::text[], 'an inactive listing is not found');
select ok((select count(distinct rank) = 1 from public.search_portfolios(p_query => 'kadikoy', p_type => 'daire')),
  'ranking uses visible fields only: the same district, type and rooms rank the same, whatever the hidden title says');
select is((select count(distinct f) from unnest(array[10000001, 11999999, 12000000, 12000001, 12499999, 12500000, 12500001, 14999999]::bigint[]) p,
           lateral pg_temp.found('kadikoy', p_min_price => p) f), 1::bigint,
  'min price filters inside the price band all give the same answer: the exact price cannot be narrowed');
select is((select count(distinct f) from unnest(array[10000000, 11999999, 12000000, 12000001, 12499999, 12500000, 12500001, 14999999]::bigint[]) p,
           lateral pg_temp.found('kadikoy', p_max_price => p) f), 1::bigint,
  'nor can it with max price filters');
reset role;
-- positive control: the same probes narrow the price for the listing agent
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select isnt(pg_temp.found('kadikoy', p_min_price => 12500000), pg_temp.found('kadikoy', p_min_price => 12500001),
  '(the listing agent''s own search does tell 12.500.000 from 12.500.001)');
reset role;

-- ====================================================================== text + district: the same answers
-- With text and a district the listings are found by the filters first (functions/search.sql), with the
-- price bounds widened to the price bands; without a district the text index leads. Both must agree: the
-- district-filtered search is the unfiltered one restricted to Kadıköy, for prices across band edges.
create function pg_temp.kadikoy_mismatches(p_query text, p_min boolean) returns bigint language sql as $$
  select count(*)
  from unnest(array[7500000, 9000000, 9999999, 10000000, 11999999, 12000000, 12000001, 12500000, 12500001,
                    14999999, 15000000]::bigint[]) as p
  where pg_temp.found(p_query, p_district => 'Kadıköy', p_min_price => case when p_min then p end,
                      p_max_price => case when not p_min then p end)
        is distinct from array(select x from unnest(pg_temp.found(p_query, p_min_price => case when p_min then p end,
                                                                  p_max_price => case when not p_min then p end)) as x
                               where x = any (array['2026-001', '2026-004', '2026-006', '2026-007']) order by x)
$$;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select is(pg_temp.kadikoy_mismatches('daire', true), 0::bigint, 'own listings: text + district + min price = text + min price, in Kadıköy');
select is(pg_temp.kadikoy_mismatches('moda', false), 0::bigint, 'own listings: the same with max price (moda: not every Kadıköy listing)');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select is(pg_temp.kadikoy_mismatches('daire', true), 0::bigint, 'anonymous cards (price band): text + district + min price agree too');
select is(pg_temp.kadikoy_mismatches('daire', false), 0::bigint, 'and with max price');
reset role;

-- ====================================================================== visibility: partial level
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a4');
select is(pg_temp.found('zümrüt'), array['2026-001'], 'a partial grant: the title is visible, so it is searchable');
select is((select listed_price from public.search_portfolios(p_query => 'zümrüt')), 12500000::bigint, 'with the price on the card');
reset role;

-- ====================================================================== customers
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select ok(coalesce(pg_temp.err($$select public.search_portfolios(p_query => 'kadikoy')$$) like '42501%', false)
          or cardinality(pg_temp.found('kadikoy')) = 0, 'a customer gets no listing cards');
reset role;

-- ====================================================================== the vector follows the listing
update public.portfolios set title = 'Teşvikiye''de klasik bina' where id = '2026-002';
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select is(pg_temp.found('tesvikiye'), array['2026-002'], 'a new title is searchable at once');
select is(pg_temp.found('nisantasi'), '{}'::text[], 'the old one no longer is');
reset role;

-- ====================================================================== market signals
delete from public.market_signals;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
create temporary table t_hits as select * from public.search_portfolios(p_query => 'kadikoy', p_type => 'daire', p_limit => 500);
select lives_ok($$select public.search_portfolios(p_query => 'yalı', p_district => 'Sarıyer')$$, 'a search that finds nothing');
reset role;
select results_eq($$select source_type, source_id, query_raw, parsed_criteria @> '{"types": ["daire"]}', match_count
                    from public.market_signals where query_raw = 'kadikoy'$$,
  $$values ('search'::text, '00000000-0000-0000-0000-0000000000a1'::uuid, 'kadikoy'::text, true, (select count(*)::integer from t_hits))$$,
  'a search records one signal: the caller, the raw query, the filters as criteria, the number of hits');
select results_eq($$select parsed_criteria @> '{"districts": ["Sarıyer"]}', match_count from public.market_signals where query_raw = 'yalı'$$,
  $$values (true, 0)$$, 'a search with no hit records match_count 0 (unmet demand)');

select * from finish();
rollback;
