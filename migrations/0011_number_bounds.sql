-- 0011: bounded numbers (issue 11, class 9). An upper bound on every amount and count a direct write could
-- store (the RPCs refuse the same values with VC001 first; docs/errors.md, Bounds): amounts up to 10^12, a
-- monthly target up to 1000 closings, a listing's media at positions 0-99 (at most 100 media).

alter table public.agent_profiles add constraint agent_profiles_target_monthly_max_check check (target_monthly <= 1000);
alter table public.portfolios add constraint portfolios_match_floor_max_check check (match_floor <= 1000000000000);
alter table public.portfolio_confidential add constraint portfolio_confidential_min_price_max_check check (min_price <= 1000000000000);
alter table public.portfolio_media add constraint portfolio_media_sort_order_max_check check (sort_order <= 99);
alter table public.deals add constraint deals_offer_price_max_check check (offer_price <= 1000000000000);
alter table public.deals add constraint deals_closing_price_max_check check (closing_price <= 1000000000000);
alter table public.deals add constraint deals_commission_total_max_check check (commission_total <= 1000000000000);
alter table public.deal_negotiations add constraint deal_negotiations_amount_max_check check (amount <= 1000000000000);
alter table public.platform_commissions add constraint platform_commissions_amount_max_check check (amount <= 1000000000000);
alter table public.sessions add constraint sessions_max_price_max_check check (max_price <= 1000000000000);
