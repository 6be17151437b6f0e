-- Undo 0002.
drop index if exists public.agent_profiles_office_idx;
