-- Operations: grants and row-level security policies (re-applied after every migrate).
-- Locked down first: Supabase grants every public table to the API roles by default.
-- No policy yet, so row-level security denies every row to anon and authenticated;
-- service_role bypasses row-level security, as on every Supabase project.
revoke all on table public.tasks, public.documents from anon, authenticated;
grant select, insert, update, delete on table public.tasks, public.documents to service_role;
