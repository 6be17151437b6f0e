-- Identity: contacts, agent_profiles, agent_visibility.
-- Declarative schema (current state). Migrations must produce exactly this; tests/test_catalog.py proves it.

-- Section - Schemas
-- private holds security definer helpers and trigger functions; the API never exposes it.
create schema if not exists private;
revoke all on schema private from public;
comment on schema private is 'VIC internals (trigger functions, security definer helpers); not exposed through the API.';
-- guard holds what the API roles run as themselves (policy predicates, input checks); nothing in private is
-- executable by them.
create schema if not exists guard;
revoke all on schema guard from public;
comment on schema guard is 'Helpers the API roles run as themselves: row-level security predicates about the caller (auth.uid()), input checks, the normalisers generated columns use. Not exposed through the API; nothing here writes across row-level security (tests/test_lints.py).';

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

-- Section - contact_identity_history: written by a trigger only (functions/ingest.sql)
create table private.contact_identity_history (
  id bigint generated always as identity primary key,
  contact_id uuid not null references public.contacts (id) on delete cascade,
  field text not null
    constraint contact_identity_history_field_check check (field in ('phone', 'bsuid')),
  old_value text
    constraint contact_identity_history_old_value_check check (length(old_value) <= 128),
  new_value text
    constraint contact_identity_history_new_value_check check (length(new_value) <= 128),
  changed_by uuid references public.contacts (id) on delete set null,
  changed_at timestamptz not null default now()
);
create index contact_identity_history_contact_id_changed_at_idx on private.contact_identity_history (contact_id, changed_at);
create index contact_identity_history_changed_by_idx on private.contact_identity_history (changed_by);
comment on table private.contact_identity_history is 'Every change of a contact''s phone or bsuid (a new number, a username), written by a trigger only: which identifier a contact had when; read through public.contact_identity_history.';
comment on column private.contact_identity_history.id is 'Change id.';
comment on column private.contact_identity_history.contact_id is 'The contact whose identifier changed (its id, messages and sessions stay).';
comment on column private.contact_identity_history.field is 'phone or bsuid.';
comment on column private.contact_identity_history.old_value is 'The identifier before (NULL: there was none).';
comment on column private.contact_identity_history.new_value is 'The identifier after (NULL: removed).';
comment on column private.contact_identity_history.changed_by is 'The acting contact (auth.uid()); NULL for the bot or the dashboard.';
comment on column private.contact_identity_history.changed_at is 'When it changed.';

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
    constraint agent_profiles_target_monthly_check check (target_monthly >= 0)
    constraint agent_profiles_target_monthly_max_check check (target_monthly <= 1000),
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- Brokers act for their office: policies look agents up by office.
create index agent_profiles_office_idx on public.agent_profiles (office);
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

-- Section - consent history: evidence of every consent change, written by the contacts triggers only
-- (functions/consent.sql) and never changed; read through public.consent_history. message_id's foreign key is
-- added with message_log (db/04_conversation.sql).
create table private.consent_history (
  id bigint generated always as identity primary key,
  contact_id uuid not null references public.contacts (id) on delete cascade,
  consent text not null
    constraint consent_history_consent_check check (consent in ('transfer', 'training', 'marketing')),
  granted boolean not null,
  changed_at timestamptz not null default now(),
  changed_by uuid,
  actor_role text not null
    constraint consent_history_actor_role_check check (length(actor_role) between 1 and 100),
  message_id uuid,
  onboarding_status text not null
    constraint consent_history_onboarding_status_check check (length(onboarding_status) between 1 and 50)
);
create index consent_history_contact_id_idx on private.consent_history (contact_id, id);
comment on table private.consent_history is 'KVKK / ETK evidence: one row per consent granted or withdrawn, written by the contacts triggers only (every path: RPC, API, dashboard), never updated or deleted.';
comment on column private.consent_history.id is 'Change id, in the order the changes were made.';
comment on column private.consent_history.contact_id is 'Whose consent changed.';
comment on column private.consent_history.consent is 'transfer (KVKK art. 9), training or marketing (ETK / IYS).';
comment on column private.consent_history.granted is 'True: granted; false: withdrawn.';
comment on column private.consent_history.changed_at is 'When it changed (the transaction''s time, as consent_*_at).';
comment on column private.consent_history.changed_by is 'The acting contact (auth.uid()); NULL for the bot or the dashboard without a token. Not a foreign key: evidence outlives the actor.';
comment on column private.consent_history.actor_role is 'The session''s role: authenticated, service_role (the bot), the dashboard user (postgres), or migration for a row reconstructed by 0018.';
comment on column private.consent_history.message_id is 'The contact''s inbound WhatsApp message that gave or withdrew it (record_consent p_message_id), when there was one.';
comment on column private.consent_history.onboarding_status is 'The contact''s onboarding_status after the change (opted_out: the opt-out withdrew marketing).';
