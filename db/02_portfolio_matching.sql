-- Portföy & Matching: portfolios, portfolio_confidential, portfolio_media, portfolio_history, requests,
-- market_signals, portfolio_request_matches.

create extension if not exists unaccent with schema extensions;
create extension if not exists btree_gist with schema extensions;

-- Section - Normalisation and search helpers (immutable: generated columns use them)

-- Turkish-insensitive form of a text: unaccent (İ→I, ı→i, ş→s, ğ→g, ö→o, ü→u, ç→c), then lower case.
-- Unaccenting first makes the result independent of the database locale's case rules. Rooms (3+1) become
-- one word (3arti1), which the text parser would otherwise split into 3 and +1.
create function guard.tr_norm(p_text text) returns text
  language sql immutable parallel safe
  set search_path = ''
as $$
  select regexp_replace(lower(extensions.unaccent('extensions.unaccent'::regdictionary, p_text)),
                        '([0-9]+) *\+ *([0-9]+)', '\1arti\2', 'g')
$$;
comment on function guard.tr_norm(text) is 'Turkish-insensitive form: unaccent then lower (Kadıköy, KADIKÖY, kadikoy -> kadikoy); rooms 3+1 -> 3arti1.';

-- A weighted vector of a text: simple tokens (exact words) plus turkish stems, so both meet a prefix query.
create function guard.tr_vector(p_text text, p_weight "char") returns tsvector
  language sql immutable parallel safe
  set search_path = ''
as $$
  select setweight(to_tsvector('simple'::regconfig, guard.tr_norm(coalesce(p_text, '')))
                   || to_tsvector('turkish'::regconfig, guard.tr_norm(coalesce(p_text, ''))), p_weight)
$$;
comment on function guard.tr_vector(text, "char") is 'Weighted tsvector of a text: Turkish-normalised simple tokens plus turkish stems.';

-- The part of a listing anyone may search: district, type and rooms (what an anonymous card shows).
create function guard.listing_public_vector(p_district text, p_type text, p_rooms text) returns tsvector
  language sql immutable parallel safe
  set search_path = ''
as $$
  select guard.tr_vector(concat_ws(' ', p_district, p_type, p_rooms), 'B')
$$;
comment on function guard.listing_public_vector(text, text, text) is 'Search vector of the fields every agent sees (district, type, rooms).';

-- The 1-1.5-2-3-5-7.5 x 10^n step around a price: what an anonymous card shows instead of the price.
create function guard.price_band(p_price bigint, out band_min bigint, out band_max bigint)
  language sql immutable
  set search_path = ''
as $$
  select (s.lo * 10::numeric ^ e.n)::bigint, (s.hi * 10::numeric ^ e.n)::bigint
  -- (no band for a price that is not positive: the column's check rejects it)
  from (select case when p_price > 0 then floor(log(p_price::numeric))::integer end as n) as e,
       (values (1.0, 1.5), (1.5, 2.0), (2.0, 3.0), (3.0, 5.0), (5.0, 7.5), (7.5, 10.0)) as s (lo, hi)
  where p_price >= s.lo * 10::numeric ^ e.n and p_price < s.hi * 10::numeric ^ e.n
$$;
comment on function guard.price_band(bigint) is 'Price band of a price (12500000 -> 10000000..15000000), shown on anonymous cards.';

-- The floor the matcher uses (attack class c1): rounded down to a step of 2% of the listed price.
create function guard.floor_band(p_floor bigint, p_listed_price bigint) returns bigint
  language sql immutable parallel safe
  set search_path = ''
as $$
  -- exact: the band index div(floor * 50, listed price), times the step listed price / 50, rounded down
  select least(floor(div(p_floor * 50::numeric, p_listed_price) * p_listed_price / 50), p_listed_price)::bigint
$$;
comment on function guard.floor_band(bigint, bigint) is 'The floor the matcher uses: the listing''s floor rounded down to a step of 2% of its listed price (11800000 of 12500000 -> 11750000), so a budget search learns at most the band.';

-- Section - Listing ids: YYYY-NNN per calendar year in Europe/Istanbul, allocated in the inserting transaction.
create table private.portfolio_id_counters (
  year integer primary key,
  last_number integer not null
    constraint portfolio_id_counters_last_number_check check (last_number > 0)
);
comment on table private.portfolio_id_counters is 'Last listing number per year; upserted by the insert that takes the next one, so numbers have no gaps or duplicates.';
comment on column private.portfolio_id_counters.year is 'Calendar year (Europe/Istanbul).';
comment on column private.portfolio_id_counters.last_number is 'The highest listing number given in that year.';

-- Section - Districts: Turkey's provinces and districts, the reference spellings (rows: functions/districts.sql).
create table private.districts (
  province text not null
    constraint districts_province_check check (length(province) between 1 and 100),
  district text not null
    constraint districts_district_check check (length(district) between 1 and 100),
  norm text generated always as (guard.tr_norm(district)) stored,
  province_norm text generated always as (guard.tr_norm(province)) stored,
  primary key (province, district)
);
create index districts_norm_idx on private.districts (norm);
create index districts_province_norm_idx on private.districts (province_norm);
comment on table private.districts is 'Turkey''s provinces (il) and districts (ilçe): the reference spellings; rows written by functions/districts.sql (tools/districts.py).';
comment on column private.districts.province is 'Province (il), e.g. İstanbul.';
comment on column private.districts.district is 'District (ilçe) of the province, e.g. Kadıköy.';
comment on column private.districts.norm is 'guard.tr_norm(district): the form names are looked up and matched by.';
comment on column private.districts.province_norm is 'guard.tr_norm(province).';

-- A criteria array as matching keys (used by requests' generated columns).
create function guard.criteria_keys(p_criteria jsonb, p_key text, p_normalise boolean) returns text[]
  language sql immutable parallel safe
  set search_path = ''
as $$
  select coalesce(
    (select array_agg(case when p_normalise then guard.tr_norm(e) else e end order by e)
     from jsonb_array_elements_text(case when jsonb_typeof(p_criteria -> p_key) = 'array' then p_criteria -> p_key end) as e),
    array['*'])
$$;
comment on function guard.criteria_keys(jsonb, text, boolean) is 'A criteria array as matching keys ({*} when the request names none).';

-- Section - portfolios
create table public.portfolios (
  id text primary key
    constraint portfolios_id_check check (id ~ '^[0-9]{4}-[0-9]{3,}$'),
  agent_id uuid not null references public.contacts (id),
  type text not null
    constraint portfolios_type_check check (type in ('daire', 'villa', 'dukkan', 'arsa')),
  listing_type text not null
    constraint portfolios_listing_type_check check (listing_type in ('sale', 'rent')),
  title text not null
    constraint portfolios_title_check check (length(btrim(title)) between 1 and 200),
  description text
    constraint portfolios_description_check check (length(description) <= 5000),
  city text not null default 'İstanbul'
    constraint portfolios_city_check check (length(btrim(city)) between 1 and 100),
  district text not null
    constraint portfolios_district_check check (length(btrim(district)) between 1 and 100),
  rooms text
    constraint portfolios_rooms_check check (rooms ~ '^[1-9][0-9]?\+[0-9]$'),
  listed_price bigint not null
    constraint portfolios_listed_price_check check (listed_price > 0)
    constraint portfolios_listed_price_max_check check (listed_price <= 1000000000000),
  currency text not null default 'TRY'
    constraint portfolios_currency_check check (currency in ('TRY', 'USD', 'EUR', 'GBP')),
  status text not null default 'active'
    constraint portfolios_status_check check (status in ('active', 'inactive', 'sold')),
  -- '*' lets a request that names no district (or type) match through the same array-overlap test
  district_norm text generated always as (guard.tr_norm(district)) stored,
  district_keys text[] generated always as (array[guard.tr_norm(district), '*']) stored,
  type_keys text[] generated always as (array[type, '*']) stored,
  match_floor bigint
    constraint portfolios_match_floor_check check (match_floor > 0)
    constraint portfolios_match_floor_max_check check (match_floor <= 1000000000000),
  price_reach int8range
    generated always as (int8range(coalesce(guard.floor_band(match_floor, listed_price), listed_price), listed_price, '[]')) stored,
  price_band_min bigint generated always as ((guard.price_band(listed_price)).band_min) stored,
  price_band_max bigint generated always as ((guard.price_band(listed_price)).band_max) stored,
  public_vector tsvector generated always as (guard.listing_public_vector(district, type, rooms)) stored,
  search_vector tsvector generated always as (
    guard.tr_vector(title, 'A')
    || guard.listing_public_vector(district, type, rooms)
    || guard.tr_vector(description, 'C')) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- flats and villas always have a room count; land and shops may have none
  constraint portfolios_rooms_required_check check (rooms is not null or type in ('dukkan', 'arsa'))
);
create index portfolios_agent_id_idx on public.portfolios (agent_id);
create index portfolios_search_vector_idx on public.portfolios using gin (search_vector);
-- every structured filter of search_portfolios, the price last (a range)
create index portfolios_search_filters_idx on public.portfolios (district_norm, type, currency, listing_type, listed_price);
-- the newest first: the window a broad search ranks (functions/search.sql)
create index portfolios_newest_idx on public.portfolios ((left(id, 4)) desc, (length(id)) desc, id desc);
-- what every agent sees of active listings: an agent's text search over other agents' listings
create index portfolios_public_vector_idx on public.portfolios using gin (public_vector) where status = 'active';
alter table public.portfolios enable row level security;

comment on table public.portfolios is 'Listings (portföy) kept by agents. Other agents see them only through visibility levels.';
comment on column public.portfolios.id is 'Listing id YYYY-NNN (2026-001 … 2026-999, 2026-1000), allocated per year by the database.';
comment on column public.portfolios.agent_id is 'The listing agent.';
comment on column public.portfolios.type is 'Property type: daire (flat), villa, dukkan (shop) or arsa (land).';
comment on column public.portfolios.listing_type is 'sale or rent.';
comment on column public.portfolios.title is 'Listing headline.';
comment on column public.portfolios.description is 'Listing text.';
comment on column public.portfolios.city is 'City (il).';
comment on column public.portfolios.district is 'District (ilçe), e.g. Kadıköy.';
comment on column public.portfolios.rooms is 'Rooms in the Turkish form bedrooms+salons: 3+1, 1+0 (studio), 10+2; NULL only for shops and land.';
comment on column public.portfolios.listed_price is 'Asking price in whole units of currency (monthly rent for rentals).';
comment on column public.portfolios.currency is 'TRY, USD, EUR or GBP.';
comment on column public.portfolios.status is 'active, inactive or sold.';
comment on column public.portfolios.price_band_min is 'Lower end of the price band an anonymous card shows (12500000 -> 10000000); generated.';
comment on column public.portfolios.price_band_max is 'Upper end (exclusive) of the price band; generated.';
comment on column public.portfolios.public_vector is 'Search vector of what every agent sees (district, type, rooms); generated.';
comment on column public.portfolios.search_vector is 'Full-text vector over title (A), district, type, rooms (B) and description (C), Turkish-normalised; generated.';
comment on column public.portfolios.district_norm is 'The district, Turkish-normalised (kadikoy); generated.';
comment on column public.portfolios.district_keys is 'Matching keys: the normalised district and *; a request''s districts overlap them; generated.';
comment on column public.portfolios.type_keys is 'Matching keys: the type and *; generated.';
comment on column public.portfolios.match_floor is 'Copy of portfolio_confidential.min_price kept by a trigger, for matching only. Confidential: never shown.';
comment on column public.portfolios.price_reach is 'Prices the listing can close at for matching: [floor rounded down to a step of 2% of the listed price (guard.floor_band), listed price]; matches when it overlaps a request''s budget. Confidential.';
comment on column public.portfolios.created_at is 'When the row was created.';
comment on column public.portfolios.updated_at is 'When the row last changed (kept by a trigger).';

-- Section - agent_visibility.portfolio_id (table of the Identity group)
alter table public.agent_visibility
  add foreign key (portfolio_id) references public.portfolios (id) on delete cascade;

-- Section - portfolio_confidential
create table public.portfolio_confidential (
  portfolio_id text primary key references public.portfolios (id) on delete cascade,
  owner_name text
    constraint portfolio_confidential_owner_name_check check (length(btrim(owner_name)) between 1 and 200),
  owner_phone text
    constraint portfolio_confidential_owner_phone_e164_check check (owner_phone ~ '^\+[1-9][0-9]{6,14}$'),
  min_price bigint
    constraint portfolio_confidential_min_price_check check (min_price > 0)
    constraint portfolio_confidential_min_price_max_check check (min_price <= 1000000000000),
  commission_rate numeric(5, 2)
    constraint portfolio_confidential_commission_rate_check check (commission_rate > 0 and commission_rate <= 100),
  private_notes text
    constraint portfolio_confidential_private_notes_length_check check (length(private_notes) <= 5000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.portfolio_confidential enable row level security;

comment on table public.portfolio_confidential is 'Broker-only data of a listing: owner, floor price, commission. Only the listing agent, brokers, admins and owners may read or write it.';
comment on column public.portfolio_confidential.portfolio_id is 'The listing.';
comment on column public.portfolio_confidential.owner_name is 'Property owner''s name.';
comment on column public.portfolio_confidential.owner_phone is 'Property owner''s phone, E.164.';
comment on column public.portfolio_confidential.min_price is 'Dip fiyat: the lowest price the owner accepts, whole units; never above listed_price; never shown to other agents.';
comment on column public.portfolio_confidential.commission_rate is 'Commission rate in percent of the closing price (e.g. 2.00).';
comment on column public.portfolio_confidential.private_notes is 'Notes for the listing agent and brokers only.';
comment on column public.portfolio_confidential.created_at is 'When the row was created.';
comment on column public.portfolio_confidential.updated_at is 'When the row last changed (kept by a trigger).';

-- Section - portfolio_media
create table public.portfolio_media (
  id uuid primary key default gen_random_uuid(),
  portfolio_id text not null references public.portfolios (id) on delete cascade,
  media_type text not null
    constraint portfolio_media_media_type_check check (media_type in ('photo', 'video')),
  storage_path text not null
    constraint portfolio_media_storage_path_check check (length(btrim(storage_path)) between 1 and 1024),
  sort_order integer not null
    constraint portfolio_media_sort_order_check check (sort_order >= 0)
    constraint portfolio_media_sort_order_max_check check (sort_order <= 99),
  uploaded_by uuid references public.contacts (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- deferrable so that a reorder can swap positions inside one transaction
  constraint portfolio_media_portfolio_id_sort_order_key unique (portfolio_id, sort_order)
    deferrable initially immediate
);
create index portfolio_media_uploaded_by_idx on public.portfolio_media (uploaded_by);
alter table public.portfolio_media enable row level security;

comment on table public.portfolio_media is 'Photos and videos of a listing in Supabase Storage, in display order.';
comment on column public.portfolio_media.id is 'Media id.';
comment on column public.portfolio_media.portfolio_id is 'The listing.';
comment on column public.portfolio_media.media_type is 'photo or video.';
comment on column public.portfolio_media.storage_path is 'Object path in Supabase Storage.';
comment on column public.portfolio_media.sort_order is 'Display position, unique per listing.';
comment on column public.portfolio_media.uploaded_by is 'Who uploaded it.';
comment on column public.portfolio_media.created_at is 'When the row was created.';
comment on column public.portfolio_media.updated_at is 'When the row last changed (kept by a trigger).';

-- Section - portfolio_history
create table public.portfolio_history (
  id uuid primary key default gen_random_uuid(),
  portfolio_id text not null references public.portfolios (id) on delete cascade,
  event_type text not null
    constraint portfolio_history_event_type_check
      check (event_type in ('create', 'update', 'deactivate', 'reactivate', 'sold')),
  old_value jsonb
    constraint portfolio_history_old_value_length_check check (octet_length(old_value::text) <= 65536),
  new_value jsonb
    constraint portfolio_history_new_value_length_check check (octet_length(new_value::text) <= 65536),
  changed_by uuid references public.contacts (id) on delete set null,
  is_confidential boolean not null default false,
  created_at timestamptz not null default now()
);
create index portfolio_history_portfolio_id_idx on public.portfolio_history (portfolio_id, created_at);
create index portfolio_history_changed_by_idx on public.portfolio_history (changed_by);
alter table public.portfolio_history enable row level security;

comment on table public.portfolio_history is 'Audit trail of listings, written only by triggers: one row per create, update, deactivate, reactivate or sold.';
comment on column public.portfolio_history.id is 'History row id.';
comment on column public.portfolio_history.portfolio_id is 'The listing.';
comment on column public.portfolio_history.event_type is 'create, update, deactivate, reactivate or sold.';
comment on column public.portfolio_history.old_value is 'The changed fields before the change (only those).';
comment on column public.portfolio_history.new_value is 'The changed fields after the change (only those).';
comment on column public.portfolio_history.changed_by is 'The acting contact; NULL when the database itself acted.';
comment on column public.portfolio_history.is_confidential is 'True when the row records portfolio_confidential data: visible only to its readers.';
comment on column public.portfolio_history.created_at is 'When the change happened.';

-- Section - requests
-- source_session_id references sessions (Conversation group); its foreign key is added there.
create table public.requests (
  id uuid primary key default gen_random_uuid(),
  customer_id uuid not null references public.contacts (id),
  assigned_agent uuid references public.contacts (id),
  request_type text not null
    constraint requests_request_type_check check (request_type in ('buy', 'rent')),
  criteria jsonb not null default '{}'
    constraint requests_criteria_check check (jsonb_typeof(criteria) = 'object')
    constraint requests_criteria_length_check check (octet_length(criteria::text) <= 8000),
  status text not null default 'new'
    constraint requests_status_check check (status in ('new', 'assigned', 'closed')),
  source_session_id uuid,
  crit_districts text[] generated always as (guard.criteria_keys(criteria, 'districts', true)) stored,
  crit_types text[] generated always as (guard.criteria_keys(criteria, 'types', false)) stored,
  crit_rooms text[] generated always as (
    case when jsonb_typeof(criteria -> 'rooms') = 'array' then guard.criteria_keys(criteria, 'rooms', false) end) stored,
  crit_currency text generated always as (coalesce(criteria ->> 'currency', 'TRY')) stored,
  crit_min_price bigint generated always as ((criteria ->> 'min_price')::bigint) stored,
  crit_max_price bigint generated always as ((criteria ->> 'max_price')::bigint) stored,
  crit_budget int8range generated always as (
    int8range((criteria ->> 'min_price')::bigint, (criteria ->> 'max_price')::bigint, '[]')) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint requests_assigned_agent_check check (status <> 'assigned' or assigned_agent is not null)
);
create index requests_customer_id_idx on public.requests (customer_id);
create index requests_assigned_agent_idx on public.requests (assigned_agent);
create index requests_source_session_id_idx on public.requests (source_session_id);
-- list_requests: the newest first, all or of one status
create index requests_created_at_idx on public.requests (created_at, id);
create index requests_status_created_at_idx on public.requests (status, created_at, id);
alter table public.requests enable row level security;

comment on table public.requests is 'A customer''s buy or rent request, matched against active listings.';
comment on column public.requests.id is 'Request id.';
comment on column public.requests.customer_id is 'The customer who asked.';
comment on column public.requests.assigned_agent is 'The agent who took the request; NULL until one does.';
comment on column public.requests.request_type is 'buy (matches sale listings) or rent (matches rent listings).';
comment on column public.requests.criteria is 'Search criteria: exactly the keys districts, types, rooms, min_price, max_price, currency.';
comment on column public.requests.status is 'new -> assigned -> closed.';
comment on column public.requests.source_session_id is 'The WhatsApp session the request was extracted from.';
comment on column public.requests.crit_districts is 'criteria.districts, Turkish-normalised ({*} when none named); generated.';
comment on column public.requests.crit_types is 'criteria.types ({*} when none named); generated.';
comment on column public.requests.crit_rooms is 'criteria.rooms (NULL when none named); generated.';
comment on column public.requests.crit_currency is 'criteria.currency (TRY when not named); generated.';
comment on column public.requests.crit_min_price is 'criteria.min_price; generated.';
comment on column public.requests.crit_max_price is 'criteria.max_price; generated.';
comment on column public.requests.crit_budget is 'Budget [min_price, max_price] (open ends when not named); generated.';
comment on column public.requests.created_at is 'When the row was created.';
comment on column public.requests.updated_at is 'When the row last changed (kept by a trigger).';

-- Section - request_budget_changes: written by a trigger only (functions/requests.sql)
create table private.request_budget_changes (
  id bigint generated always as identity primary key,
  request_id uuid not null references public.requests (id) on delete cascade,
  old_min_price bigint,
  old_max_price bigint,
  new_min_price bigint,
  new_max_price bigint,
  changed_by uuid references public.contacts (id) on delete set null,
  changed_at timestamptz not null default now()
);
create index request_budget_changes_request_id_changed_at_idx on private.request_budget_changes (request_id, changed_at);
create index request_budget_changes_changed_at_idx on private.request_budget_changes (changed_at);
create index request_budget_changes_changed_by_idx on private.request_budget_changes (changed_by);
comment on table private.request_budget_changes is 'Every change of a request''s min_price or max_price, written by a trigger only: the daily limit counts them, public.budget_churn reports them.';
comment on column private.request_budget_changes.id is 'Change id.';
comment on column private.request_budget_changes.request_id is 'The request whose budget moved.';
comment on column private.request_budget_changes.old_min_price is 'criteria.min_price before (NULL: not named).';
comment on column private.request_budget_changes.old_max_price is 'criteria.max_price before (NULL: not named).';
comment on column private.request_budget_changes.new_min_price is 'criteria.min_price after (NULL: not named).';
comment on column private.request_budget_changes.new_max_price is 'criteria.max_price after (NULL: not named).';
comment on column private.request_budget_changes.changed_by is 'The acting contact (auth.uid()); NULL for the bot or the dashboard.';
comment on column private.request_budget_changes.changed_at is 'When the budget changed.';

-- Section - market_signals
create table public.market_signals (
  id uuid primary key default gen_random_uuid(),
  source_type text not null
    constraint market_signals_source_type_check check (source_type in ('request', 'search', 'session')),
  source_id uuid references public.contacts (id) on delete set null,
  query_raw text
    constraint market_signals_query_raw_length_check check (length(query_raw) <= 4096),
  parsed_criteria jsonb
    constraint market_signals_parsed_criteria_length_check check (octet_length(parsed_criteria::text) <= 8000),
  match_count integer not null default 0
    constraint market_signals_match_count_check check (match_count >= 0),
  created_at timestamptz not null default now()
);
create index market_signals_source_id_idx on public.market_signals (source_id);
create index market_signals_created_at_idx on public.market_signals (created_at);
-- unmet demand is read by period
create index market_signals_unmet_idx on public.market_signals (created_at) where match_count = 0;
alter table public.market_signals enable row level security;

comment on table public.market_signals is 'Demand signals left by every search, request and session extraction; match_count 0 is unmet demand.';
comment on column public.market_signals.id is 'Signal id.';
comment on column public.market_signals.source_type is 'request, search or session.';
comment on column public.market_signals.source_id is 'The contact whose search, request or session left the signal.';
comment on column public.market_signals.query_raw is 'The raw query as typed or said.';
comment on column public.market_signals.parsed_criteria is 'The criteria parsed from it (same keys as requests.criteria).';
comment on column public.market_signals.match_count is 'How many listings matched; 0 means unmet demand.';
comment on column public.market_signals.created_at is 'When the signal was recorded.';

-- Section - portfolio_request_matches
create table public.portfolio_request_matches (
  id uuid primary key default gen_random_uuid(),
  portfolio_id text not null references public.portfolios (id) on delete cascade,
  request_id uuid not null references public.requests (id) on delete cascade,
  match_score smallint not null
    constraint portfolio_request_matches_match_score_check check (match_score between 0 and 5),
  trigger_type text not null
    constraint portfolio_request_matches_trigger_type_check check (trigger_type in ('portfolio', 'request')),
  notified boolean not null default false,
  notified_agent_id uuid references public.contacts (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint portfolio_request_matches_portfolio_id_request_id_key unique (portfolio_id, request_id)
);
create index portfolio_request_matches_request_id_idx on public.portfolio_request_matches (request_id);
-- a notification lists the agent's matches of the transaction
create index portfolio_request_matches_notified_agent_id_idx on public.portfolio_request_matches (notified_agent_id, created_at);
-- list_matches: the newest first
create index portfolio_request_matches_created_at_idx on public.portfolio_request_matches (created_at, id);
alter table public.portfolio_request_matches enable row level security;

comment on table public.portfolio_request_matches is 'The matcher''s output, one row per (listing, request) pair, written by triggers in both directions.';
comment on column public.portfolio_request_matches.id is 'Match id.';
comment on column public.portfolio_request_matches.portfolio_id is 'The listing.';
comment on column public.portfolio_request_matches.request_id is 'The request.';
comment on column public.portfolio_request_matches.match_score is 'Score 0-5: district, type, rooms, reachable within budget, within budget without negotiation.';
comment on column public.portfolio_request_matches.trigger_type is 'Which side created the match: portfolio or request.';
comment on column public.portfolio_request_matches.notified is 'True once the agent who should act has been notified.';
comment on column public.portfolio_request_matches.notified_agent_id is 'The agent who acts on the match and may read it: the request''s agent, else the listing agent (kept current by the database).';
comment on column public.portfolio_request_matches.created_at is 'When the row was created.';
comment on column public.portfolio_request_matches.updated_at is 'When the row last changed (kept by a trigger).';

-- Section - Match keys: every hard filter but the price as one exact key per combination, beside the price
-- range, in GiST (key, range) indexes. One index probe then finds exactly the rows of the right market,
-- district and type whose prices meet, however large the rest grows. Kept by the matching triggers.
create table private.request_match_keys (
  request_id uuid not null references public.requests (id) on delete cascade,
  key text not null,
  budget int8range not null,
  primary key (request_id, key)
);
-- the index carries the row id: finding partners is an index-only scan
create index request_match_keys_key_budget_idx on private.request_match_keys using gist (key, budget) include (request_id);
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
create index listing_match_keys_key_reach_idx on private.listing_match_keys using gist (key, reach) include (portfolio_id);
comment on table private.listing_match_keys is 'Active listings by match key (its district or *, its type or *) with their price reach. Confidential (the reach holds the floor).';
comment on column private.listing_match_keys.portfolio_id is 'The active listing.';
comment on column private.listing_match_keys.key is 'currency|sale or rent|normalised district or *|type or *: four per listing.';
comment on column private.listing_match_keys.reach is 'The listing''s price reach [floor, listed price].';

-- Section - Match events: the writing transaction records what changed; the matcher
-- (public.process_match_events) turns committed events into matches after commit.
create table private.match_events (
  id bigint generated always as identity primary key,
  kind text not null
    constraint match_events_kind_check check (kind in ('portfolio', 'request')),
  portfolio_ids text[],
  request_ids uuid[],
  new_rows boolean not null default false,
  created_at timestamptz not null default clock_timestamp(),
  processed_at timestamptz,
  constraint match_events_ids_check check (case kind when 'portfolio' then portfolio_ids is not null and request_ids is null
                                                      else request_ids is not null and portfolio_ids is null end)
);
-- the matcher's queue: pending events, oldest first
create index match_events_pending_idx on private.match_events (id) where processed_at is null;
comment on table private.match_events is 'One row per writing statement of portfolios/requests that changed matching inputs; the matcher processes them after commit.';
comment on column private.match_events.id is 'Event id; the matcher takes pending events in this order.';
comment on column private.match_events.kind is 'portfolio (listings written) or request (requests written).';
comment on column private.match_events.portfolio_ids is 'The listings whose matching inputs changed (kind portfolio).';
comment on column private.match_events.request_ids is 'The requests whose matching inputs changed (kind request).';
comment on column private.match_events.new_rows is 'The statement inserted the rows: a new request''s demand signal is recorded when the matcher processes it.';
comment on column private.match_events.created_at is 'When the writing statement ran.';
comment on column private.match_events.processed_at is 'When the matcher processed it; NULL while pending.';
