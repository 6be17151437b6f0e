-- Undo 0019: the session RPCs, the training export and their triggers go (functions/ of the release before
-- have none of them), then the currency slot, the whole-budget check and the export index.
drop function if exists public.update_session_slots(uuid, jsonb);
drop function if exists public.extract_request(uuid);
drop function if exists public.close_session(uuid);
drop function if exists public.session_summary(uuid);
drop function if exists public.export_training_conversations(timestamptz, integer);
drop trigger if exists _140_district on public.sessions;
drop trigger if exists _210_status on public.sessions;
drop trigger if exists _300_completeness on public.sessions;
drop trigger if exists _155_source_session on public.requests;
drop function if exists private.tg_sessions__district();
drop function if exists private.tg_sessions__status();
drop function if exists private.tg_sessions__completeness();
drop function if exists private.tg_requests__source_session();
drop function if exists guard.session_slots(jsonb);
drop function if exists guard.session_criteria(public.sessions);
drop function if exists guard.session_missing_slots(public.sessions);
drop index if exists public.contacts_training_export_idx;
alter table public.sessions drop constraint sessions_max_price_whole_check;
alter table public.sessions drop column currency;
comment on column public.sessions.district is 'Qualifying slot: district.';
comment on column public.sessions.max_price is 'Qualifying slot: budget, whole units.';
comment on column public.sessions.qualifying_completeness is 'Share of qualifying slots filled, 0-1, kept by the database.';
