-- 0008: request rules against the floor-price oracle (issue 11, classes 1, 2, 6, 7).
-- * The matcher compares budgets with a coarse floor: guard.floor_band rounds the listing's floor down to a
--   step of 2% of its listed price, in one place, portfolios.price_reach. A generated expression cannot be
--   altered on PostgreSQL 15: the column is dropped and added again (the view that reads it is re-created
--   by functions/matching.sql), and the listings' match keys take the banded reach.
-- * Every budget change of a request is recorded (private.request_budget_changes, written by a trigger).
-- * guard.notified_request_ids goes: a match notification no longer opens the request to the agent
--   (the requests policy that named it is re-created by policies/portfolio_matching.sql).

-- Section - floor band
create function guard.floor_band(p_floor bigint, p_listed_price bigint) returns bigint
  language sql immutable parallel safe
  set search_path = ''
as $$
  -- exact: the band index div(floor * 50, listed price), times the step listed price / 50, rounded down
  select least(floor(div(p_floor * 50::numeric, p_listed_price) * p_listed_price / 50), p_listed_price)::bigint
$$;
comment on function guard.floor_band(bigint, bigint) is 'The floor the matcher uses: the listing''s floor rounded down to a step of 2% of its listed price (11800000 of 12500000 -> 11750000), so a budget search learns at most the band.';

drop view if exists private.pair_criteria;
alter table public.portfolios drop column price_reach;
alter table public.portfolios add column price_reach int8range
  generated always as (int8range(coalesce(guard.floor_band(match_floor, listed_price), listed_price), listed_price, '[]')) stored;
comment on column public.portfolios.price_reach is 'Prices the listing can close at for matching: [floor rounded down to a step of 2% of the listed price (guard.floor_band), listed price]; matches when it overlaps a request''s budget. Confidential.';
update private.listing_match_keys k set reach = p.price_reach from public.portfolios p where p.id = k.portfolio_id;

-- Section - budget changes
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

-- Section - notified requests no longer readable
drop policy if exists "Customers, their agents and brokers read requests" on public.requests;
drop function if exists guard.notified_request_ids();
