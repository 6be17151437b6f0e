-- Portföy & Matching: the rules the schema itself enforces on listings, confidential rows, media, history,
-- requests, signals and matches, and the lock-down.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(40);
\ir fixtures/helpers.psql

insert into public.contacts (id, phone, contact_type) values
  ('00000000-0000-0000-0000-0000000000a1', '+905321234567', 'agent'),
  ('00000000-0000-0000-0000-0000000000c1', '+905551112233', 'customer');
insert into public.portfolios (id, agent_id, type, listing_type, title, district, rooms, listed_price)
values ('2026-001', '00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'Moda''da 3+1', 'Kadıköy', '3+1', 12500000);

-- A listing with the given id, type, rooms, price and currency (the rest valid).
create function pg_temp.listing(p_id text, p_type text, p_rooms text, p_price bigint, p_currency text default 'TRY')
returns text language sql as $$
  select format($f$insert into public.portfolios (id, agent_id, type, listing_type, title, district, rooms, listed_price, currency)
                   values (%L, '00000000-0000-0000-0000-0000000000a1', %L, 'sale', 'İlan', 'Beşiktaş', %L, %s, %L)$f$,
                p_id, p_type, p_rooms, p_price, p_currency)
$$;

-- portfolios: ids, rooms in the Turkish form, whole positive prices, known enumerations.
select lives_ok(pg_temp.listing('2026-1000', 'daire', '1+0', 9000000), 'a studio 1+0 with id 2026-1000 is accepted');
select lives_ok(pg_temp.listing('2026-002', 'villa', '10+2', 90000000, 'USD'), 'a 10+2 villa priced in USD is accepted');
select lives_ok(pg_temp.listing('2026-003', 'arsa', null, 5000000), 'land may have no rooms');
select lives_ok(pg_temp.listing('2026-004', 'dukkan', null, 7000000), 'a shop may have no rooms');
select throws_ok(pg_temp.listing('2026-005', 'daire', null, 5000000), '23514',
  'new row for relation "portfolios" violates check constraint "portfolios_rooms_required_check"', 'a flat needs rooms');
select throws_ok(pg_temp.listing('2026-006', 'daire', r, 5000000), '23514',
  'new row for relation "portfolios" violates check constraint "portfolios_rooms_check"', format('rooms %s is rejected', r))
from unnest(array['3 + 1', '0+1', '3+', '+1', '3+1+1', '3,1', '100+1', '3+10']) as r;
select throws_ok(pg_temp.listing('26-001', 'daire', '2+1', 5000000), '23514',
  'new row for relation "portfolios" violates check constraint "portfolios_id_check"', 'an id not in YYYY-NNN form is rejected');
select throws_ok(pg_temp.listing('2026-007', 'daire', '2+1', 0), '23514',
  'new row for relation "portfolios" violates check constraint "portfolios_listed_price_check"', 'a zero price is rejected');
select throws_ok(pg_temp.listing('2026-008', 'daire', '2+1', -5), '23514',
  'new row for relation "portfolios" violates check constraint "portfolios_listed_price_check"', 'a negative price is rejected');
select throws_ok(pg_temp.listing('2026-009', 'daire', '2+1', 5000000, 'TL'), '23514',
  'new row for relation "portfolios" violates check constraint "portfolios_currency_check"', 'currency TL is not ISO 4217 (TRY)');
select throws_ok(pg_temp.listing('2026-010', 'apartment', '2+1', 5000000), '23514',
  'new row for relation "portfolios" violates check constraint "portfolios_type_check"', 'unknown type is rejected');
select throws_ok($$update public.portfolios set status = 'deleted' where id = '2026-001'$$, '23514',
  'new row for relation "portfolios" violates check constraint "portfolios_status_check"', 'unknown status is rejected');
select throws_ok($$update public.portfolios set listing_type = 'lease' where id = '2026-001'$$, '23514',
  'new row for relation "portfolios" violates check constraint "portfolios_listing_type_check"', 'unknown listing_type is rejected');

-- portfolio_confidential: positive floor, sane commission, E.164 owner phone, one row per listing.
select throws_ok($$insert into public.portfolio_confidential (portfolio_id, min_price) values ('2026-001', 0)$$, '23514',
  'new row for relation "portfolio_confidential" violates check constraint "portfolio_confidential_min_price_check"', 'a zero floor price is rejected');
select throws_ok($$insert into public.portfolio_confidential (portfolio_id, commission_rate) values ('2026-001', 0)$$, '23514',
  'new row for relation "portfolio_confidential" violates check constraint "portfolio_confidential_commission_rate_check"', 'a zero commission rate is rejected');
select throws_ok($$insert into public.portfolio_confidential (portfolio_id, owner_phone) values ('2026-001', '0532 111 22 33')$$, '23514',
  'new row for relation "portfolio_confidential" violates check constraint "portfolio_confidential_owner_phone_e164_check"', 'the owner phone must be E.164');
insert into public.portfolio_confidential (portfolio_id, owner_name, owner_phone, min_price, commission_rate)
values ('2026-001', 'Hasan Kaya', '+905301112233', 11800000, 2.00);
select throws_ok($$insert into public.portfolio_confidential (portfolio_id) values ('2026-001')$$, '23505',
  'duplicate key value violates unique constraint "portfolio_confidential_pkey"', 'one confidential row per listing');

-- portfolio_media: sort_order unique per listing, known media types.
insert into public.portfolio_media (portfolio_id, media_type, storage_path, sort_order)
values ('2026-001', 'photo', 'portfolios/2026-001/1.jpg', 0);
select throws_ok($$insert into public.portfolio_media (portfolio_id, media_type, storage_path, sort_order) values ('2026-001', 'photo', 'portfolios/2026-001/2.jpg', 0)$$,
  '23505', 'duplicate key value violates unique constraint "portfolio_media_portfolio_id_sort_order_key"', 'two media cannot share a position');
select throws_ok($$insert into public.portfolio_media (portfolio_id, media_type, storage_path, sort_order) values ('2026-001', 'audio', 'x.mp3', 1)$$,
  '23514', 'new row for relation "portfolio_media" violates check constraint "portfolio_media_media_type_check"', 'only photo or video');

-- portfolio_history: known events only.
select throws_ok($$insert into public.portfolio_history (portfolio_id, event_type) values ('2026-001', 'delete')$$, '23514',
  'new row for relation "portfolio_history" violates check constraint "portfolio_history_event_type_check"', 'unknown history event is rejected');

-- requests: buy or rent, criteria an object, assigned implies an agent.
select throws_ok($$insert into public.requests (customer_id, request_type) values ('00000000-0000-0000-0000-0000000000c1', 'sell')$$, '23514',
  'new row for relation "requests" violates check constraint "requests_request_type_check"', 'a request is buy or rent');
select throws_ok($$insert into public.requests (customer_id, request_type, criteria) values ('00000000-0000-0000-0000-0000000000c1', 'buy', '[]')$$, 'VC001',
  'criteria must be a JSON object', 'criteria must be a JSON object');
select throws_ok($$insert into public.requests (customer_id, request_type, status) values ('00000000-0000-0000-0000-0000000000c1', 'buy', 'assigned')$$, '23514',
  'new row for relation "requests" violates check constraint "requests_assigned_agent_check"', 'an assigned request names its agent');
insert into public.requests (id, customer_id, request_type)
values ('00000000-0000-0000-0000-0000000000e1', '00000000-0000-0000-0000-0000000000c1', 'buy');

-- market_signals and matches.
select throws_ok($$insert into public.market_signals (source_type) values ('ad')$$, '23514',
  'new row for relation "market_signals" violates check constraint "market_signals_source_type_check"', 'unknown signal source is rejected');
select throws_ok($$insert into public.portfolio_request_matches (portfolio_id, request_id, match_score, trigger_type) values ('2026-001', '00000000-0000-0000-0000-0000000000e1', 6, 'portfolio')$$,
  '23514', 'new row for relation "portfolio_request_matches" violates check constraint "portfolio_request_matches_match_score_check"', 'a score above 5 is rejected');
-- (the matcher has paired 2026-001 with the open-criteria request e1)
select pg_temp.drain();
select throws_ok($$insert into public.portfolio_request_matches (portfolio_id, request_id, match_score, trigger_type) values ('2026-001', '00000000-0000-0000-0000-0000000000e1', 4, 'request')$$,
  '23505', 'duplicate key value violates unique constraint "portfolio_request_matches_portfolio_id_request_id_key"', 'one match row per pair');

-- anon reaches nothing (the access matrix covers every actor).
set local role anon;
select throws_ok(format('select 1 from public.%I', t), '42501', format('permission denied for table %s', t), format('anon cannot read %s', t))
from unnest(array['portfolios', 'portfolio_confidential', 'portfolio_media', 'portfolio_history', 'requests', 'market_signals', 'portfolio_request_matches']) as t;
reset role;

select * from finish();
rollback;
