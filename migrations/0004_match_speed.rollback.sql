-- Undo 0004.
drop index private.request_match_keys_key_budget_idx;
create index request_match_keys_key_budget_idx on private.request_match_keys using gist (key, budget);
drop index private.listing_match_keys_key_reach_idx;
create index listing_match_keys_key_reach_idx on private.listing_match_keys using gist (key, reach);
drop index public.portfolios_search_filters_idx;
create index portfolios_district_norm_idx on public.portfolios (district_norm, type);
