-- 0005 deal pipeline: what showings, closings, commissions and follow-ups need beyond the ERD's columns
-- (docs/deals.md). 0004 is left to the matching speed work.

-- Section - showings: a slot [scheduled_at, ends_at); a listing is never shown in overlapping slots.
alter table public.showings add column ends_at timestamptz;
update public.showings set ends_at = scheduled_at + interval '1 hour';
alter table public.showings
  alter column ends_at set not null,
  add constraint showings_slot_check check (ends_at > scheduled_at),
  add constraint showings_no_overlap
    exclude using gist (portfolio_id with =, tstzrange(scheduled_at, ends_at) with &&) where (status <> 'cancelled');
comment on column public.showings.ends_at is 'When the visit ends (scheduled_at + 1 hour unless given); slots of one listing never overlap.';

-- Section - deals: a cancelled deal says why, a closed one when.
alter table public.deals
  add constraint deals_cancel_reason_status_check check ((status = 'cancelled') = (cancel_reason is not null)),
  add constraint deals_closed_at_status_check check ((status = 'closed') = (closed_at is not null));
-- stale_deals and open_followups read open deals by idleness
create index deals_open_last_activity_idx on public.deals (last_activity_at)
  where status not in ('closed', 'cancelled');

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

-- Section - tasks: follow-ups and reminders name their deal, so none is opened twice.
alter table public.tasks add column deal_id uuid references public.deals (id) on delete set null;
create index tasks_deal_id_idx on public.tasks (deal_id, task_type, created_at);
comment on column public.tasks.deal_id is 'The deal a follow-up or reminder concerns.';

-- Section - documents: one certificate per showing, one contract per deal.
create unique index documents_one_certificate_key on public.documents (showing_id) where type = 'certificate';
create unique index documents_one_contract_key on public.documents (deal_id) where type = 'contract';
