-- Undo 0011.
alter table public.sessions drop constraint sessions_max_price_max_check;
alter table public.platform_commissions drop constraint platform_commissions_amount_max_check;
alter table public.deal_negotiations drop constraint deal_negotiations_amount_max_check;
alter table public.deals drop constraint deals_commission_total_max_check;
alter table public.deals drop constraint deals_closing_price_max_check;
alter table public.deals drop constraint deals_offer_price_max_check;
alter table public.portfolio_media drop constraint portfolio_media_sort_order_max_check;
alter table public.portfolio_confidential drop constraint portfolio_confidential_min_price_max_check;
alter table public.portfolios drop constraint portfolios_match_floor_max_check;
alter table public.agent_profiles drop constraint agent_profiles_target_monthly_max_check;
