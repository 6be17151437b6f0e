-- Identity: grants and row-level security policies (re-applied after every migrate).
-- Locked down first: Supabase grants every public table to the API roles by default.
-- No policy yet, so row-level security denies every row to anon and authenticated;
-- service_role bypasses row-level security, as on every Supabase project.
revoke all on table public.contacts, public.agent_profiles, public.agent_visibility from anon, authenticated;
grant select, insert, update, delete on table public.contacts, public.agent_profiles, public.agent_visibility to service_role;
