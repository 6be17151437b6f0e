-- 0003 matching: listing ids per year, Turkish normalisation and search vectors, and the typed, indexed
-- forms of listings and request criteria that make matching index-driven (docs/matching.md).

create extension if not exists unaccent with schema extensions;
create extension if not exists btree_gist with schema extensions;

-- Cards are now built by private.listing_cards (functions/search.sql), which also searches.
drop function if exists private.portfolio_cards(text[], integer, integer);

-- Section - Normalisation and search helpers (immutable: generated columns use them)

-- Turkish-insensitive form of a text: unaccent (İ→I, ı→i, ş→s, ğ→g, ö→o, ü→u, ç→c), then lower case.
-- Unaccenting first makes the result independent of the database locale's case rules. Rooms (3+1) become
-- one word (3arti1), which the text parser would otherwise split into 3 and +1.
create function private.tr_norm(p_text text) returns text
  language sql immutable parallel safe
  set search_path = ''
as $$
  select regexp_replace(lower(extensions.unaccent('extensions.unaccent'::regdictionary, p_text)),
                        '([0-9]+) *\+ *([0-9]+)', '\1arti\2', 'g')
$$;
comment on function private.tr_norm(text) is 'Turkish-insensitive form: unaccent then lower (Kadıköy, KADIKÖY, kadikoy -> kadikoy); rooms 3+1 -> 3arti1.';

-- A weighted vector of a text: simple tokens (exact words) plus turkish stems, so both meet a prefix query.
create function private.tr_vector(p_text text, p_weight "char") returns tsvector
  language sql immutable parallel safe
  set search_path = ''
as $$
  select setweight(to_tsvector('simple'::regconfig, private.tr_norm(coalesce(p_text, '')))
                   || to_tsvector('turkish'::regconfig, private.tr_norm(coalesce(p_text, ''))), p_weight)
$$;
comment on function private.tr_vector(text, "char") is 'Weighted tsvector of a text: Turkish-normalised simple tokens plus turkish stems.';

-- The part of a listing anyone may search: district, type and rooms (what an anonymous card shows).
create function private.listing_public_vector(p_district text, p_type text, p_rooms text) returns tsvector
  language sql immutable parallel safe
  set search_path = ''
as $$
  select private.tr_vector(concat_ws(' ', p_district, p_type, p_rooms), 'B')
$$;
comment on function private.listing_public_vector(text, text, text) is 'Search vector of the fields every agent sees (district, type, rooms).';

-- The 1-1.5-2-3-5-7.5 x 10^n step around a price: what an anonymous card shows instead of the price.
create function private.price_band(p_price bigint, out band_min bigint, out band_max bigint)
  language sql immutable
  set search_path = ''
as $$
  select (s.lo * 10::numeric ^ e.n)::bigint, (s.hi * 10::numeric ^ e.n)::bigint
  -- (no band for a price that is not positive: the column's check rejects it)
  from (select case when p_price > 0 then floor(log(p_price::numeric))::integer end as n) as e,
       (values (1.0, 1.5), (1.5, 2.0), (2.0, 3.0), (3.0, 5.0), (5.0, 7.5), (7.5, 10.0)) as s (lo, hi)
  where p_price >= s.lo * 10::numeric ^ e.n and p_price < s.hi * 10::numeric ^ e.n
$$;
comment on function private.price_band(bigint) is 'Price band of a price (12500000 -> 10000000..15000000), shown on anonymous cards.';

-- Section - Listing ids: YYYY-NNN per calendar year in Europe/Istanbul, allocated in the inserting transaction.
create table private.portfolio_id_counters (
  year integer primary key,
  last_number integer not null
    constraint portfolio_id_counters_last_number_check check (last_number > 0)
);
comment on table private.portfolio_id_counters is 'Last listing number per year; upserted by the insert that takes the next one, so numbers have no gaps or duplicates.';
comment on column private.portfolio_id_counters.year is 'Calendar year (Europe/Istanbul).';
comment on column private.portfolio_id_counters.last_number is 'The highest listing number given in that year.';

-- Section - portfolios: typed forms for matching and search
alter table public.portfolios
  drop column search_vector,
  add column district_norm text generated always as (private.tr_norm(district)) stored,
  -- '*' lets a request that names no district (or type) match through the same array-overlap test
  add column district_keys text[] generated always as (array[private.tr_norm(district), '*']) stored,
  add column type_keys text[] generated always as (array[type, '*']) stored,
  add column match_floor bigint
    constraint portfolios_match_floor_check check (match_floor > 0),
  add column price_reach int8range
    generated always as (int8range(coalesce(match_floor, listed_price), listed_price, '[]')) stored,
  add column price_band_min bigint generated always as ((private.price_band(listed_price)).band_min) stored,
  add column price_band_max bigint generated always as ((private.price_band(listed_price)).band_max) stored,
  add column public_vector tsvector generated always as (private.listing_public_vector(district, type, rooms)) stored,
  add column search_vector tsvector generated always as (
    private.tr_vector(title, 'A')
    || private.listing_public_vector(district, type, rooms)
    || private.tr_vector(description, 'C')) stored;

comment on column public.portfolios.price_band_min is 'Lower end of the price band an anonymous card shows (12500000 -> 10000000); generated.';
comment on column public.portfolios.price_band_max is 'Upper end (exclusive) of the price band; generated.';
comment on column public.portfolios.public_vector is 'Search vector of what every agent sees (district, type, rooms); generated.';
comment on column public.portfolios.search_vector is 'Full-text vector over title (A), district, type, rooms (B) and description (C), Turkish-normalised; generated.';
comment on column public.portfolios.district_norm is 'The district, Turkish-normalised (kadikoy); generated.';
comment on column public.portfolios.district_keys is 'Matching keys: the normalised district and *; a request''s districts overlap them; generated.';
comment on column public.portfolios.type_keys is 'Matching keys: the type and *; generated.';
comment on column public.portfolios.match_floor is 'Copy of portfolio_confidential.min_price kept by a trigger, for matching only. Confidential: never shown.';
comment on column public.portfolios.price_reach is 'Prices the listing can close at: [floor (or listed price), listed price]; matches when it overlaps a request''s budget. Confidential.';

create index portfolios_search_vector_idx on public.portfolios using gin (search_vector);
create index portfolios_district_keys_idx on public.portfolios using gin (district_keys) where status = 'active';
create index portfolios_price_reach_idx on public.portfolios using gist (price_reach) where status = 'active';
create index portfolios_district_norm_idx on public.portfolios (district_norm, type);

-- Section - requests: criteria in typed, indexed form (validated by a trigger before these are computed)
create function private.criteria_keys(p_criteria jsonb, p_key text, p_normalise boolean) returns text[]
  language sql immutable parallel safe
  set search_path = ''
as $$
  select coalesce(
    (select array_agg(case when p_normalise then private.tr_norm(e) else e end order by e)
     from jsonb_array_elements_text(case when jsonb_typeof(p_criteria -> p_key) = 'array' then p_criteria -> p_key end) as e),
    array['*'])
$$;
comment on function private.criteria_keys(jsonb, text, boolean) is 'A criteria array as matching keys ({*} when the request names none).';

alter table public.requests
  add column crit_districts text[] generated always as (private.criteria_keys(criteria, 'districts', true)) stored,
  add column crit_types text[] generated always as (private.criteria_keys(criteria, 'types', false)) stored,
  add column crit_rooms text[] generated always as (
    case when jsonb_typeof(criteria -> 'rooms') = 'array' then private.criteria_keys(criteria, 'rooms', false) end) stored,
  add column crit_currency text generated always as (coalesce(criteria ->> 'currency', 'TRY')) stored,
  add column crit_min_price bigint generated always as ((criteria ->> 'min_price')::bigint) stored,
  add column crit_max_price bigint generated always as ((criteria ->> 'max_price')::bigint) stored,
  add column crit_budget int8range generated always as (
    int8range((criteria ->> 'min_price')::bigint, (criteria ->> 'max_price')::bigint, '[]')) stored;

comment on column public.requests.crit_districts is 'criteria.districts, Turkish-normalised ({*} when none named); generated.';
comment on column public.requests.crit_types is 'criteria.types ({*} when none named); generated.';
comment on column public.requests.crit_rooms is 'criteria.rooms (NULL when none named); generated.';
comment on column public.requests.crit_currency is 'criteria.currency (TRY when not named); generated.';
comment on column public.requests.crit_min_price is 'criteria.min_price; generated.';
comment on column public.requests.crit_max_price is 'criteria.max_price; generated.';
comment on column public.requests.crit_budget is 'Budget [min_price, max_price] (open ends when not named); generated.';

create index requests_crit_districts_idx on public.requests using gin (crit_districts) where status <> 'closed';
create index requests_crit_budget_idx on public.requests using gist (crit_budget) where status <> 'closed';

-- Section - Match keys: every hard filter but the price as one exact key per combination, beside the price
-- range, in GiST (key, range) indexes. One index probe then finds exactly the rows of the right market,
-- district and type whose prices meet, however large the rest grows. Kept by the matching triggers.
create table private.request_match_keys (
  request_id uuid not null references public.requests (id) on delete cascade,
  key text not null,
  budget int8range not null,
  primary key (request_id, key)
);
create index request_match_keys_key_budget_idx on private.request_match_keys using gist (key, budget);
comment on table private.request_match_keys is 'Open requests by match key (currency|sale-or-rent|district-or-*|type-or-*) with their budget.';
comment on column private.request_match_keys.request_id is 'The open request.';
comment on column private.request_match_keys.key is 'currency|sale or rent|normalised district or *|type or *: one per district x type the request names.';
comment on column private.request_match_keys.budget is 'The request''s budget [min_price, max_price].';

create table private.listing_match_keys (
  portfolio_id text not null references public.portfolios (id) on delete cascade,
  key text not null,
  reach int8range not null,
  primary key (portfolio_id, key)
);
create index listing_match_keys_key_reach_idx on private.listing_match_keys using gist (key, reach);
comment on table private.listing_match_keys is 'Active listings by match key (its district or *, its type or *) with their price reach. Confidential (the reach holds the floor).';
comment on column private.listing_match_keys.portfolio_id is 'The active listing.';
comment on column private.listing_match_keys.key is 'currency|sale or rent|normalised district or *|type or *: four per listing.';
comment on column private.listing_match_keys.reach is 'The listing''s price reach [floor, listed price].';

-- Section - portfolio_request_matches: a notification lists the agent's matches of the transaction
drop index public.portfolio_request_matches_notified_agent_id_idx;
create index portfolio_request_matches_notified_agent_id_idx on public.portfolio_request_matches (notified_agent_id, created_at);

-- Section - market_signals: unmet demand is read by period
create index market_signals_unmet_idx on public.market_signals (created_at) where match_count = 0;
