-- 0001 foundation: the 21 tables of the ERD in five groups, row-level security on every table.
-- Released migrations are immutable: change the schema with a new migration and keep db/ equal.

-- ===== db/01_identity.sql =====
-- Identity: contacts, agent_profiles, agent_visibility.
-- Declarative schema (current state). Migrations must produce exactly this; tests/test_catalog.py proves it.

-- Section - Schemas
-- private holds security definer helpers and trigger functions; the API never exposes it.
create schema if not exists private;
revoke all on schema private from public;
comment on schema private is 'VIC internals (trigger functions, security definer helpers); not exposed through the API.';

-- Section - contacts
create table public.contacts (
  id uuid primary key default gen_random_uuid(),
  phone text unique
    constraint contacts_phone_e164_check check (phone ~ '^\+[1-9][0-9]{6,14}$'),
  bsuid text unique
    constraint contacts_bsuid_check check (bsuid ~ '^\S{1,128}$'),
  contact_type text not null default 'lead'
    constraint contacts_contact_type_check
      check (contact_type in ('lead', 'customer', 'property_owner', 'agent', 'staff')),
  display_name text
    constraint contacts_display_name_check check (length(display_name) between 1 and 200),
  onboarding_status text not null default 'new'
    constraint contacts_onboarding_status_check
      check (onboarding_status in ('new', 'consent_pending', 'profiling', 'active', 'opted_out', 'blocked')),
  consent_transfer boolean not null default false,
  consent_transfer_at timestamptz,
  consent_training boolean not null default false,
  consent_training_at timestamptz,
  consent_marketing boolean not null default false,
  consent_marketing_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint contacts_phone_or_bsuid_check check (phone is not null or bsuid is not null)
);
alter table public.contacts enable row level security;

comment on table public.contacts is 'Every WhatsApp identity (lead, customer, property owner, agent, staff). A dashboard user''s id equals their contact id; auth.uid() is the acting contact.';
comment on column public.contacts.id is 'Contact id; the subject (sub) of the JWT when this contact acts.';
comment on column public.contacts.phone is 'WhatsApp number in E.164 (+905321234567); unique; may be absent when the contact reaches us by username (bsuid).';
comment on column public.contacts.bsuid is 'WhatsApp business-scoped user id; unique; may be absent when a phone is known.';
comment on column public.contacts.contact_type is 'Identity category: lead, customer, property_owner, agent or staff.';
comment on column public.contacts.display_name is 'Name shown to agents (WhatsApp profile name or as told).';
comment on column public.contacts.onboarding_status is 'Onboarding state machine: new -> consent_pending -> profiling -> active; any -> opted_out or blocked; opted_out -> consent_pending.';
comment on column public.contacts.consent_transfer is 'KVKK art. 9 consent to data leaving Turkey through WhatsApp; without it no message content is stored beyond what the law allows.';
comment on column public.contacts.consent_transfer_at is 'When consent_transfer last changed.';
comment on column public.contacts.consent_training is 'Opt-in to use conversations for model training; exports must filter on it.';
comment on column public.contacts.consent_training_at is 'When consent_training last changed.';
comment on column public.contacts.consent_marketing is 'ETK / IYS consent to proactive offers.';
comment on column public.contacts.consent_marketing_at is 'When consent_marketing last changed.';
comment on column public.contacts.created_at is 'When the row was created.';
comment on column public.contacts.updated_at is 'When the row last changed (kept by a trigger).';

-- Section - agent_profiles
create table public.agent_profiles (
  contact_id uuid primary key references public.contacts (id) on delete cascade,
  role text not null default 'agent'
    constraint agent_profiles_role_check check (role in ('agent', 'broker', 'admin', 'owner')),
  office text
    constraint agent_profiles_office_check check (length(office) between 1 and 200),
  specialty text
    constraint agent_profiles_specialty_check check (length(specialty) between 1 and 200),
  territory text
    constraint agent_profiles_territory_check check (length(territory) between 1 and 500),
  target_monthly integer
    constraint agent_profiles_target_monthly_check check (target_monthly >= 0),
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.agent_profiles enable row level security;

comment on table public.agent_profiles is 'Authority: what a contact may do as an agent (1:1 with contacts). An inactive profile loses agent rights at once.';
comment on column public.agent_profiles.contact_id is 'The agent''s contact.';
comment on column public.agent_profiles.role is 'agent, broker (sees the office), admin or owner (platform owner).';
comment on column public.agent_profiles.office is 'The office (emlak ofisi) the agent works for; brokers act for their office.';
comment on column public.agent_profiles.specialty is 'What the agent specialises in (e.g. luxury villas, shops).';
comment on column public.agent_profiles.territory is 'Districts the agent covers, as written by the agent (e.g. "Kadıköy, Üsküdar").';
comment on column public.agent_profiles.target_monthly is 'Monthly target (number of closings) the agent set.';
comment on column public.agent_profiles.active is 'False removes every agent right at once.';
comment on column public.agent_profiles.created_at is 'When the row was created.';
comment on column public.agent_profiles.updated_at is 'When the row last changed (kept by a trigger).';

-- Section - agent_visibility
-- portfolio_id and deal_id reference tables of later groups; their foreign keys are added there.
create table public.agent_visibility (
  id uuid primary key default gen_random_uuid(),
  portfolio_id text not null,
  agent_id uuid not null references public.contacts (id) on delete cascade,
  visibility_level text not null
    constraint agent_visibility_visibility_level_check
      check (visibility_level in ('anonymous', 'partial', 'full')),
  deal_id uuid,
  granted_by uuid references public.contacts (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint agent_visibility_portfolio_id_agent_id_key unique (portfolio_id, agent_id)
);
create index agent_visibility_agent_id_idx on public.agent_visibility (agent_id);
create index agent_visibility_deal_id_idx on public.agent_visibility (deal_id);
create index agent_visibility_granted_by_idx on public.agent_visibility (granted_by);
alter table public.agent_visibility enable row level security;

comment on table public.agent_visibility is 'How much of another agent''s listing an agent may see: anonymous, partial or full; no row means anonymous. Never lowered by itself.';
comment on column public.agent_visibility.id is 'Grant id.';
comment on column public.agent_visibility.portfolio_id is 'The listing the grant is for.';
comment on column public.agent_visibility.agent_id is 'The agent who may see the listing.';
comment on column public.agent_visibility.visibility_level is 'anonymous (type, listing type, district, rooms, price band), partial (+ exact price, title, description, media, agent name), full (+ agent phone).';
comment on column public.agent_visibility.deal_id is 'The deal that unlocked this level, when a deal did.';
comment on column public.agent_visibility.granted_by is 'Who granted it (listing agent or broker); NULL when the database granted it (match, deal).';
comment on column public.agent_visibility.created_at is 'When the row was created.';
comment on column public.agent_visibility.updated_at is 'When the row last changed (kept by a trigger).';

-- ===== db/02_portfolio_matching.sql =====
-- Portföy & Matching: portfolios, portfolio_confidential, portfolio_media, portfolio_history, requests,
-- market_signals, portfolio_request_matches.

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
    constraint portfolios_listed_price_check check (listed_price > 0),
  currency text not null default 'TRY'
    constraint portfolios_currency_check check (currency in ('TRY', 'USD', 'EUR', 'GBP')),
  status text not null default 'active'
    constraint portfolios_status_check check (status in ('active', 'inactive', 'sold')),
  search_vector tsvector,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- flats and villas always have a room count; land and shops may have none
  constraint portfolios_rooms_required_check check (rooms is not null or type in ('dukkan', 'arsa'))
);
create index portfolios_agent_id_idx on public.portfolios (agent_id);
create index portfolios_search_vector_idx on public.portfolios using gin (search_vector);
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
comment on column public.portfolios.search_vector is 'Full-text vector over title, description, district, type and rooms, kept by the database.';
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
    constraint portfolio_confidential_min_price_check check (min_price > 0),
  commission_rate numeric(5, 2)
    constraint portfolio_confidential_commission_rate_check check (commission_rate > 0 and commission_rate <= 100),
  private_notes text,
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
    constraint portfolio_media_sort_order_check check (sort_order >= 0),
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
  old_value jsonb,
  new_value jsonb,
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
    constraint requests_criteria_check check (jsonb_typeof(criteria) = 'object'),
  status text not null default 'new'
    constraint requests_status_check check (status in ('new', 'assigned', 'closed')),
  source_session_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint requests_assigned_agent_check check (status <> 'assigned' or assigned_agent is not null)
);
create index requests_customer_id_idx on public.requests (customer_id);
create index requests_assigned_agent_idx on public.requests (assigned_agent);
create index requests_source_session_id_idx on public.requests (source_session_id);
alter table public.requests enable row level security;

comment on table public.requests is 'A customer''s buy or rent request, matched against active listings.';
comment on column public.requests.id is 'Request id.';
comment on column public.requests.customer_id is 'The customer who asked.';
comment on column public.requests.assigned_agent is 'The agent who took the request; NULL until one does.';
comment on column public.requests.request_type is 'buy (matches sale listings) or rent (matches rent listings).';
comment on column public.requests.criteria is 'Search criteria: exactly the keys districts, types, rooms, min_price, max_price, currency.';
comment on column public.requests.status is 'new -> assigned -> closed.';
comment on column public.requests.source_session_id is 'The WhatsApp session the request was extracted from.';
comment on column public.requests.created_at is 'When the row was created.';
comment on column public.requests.updated_at is 'When the row last changed (kept by a trigger).';

-- Section - market_signals
create table public.market_signals (
  id uuid primary key default gen_random_uuid(),
  source_type text not null
    constraint market_signals_source_type_check check (source_type in ('request', 'search', 'session')),
  source_id uuid references public.contacts (id) on delete set null,
  query_raw text,
  parsed_criteria jsonb,
  match_count integer not null default 0
    constraint market_signals_match_count_check check (match_count >= 0),
  created_at timestamptz not null default now()
);
create index market_signals_source_id_idx on public.market_signals (source_id);
create index market_signals_created_at_idx on public.market_signals (created_at);
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
create index portfolio_request_matches_notified_agent_id_idx on public.portfolio_request_matches (notified_agent_id);
alter table public.portfolio_request_matches enable row level security;

comment on table public.portfolio_request_matches is 'The matcher''s output, one row per (listing, request) pair, written by triggers in both directions.';
comment on column public.portfolio_request_matches.id is 'Match id.';
comment on column public.portfolio_request_matches.portfolio_id is 'The listing.';
comment on column public.portfolio_request_matches.request_id is 'The request.';
comment on column public.portfolio_request_matches.match_score is 'Score 0-5: district, type, rooms, reachable within budget, within budget without negotiation.';
comment on column public.portfolio_request_matches.trigger_type is 'Which side created the match: portfolio or request.';
comment on column public.portfolio_request_matches.notified is 'True once the agent who should act has been notified.';
comment on column public.portfolio_request_matches.notified_agent_id is 'The agent who should act (request''s agent, else the listing agent).';
comment on column public.portfolio_request_matches.created_at is 'When the row was created.';
comment on column public.portfolio_request_matches.updated_at is 'When the row last changed (kept by a trigger).';

-- ===== db/03_deal_pipeline.sql =====
-- Deal pipeline: deals, showings, deal_confirmations, deal_negotiations, platform_commissions.

-- Section - deals
create table public.deals (
  id uuid primary key default gen_random_uuid(),
  portfolio_id text not null references public.portfolios (id),
  customer_id uuid not null references public.contacts (id),
  listing_agent_id uuid not null references public.contacts (id),
  buying_agent_id uuid references public.contacts (id),
  -- derived, never written: a deal is cross-agent when another agent brings the customer
  is_cross_agent boolean not null
    generated always as (buying_agent_id is not null and buying_agent_id <> listing_agent_id) stored,
  match_id uuid references public.portfolio_request_matches (id) on delete set null,
  request_id uuid references public.requests (id),
  created_by uuid references public.contacts (id) on delete set null,
  status text not null default 'matched'
    constraint deals_status_check
      check (status in ('matched', 'showing', 'negotiating', 'agreed', 'closing', 'closed', 'cancelled')),
  offer_price bigint
    constraint deals_offer_price_check check (offer_price > 0),
  closing_price bigint
    constraint deals_closing_price_check check (closing_price > 0),
  commission_total bigint
    constraint deals_commission_total_check check (commission_total >= 0),
  cancel_reason text
    constraint deals_cancel_reason_check check (length(btrim(cancel_reason)) between 1 and 1000),
  last_activity_at timestamptz not null default now(),
  closed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index deals_portfolio_id_idx on public.deals (portfolio_id);
create index deals_customer_id_idx on public.deals (customer_id);
create index deals_listing_agent_id_idx on public.deals (listing_agent_id);
create index deals_buying_agent_id_idx on public.deals (buying_agent_id);
create index deals_match_id_idx on public.deals (match_id);
create index deals_request_id_idx on public.deals (request_id);
create index deals_created_by_idx on public.deals (created_by);
-- one open negotiation per listing and customer
create unique index deals_one_open_per_customer_key on public.deals (portfolio_id, customer_id)
  where status not in ('closed', 'cancelled');
alter table public.deals enable row level security;

comment on table public.deals is 'One negotiation of a listing with a customer: matched -> showing -> negotiating -> agreed -> closing -> closed, or cancelled.';
comment on column public.deals.id is 'Deal id.';
comment on column public.deals.portfolio_id is 'The listing.';
comment on column public.deals.customer_id is 'The buying or renting customer.';
comment on column public.deals.listing_agent_id is 'The listing (selling) agent, from the listing.';
comment on column public.deals.buying_agent_id is 'The agent who brings the customer (the request''s agent); NULL when the listing agent works alone.';
comment on column public.deals.is_cross_agent is 'Derived: true when the buying agent is another agent (co-broking). Never written.';
comment on column public.deals.match_id is 'The match the deal was opened from.';
comment on column public.deals.request_id is 'The customer''s request.';
comment on column public.deals.created_by is 'Who opened the deal.';
comment on column public.deals.status is 'matched, showing, negotiating, agreed, closing, closed or cancelled.';
comment on column public.deals.offer_price is 'The agreed price (set when an offer is accepted), whole units.';
comment on column public.deals.closing_price is 'The price the deal closes at, whole units.';
comment on column public.deals.commission_total is 'closing_price x the listing''s commission rate, whole units, VAT excluded.';
comment on column public.deals.cancel_reason is 'Why the deal was cancelled.';
comment on column public.deals.last_activity_at is 'Moves with every showing, offer and confirmation; idle deals are stale.';
comment on column public.deals.closed_at is 'When the deal closed.';
comment on column public.deals.created_at is 'When the row was created.';
comment on column public.deals.updated_at is 'When the row last changed (kept by a trigger).';

-- Section - agent_visibility.deal_id (table of the Identity group)
alter table public.agent_visibility
  add foreign key (deal_id) references public.deals (id) on delete set null;

-- Section - showings
create table public.showings (
  id uuid primary key default gen_random_uuid(),
  request_id uuid references public.requests (id),
  portfolio_id text not null references public.portfolios (id),
  agent_id uuid not null references public.contacts (id),
  customer_id uuid not null references public.contacts (id),
  buying_agent_id uuid references public.contacts (id),
  deal_id uuid references public.deals (id),
  scheduled_at timestamptz not null,
  status text not null default 'scheduled'
    constraint showings_status_check check (status in ('scheduled', 'shown', 'cancelled')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index showings_request_id_idx on public.showings (request_id);
create index showings_portfolio_id_idx on public.showings (portfolio_id, scheduled_at);
create index showings_agent_id_idx on public.showings (agent_id);
create index showings_customer_id_idx on public.showings (customer_id);
create index showings_buying_agent_id_idx on public.showings (buying_agent_id);
create index showings_deal_id_idx on public.showings (deal_id);
alter table public.showings enable row level security;

comment on table public.showings is 'A visit of a listing with a customer: scheduled -> shown (certificate issued) or cancelled.';
comment on column public.showings.id is 'Showing id.';
comment on column public.showings.request_id is 'The request the visit serves.';
comment on column public.showings.portfolio_id is 'The listing shown.';
comment on column public.showings.agent_id is 'The listing (selling) agent.';
comment on column public.showings.customer_id is 'The visiting customer.';
comment on column public.showings.buying_agent_id is 'The agent who brings the customer when it is another agent (cross-agent).';
comment on column public.showings.deal_id is 'The deal the visit belongs to.';
comment on column public.showings.scheduled_at is 'When the visit starts.';
comment on column public.showings.status is 'scheduled, shown or cancelled.';
comment on column public.showings.created_at is 'When the row was created.';
comment on column public.showings.updated_at is 'When the row last changed (kept by a trigger).';

-- Section - deal_confirmations
create table public.deal_confirmations (
  id uuid primary key default gen_random_uuid(),
  deal_id uuid not null references public.deals (id) on delete cascade,
  agent_id uuid not null references public.contacts (id),
  role text not null
    constraint deal_confirmations_role_check check (role in ('listing', 'buying')),
  confirmed boolean not null default false,
  confirmed_at timestamptz,
  reminder_sent boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint deal_confirmations_deal_id_role_key unique (deal_id, role),
  constraint deal_confirmations_confirmed_at_check check (not confirmed or confirmed_at is not null)
);
create index deal_confirmations_agent_id_idx on public.deal_confirmations (agent_id);
alter table public.deal_confirmations enable row level security;

comment on table public.deal_confirmations is 'Dual confirm: one row per agent side of a closing deal; the deal closes once every side confirmed.';
comment on column public.deal_confirmations.id is 'Confirmation id.';
comment on column public.deal_confirmations.deal_id is 'The closing deal.';
comment on column public.deal_confirmations.agent_id is 'The agent who must confirm this side.';
comment on column public.deal_confirmations.role is 'listing or buying side.';
comment on column public.deal_confirmations.confirmed is 'True once the agent confirmed.';
comment on column public.deal_confirmations.confirmed_at is 'When the agent confirmed.';
comment on column public.deal_confirmations.reminder_sent is 'True once a reminder went to an unconfirmed side (sent once).';
comment on column public.deal_confirmations.created_at is 'When the row was created.';
comment on column public.deal_confirmations.updated_at is 'When the row last changed (kept by a trigger).';

-- Section - deal_negotiations
create table public.deal_negotiations (
  id uuid primary key default gen_random_uuid(),
  deal_id uuid not null references public.deals (id) on delete cascade,
  from_contact_id uuid not null references public.contacts (id),
  to_contact_id uuid not null references public.contacts (id),
  amount bigint not null
    constraint deal_negotiations_amount_check check (amount > 0),
  status text not null default 'pending'
    constraint deal_negotiations_status_check check (status in ('pending', 'countered', 'accepted', 'rejected')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint deal_negotiations_parties_check check (from_contact_id <> to_contact_id)
);
create index deal_negotiations_deal_id_idx on public.deal_negotiations (deal_id, created_at);
create index deal_negotiations_from_contact_id_idx on public.deal_negotiations (from_contact_id);
create index deal_negotiations_to_contact_id_idx on public.deal_negotiations (to_contact_id);
-- one pending offer at a time per deal
create unique index deal_negotiations_one_pending_key on public.deal_negotiations (deal_id) where status = 'pending';
alter table public.deal_negotiations enable row level security;

comment on table public.deal_negotiations is 'Offer ping-pong between the deal''s parties: one pending offer at a time.';
comment on column public.deal_negotiations.id is 'Offer id.';
comment on column public.deal_negotiations.deal_id is 'The deal.';
comment on column public.deal_negotiations.from_contact_id is 'Who made the offer.';
comment on column public.deal_negotiations.to_contact_id is 'Who must answer it.';
comment on column public.deal_negotiations.amount is 'Offered price, whole units of the listing''s currency.';
comment on column public.deal_negotiations.status is 'pending, countered, accepted or rejected.';
comment on column public.deal_negotiations.created_at is 'When the offer was made.';
comment on column public.deal_negotiations.updated_at is 'When the row last changed (kept by a trigger).';

-- Section - platform_commissions
create table public.platform_commissions (
  id uuid primary key default gen_random_uuid(),
  deal_id uuid not null references public.deals (id),
  contact_id uuid references public.contacts (id),
  role text not null
    constraint platform_commissions_role_check check (role in ('listing', 'buying', 'platform')),
  rate numeric(5, 2) not null
    constraint platform_commissions_rate_check check (rate >= 0 and rate <= 100),
  amount bigint not null
    constraint platform_commissions_amount_check check (amount >= 0),
  status text not null default 'pending'
    constraint platform_commissions_status_check check (status in ('pending', 'invoiced', 'paid')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint platform_commissions_deal_id_role_key unique (deal_id, role),
  constraint platform_commissions_contact_id_check check (role = 'platform' or contact_id is not null)
);
create index platform_commissions_contact_id_idx on public.platform_commissions (contact_id);
alter table public.platform_commissions enable row level security;

comment on table public.platform_commissions is 'The split of a closed deal''s commission_total into listing, buying and platform rows; they add up to the total exactly.';
comment on column public.platform_commissions.id is 'Commission row id.';
comment on column public.platform_commissions.deal_id is 'The closed deal.';
comment on column public.platform_commissions.contact_id is 'Who is paid: the listing or buying agent; NULL for the platform''s share.';
comment on column public.platform_commissions.role is 'listing, buying or platform.';
comment on column public.platform_commissions.rate is 'This row''s share of commission_total, in percent.';
comment on column public.platform_commissions.amount is 'This row''s amount, whole units, VAT excluded.';
comment on column public.platform_commissions.status is 'pending -> invoiced -> paid.';
comment on column public.platform_commissions.created_at is 'When the row was created.';
comment on column public.platform_commissions.updated_at is 'When the row last changed (kept by a trigger).';

-- ===== db/04_conversation.sql =====
-- Conversation: sessions, message_log, interaction_tracker, pending_notifications.

-- Section - sessions
create table public.sessions (
  id uuid primary key default gen_random_uuid(),
  contact_id uuid not null references public.contacts (id) on delete cascade,
  status text not null default 'active'
    constraint sessions_status_check check (status in ('active', 'closed', 'extracted')),
  last_message_at timestamptz,
  intent text
    constraint sessions_intent_check check (intent in ('buy', 'rent', 'sell', 'let')),
  district text
    constraint sessions_district_check check (length(btrim(district)) between 1 and 100),
  property_type text
    constraint sessions_property_type_check check (property_type in ('daire', 'villa', 'dukkan', 'arsa')),
  rooms text
    constraint sessions_rooms_check check (rooms ~ '^[1-9][0-9]?\+[0-9]$'),
  max_price numeric
    constraint sessions_max_price_check check (max_price > 0),
  language text not null default 'tr'
    constraint sessions_language_check check (language ~ '^[a-z]{2}$'),
  qualifying_completeness numeric(3, 2) not null default 0
    constraint sessions_qualifying_completeness_check check (qualifying_completeness between 0 and 1),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index sessions_contact_id_idx on public.sessions (contact_id);
alter table public.sessions enable row level security;

comment on table public.sessions is 'A conversation with the bot and the qualifying slots it has filled: active -> extracted (a request was created) or closed.';
comment on column public.sessions.id is 'Session id.';
comment on column public.sessions.contact_id is 'The contact talking to the bot.';
comment on column public.sessions.status is 'active, closed or extracted.';
comment on column public.sessions.last_message_at is 'When the last message of the session arrived or left.';
comment on column public.sessions.intent is 'What the contact wants: buy, rent, sell or let (rent out).';
comment on column public.sessions.district is 'Qualifying slot: district.';
comment on column public.sessions.property_type is 'Qualifying slot: daire, villa, dukkan or arsa.';
comment on column public.sessions.rooms is 'Qualifying slot: rooms (3+1 form).';
comment on column public.sessions.max_price is 'Qualifying slot: budget, whole units.';
comment on column public.sessions.language is 'Conversation language, ISO 639-1 (tr, en, ar, ru …).';
comment on column public.sessions.qualifying_completeness is 'Share of qualifying slots filled, 0-1, kept by the database.';
comment on column public.sessions.created_at is 'When the row was created.';
comment on column public.sessions.updated_at is 'When the row last changed (kept by a trigger).';

-- Section - requests.source_session_id (table of the Portföy & Matching group)
alter table public.requests
  add foreign key (source_session_id) references public.sessions (id) on delete set null;

-- Section - message_log
create table public.message_log (
  id uuid primary key default gen_random_uuid(),
  from_contact uuid references public.contacts (id),
  to_contact uuid references public.contacts (id),
  direction text not null
    constraint message_log_direction_check check (direction in ('inbound', 'outbound')),
  message_type text not null default 'text'
    constraint message_log_message_type_check
      check (message_type in ('text', 'image', 'video', 'audio', 'document', 'location', 'contacts',
                              'sticker', 'reaction', 'button', 'interactive', 'template')),
  content text,
  wa_message_id text unique
    constraint message_log_wa_message_id_check check (length(wa_message_id) between 1 and 256),
  session_id uuid references public.sessions (id) on delete set null,
  processed_at timestamptz,
  claimed_by text,
  claim_attempts integer not null default 0
    constraint message_log_claim_attempts_check check (claim_attempts >= 0),
  interactive_payload jsonb,
  created_at timestamptz not null default now(),
  -- an inbound message always has a sender and WhatsApp's id; an outbound one a recipient
  constraint message_log_direction_parties_check check (
    (direction = 'inbound' and from_contact is not null and wa_message_id is not null)
    or (direction = 'outbound' and to_contact is not null)
  )
);
create index message_log_from_contact_idx on public.message_log (from_contact);
create index message_log_to_contact_idx on public.message_log (to_contact);
create index message_log_session_id_idx on public.message_log (session_id);
-- the claim queue: inbound messages whose lease is free or expired, oldest first
create index message_log_claim_idx on public.message_log (processed_at, created_at) where direction = 'inbound';
alter table public.message_log enable row level security;

comment on table public.message_log is 'Every WhatsApp message in or out; a webhook redelivery (same wa_message_id) changes nothing. Inbound messages are claimed by workers through processed_at.';
comment on column public.message_log.id is 'Message id.';
comment on column public.message_log.from_contact is 'Sender (NULL for the bot).';
comment on column public.message_log.to_contact is 'Recipient (NULL for the bot).';
comment on column public.message_log.direction is 'inbound (from WhatsApp) or outbound (to WhatsApp).';
comment on column public.message_log.message_type is 'WhatsApp message type: text, image, video, audio, document, location, contacts, sticker, reaction, button, interactive, template.';
comment on column public.message_log.content is 'Message text; stored only as consent_transfer allows.';
comment on column public.message_log.wa_message_id is 'WhatsApp''s message id (wamid), unique: redeliveries are ignored.';
comment on column public.message_log.session_id is 'The bot session the message belongs to.';
comment on column public.message_log.processed_at is 'Claim column: NULL while waiting; set when a worker claims the message. A claim older than the lease may be taken again, so a dead worker loses nothing.';
comment on column public.message_log.claimed_by is 'The worker that claimed the message last.';
comment on column public.message_log.claim_attempts is 'How many times the message was claimed (a dead worker''s lease expires and it is claimed again).';
comment on column public.message_log.interactive_payload is 'Button / list reply payload of interactive messages.';
comment on column public.message_log.created_at is 'When the message was received or queued.';

-- Section - interaction_tracker
create table public.interaction_tracker (
  contact_id uuid primary key references public.contacts (id) on delete cascade,
  last_inbound timestamptz,
  last_outbound timestamptz,
  phone_expires_at timestamptz,
  nudge_sent_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.interaction_tracker enable row level security;

comment on table public.interaction_tracker is 'One row per contact, kept by the database: the WhatsApp 24-hour customer-service window and nudges.';
comment on column public.interaction_tracker.contact_id is 'The contact.';
comment on column public.interaction_tracker.last_inbound is 'Last message from the contact; the free-form window is open for 24 hours after it.';
comment on column public.interaction_tracker.last_outbound is 'Last message to the contact.';
comment on column public.interaction_tracker.phone_expires_at is 'When WhatsApp''s 30-day phone number validity for the contact ends.';
comment on column public.interaction_tracker.nudge_sent_at is 'When the last template nudge went out: at most one per closed window (atomic dedupe).';
comment on column public.interaction_tracker.created_at is 'When the row was created.';
comment on column public.interaction_tracker.updated_at is 'When the row last changed (kept by a trigger).';

-- Section - pending_notifications
create table public.pending_notifications (
  id uuid primary key default gen_random_uuid(),
  contact_id uuid not null references public.contacts (id) on delete cascade,
  kind text not null
    constraint pending_notifications_kind_check check (kind in ('match', 'proactive')),
  body text not null
    constraint pending_notifications_body_check check (length(btrim(body)) between 1 and 4096),
  buttons jsonb
    constraint pending_notifications_buttons_check check (jsonb_typeof(buttons) = 'array'),
  delivered_at timestamptz,
  created_at timestamptz not null default now()
);
create index pending_notifications_contact_id_idx on public.pending_notifications (contact_id);
-- the delivery queue: undelivered notifications, oldest first
create index pending_notifications_undelivered_idx on public.pending_notifications (created_at) where delivered_at is null;
alter table public.pending_notifications enable row level security;

comment on table public.pending_notifications is 'Match and proactive messages waiting for delivery; handed out only inside the contact''s window, proactive ones only with marketing consent; delivered once.';
comment on column public.pending_notifications.id is 'Notification id.';
comment on column public.pending_notifications.contact_id is 'The recipient.';
comment on column public.pending_notifications.kind is 'match (new matches for an agent or customer) or proactive (offers; needs consent_marketing).';
comment on column public.pending_notifications.body is 'Rich free-form message body (WhatsApp limit 4096 characters).';
comment on column public.pending_notifications.buttons is 'Reply buttons as a JSON array.';
comment on column public.pending_notifications.delivered_at is 'When it was delivered; NULL while pending.';
comment on column public.pending_notifications.created_at is 'When it was queued.';

-- ===== db/05_operations.sql =====
-- Operations: tasks, documents.

-- Section - tasks
create table public.tasks (
  id uuid primary key default gen_random_uuid(),
  agent_id uuid not null references public.contacts (id),
  task_type text not null
    constraint tasks_task_type_check check (task_type in ('followup', 'reminder', 'showing_prep', 'document', 'call')),
  title text not null
    constraint tasks_title_check check (length(btrim(title)) between 1 and 200),
  related_contact uuid references public.contacts (id) on delete set null,
  related_portfolio text references public.portfolios (id) on delete set null,
  due_at timestamptz,
  status text not null default 'pending'
    constraint tasks_status_check check (status in ('pending', 'done', 'cancelled')),
  completed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index tasks_agent_id_idx on public.tasks (agent_id, status, due_at);
create index tasks_related_contact_idx on public.tasks (related_contact);
create index tasks_related_portfolio_idx on public.tasks (related_portfolio);
alter table public.tasks enable row level security;

comment on table public.tasks is 'An agent''s to-do list; the database opens tasks itself for stale deals and unconfirmed closings.';
comment on column public.tasks.id is 'Task id.';
comment on column public.tasks.agent_id is 'The agent who must do it.';
comment on column public.tasks.task_type is 'followup, reminder, showing_prep, document or call.';
comment on column public.tasks.title is 'What to do.';
comment on column public.tasks.related_contact is 'The contact it concerns.';
comment on column public.tasks.related_portfolio is 'The listing it concerns.';
comment on column public.tasks.due_at is 'When it is due.';
comment on column public.tasks.status is 'pending -> done or cancelled.';
comment on column public.tasks.completed_at is 'When it was done or cancelled.';
comment on column public.tasks.created_at is 'When the row was created.';
comment on column public.tasks.updated_at is 'When the row last changed (kept by a trigger).';

-- Section - documents
create table public.documents (
  id uuid primary key default gen_random_uuid(),
  type text not null
    constraint documents_type_check check (type in ('contract', 'certificate')),
  contact_id uuid references public.contacts (id),
  portfolio_id text references public.portfolios (id),
  agent_id uuid references public.contacts (id),
  showing_id uuid references public.showings (id),
  deal_id uuid references public.deals (id),
  template_data jsonb not null default '{}'
    constraint documents_template_data_check check (jsonb_typeof(template_data) = 'object'),
  file_url text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index documents_contact_id_idx on public.documents (contact_id);
create index documents_portfolio_id_idx on public.documents (portfolio_id);
create index documents_agent_id_idx on public.documents (agent_id);
create index documents_showing_id_idx on public.documents (showing_id);
create index documents_deal_id_idx on public.documents (deal_id);
alter table public.documents enable row level security;

comment on table public.documents is 'Contracts and showing certificates (yer gösterme belgesi) with the data to render them.';
comment on column public.documents.id is 'Document id.';
comment on column public.documents.type is 'contract or certificate.';
comment on column public.documents.contact_id is 'The customer it concerns.';
comment on column public.documents.portfolio_id is 'The listing it concerns.';
comment on column public.documents.agent_id is 'The agent it concerns.';
comment on column public.documents.showing_id is 'The showing a certificate proves.';
comment on column public.documents.deal_id is 'The deal a contract closes.';
comment on column public.documents.template_data is 'Data to render the document: parties, listing, date, agents, price.';
comment on column public.documents.file_url is 'The rendered file, once rendered.';
comment on column public.documents.created_at is 'When the row was created.';
comment on column public.documents.updated_at is 'When the row last changed (kept by a trigger).';
