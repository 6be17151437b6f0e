-- 0004 match speed (issue 5, item 7): what `make bench` showed the matcher and the search still paid for.

-- Section - Match keys: the GiST (key, range) indexes carry the row id, so finding a new row's partners is an
-- index-only scan instead of one heap visit per partner.
drop index private.request_match_keys_key_budget_idx;
create index request_match_keys_key_budget_idx on private.request_match_keys using gist (key, budget) include (request_id);
drop index private.listing_match_keys_key_reach_idx;
create index listing_match_keys_key_reach_idx on private.listing_match_keys using gist (key, reach) include (portfolio_id);

-- Section - Search filters: one btree over every structured filter of search_portfolios, the price last (a
-- range), so district + type + currency + sale/rent + price band is one index range; it replaces the
-- (district_norm, type) index, whose uses it covers.
drop index public.portfolios_district_norm_idx;
create index portfolios_search_filters_idx on public.portfolios (district_norm, type, currency, listing_type, listed_price);
