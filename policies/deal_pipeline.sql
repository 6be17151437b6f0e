-- Deal pipeline: grants and row-level security policies (re-applied after every migrate).
-- Locked down first: Supabase grants every public table to the API roles by default.
-- No policy yet, so row-level security denies every row to anon and authenticated;
-- service_role bypasses row-level security, as on every Supabase project.
revoke all on table public.deals, public.showings, public.deal_confirmations, public.deal_negotiations, public.platform_commissions from anon, authenticated;
grant select, insert, update, delete on table public.deals, public.showings, public.deal_confirmations, public.deal_negotiations, public.platform_commissions to service_role;
