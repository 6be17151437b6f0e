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
    constraint deals_offer_price_check check (offer_price > 0)
    constraint deals_offer_price_max_check check (offer_price <= 1000000000000),
  closing_price bigint
    constraint deals_closing_price_check check (closing_price > 0)
    constraint deals_closing_price_max_check check (closing_price <= 1000000000000),
  commission_total bigint
    constraint deals_commission_total_check check (commission_total >= 0)
    constraint deals_commission_total_max_check check (commission_total <= 1000000000000),
  cancel_reason text
    constraint deals_cancel_reason_check check (length(btrim(cancel_reason)) between 1 and 1000),
  last_activity_at timestamptz not null default now(),
  closed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint deals_cancel_reason_status_check check ((status = 'cancelled') = (cancel_reason is not null)),
  constraint deals_closed_at_status_check check ((status = 'closed') = (closed_at is not null))
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
-- stale_deals and open_followups read open deals by idleness
create index deals_open_last_activity_idx on public.deals (last_activity_at)
  where status not in ('closed', 'cancelled');
-- list_deals: the most recently active first, all or of one status
create index deals_last_activity_idx on public.deals (last_activity_at, id);
create index deals_status_last_activity_idx on public.deals (status, last_activity_at, id);
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
  ends_at timestamptz not null,
  status text not null default 'scheduled'
    constraint showings_status_check check (status in ('scheduled', 'shown', 'cancelled')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint showings_slot_check check (ends_at > scheduled_at),
  -- a listing is never shown to two parties in overlapping slots
  constraint showings_no_overlap
    exclude using gist (portfolio_id with =, tstzrange(scheduled_at, ends_at) with &&) where (status <> 'cancelled')
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
comment on column public.showings.ends_at is 'When the visit ends (scheduled_at + 1 hour unless given); slots of one listing never overlap.';
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
    constraint deal_negotiations_amount_check check (amount > 0)
    constraint deal_negotiations_amount_max_check check (amount <= 1000000000000),
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
    constraint platform_commissions_amount_check check (amount >= 0)
    constraint platform_commissions_amount_max_check check (amount <= 1000000000000),
  status text not null default 'pending'
    constraint platform_commissions_status_check check (status in ('pending', 'invoiced', 'paid')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint platform_commissions_deal_id_role_key unique (deal_id, role),
  constraint platform_commissions_contact_id_check check (role = 'platform' or contact_id is not null)
);
create index platform_commissions_contact_id_idx on public.platform_commissions (contact_id);
-- list_commissions: the newest first, all or of one status
create index platform_commissions_created_at_idx on public.platform_commissions (created_at, id);
create index platform_commissions_status_created_at_idx on public.platform_commissions (status, created_at, id);
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

-- Section - commission split: the configurable shares of commission_total (percent, adding up to 100)
create table private.commission_split (
  deal_kind text primary key
    constraint commission_split_deal_kind_check check (deal_kind in ('single', 'cross')),
  listing_rate numeric(5, 2) not null constraint commission_split_listing_rate_check check (listing_rate >= 0),
  buying_rate numeric(5, 2) not null constraint commission_split_buying_rate_check check (buying_rate >= 0),
  platform_rate numeric(5, 2) not null constraint commission_split_platform_rate_check check (platform_rate >= 0),
  updated_at timestamptz not null default now(),
  constraint commission_split_total_check check (listing_rate + buying_rate + platform_rate = 100),
  constraint commission_split_single_check check (deal_kind = 'cross' or buying_rate = 0)
);
insert into private.commission_split (deal_kind, listing_rate, buying_rate, platform_rate)
values ('single', 90, 0, 10), ('cross', 45, 45, 10);
comment on table private.commission_split is 'Shares of a closed deal''s commission_total in percent: single (one agent) and cross (co-broking) deals; set_commission_split changes them.';
