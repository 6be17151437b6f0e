-- Undo 0018: the consent history, the tracker's triggers and the nudge index go; record_consent of the
-- release before (without p_message_id) is made by that release's functions/. What reads the history is dropped
-- with it, so no trigger is left pointing at a missing table.
drop trigger if exists _350_consent_rules on public.contacts;
drop trigger if exists _820_consent_history_insert on public.contacts;
drop trigger if exists _820_consent_history_update on public.contacts;
drop trigger if exists _810_tracker_insert on public.contacts;
drop trigger if exists _810_tracker_update on public.contacts;
drop trigger if exists _700_tracker on public.message_log;
drop table private.consent_history;  -- its append-only triggers with it
drop function if exists private.tg_contacts__consent_rules();
drop function if exists private.tg_contacts__consent_history();
drop function if exists private.tg_consent_history__append_only();
drop function if exists private.tg_contacts__tracker();
drop function if exists private.tg_message_log__tracker();
drop function if exists private.phone_expiry(text, timestamptz, timestamptz);
drop function if exists private.acting_role();
drop function if exists public.record_consent(text, boolean, uuid, uuid);
drop function if exists public.consent_history(uuid);
drop function if exists public.window_open(uuid);
drop function if exists public.window_status(uuid);
drop function if exists public.claim_nudges(integer, interval);
drop index if exists public.interaction_tracker_nudge_idx;
