-- 0006: drop the criteria indexes of the first matcher. Since 0003/0004 the matcher finds partners through the
-- match keys' GiST (key, range) indexes and reads them by primary key; no query filters on these any more.
-- They cost every listing and request write, and they misled the planner: with a new request in the same
-- transaction it probed requests_crit_budget_idx once per partner (a thousand rows read and thrown away each)
-- instead of the primary key, about 5x slower.
drop index public.portfolios_district_keys_idx;
drop index public.portfolios_price_reach_idx;
drop index public.requests_crit_districts_idx;
drop index public.requests_crit_budget_idx;
