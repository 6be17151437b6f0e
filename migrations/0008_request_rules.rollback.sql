-- Undo 0008 (the functions and policies of the older release re-create what it dropped).
drop function if exists public.budget_churn(timestamptz, integer);
drop table private.request_budget_changes;
drop view if exists private.pair_criteria;
alter table public.portfolios drop column price_reach;
alter table public.portfolios add column price_reach int8range
  generated always as (int8range(coalesce(match_floor, listed_price), listed_price, '[]')) stored;
comment on column public.portfolios.price_reach is 'Prices the listing can close at: [floor (or listed price), listed price]; matches when it overlaps a request''s budget. Confidential.';
update private.listing_match_keys k set reach = p.price_reach from public.portfolios p where p.id = k.portfolio_id;
drop function guard.floor_band(bigint, bigint);
