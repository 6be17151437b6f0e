-- Undo 0006.
create index portfolios_district_keys_idx on public.portfolios using gin (district_keys) where status = 'active';
create index portfolios_price_reach_idx on public.portfolios using gist (price_reach) where status = 'active';
create index requests_crit_districts_idx on public.requests using gin (crit_districts) where status <> 'closed';
create index requests_crit_budget_idx on public.requests using gist (crit_budget) where status <> 'closed';
