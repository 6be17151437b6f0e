-- Undo 0016: the ingestion and identity-change functions and their triggers go with the objects they use;
-- functions/ of the release before brings back its upsert_contact.
drop trigger if exists _100_withhold_content on public.message_log;
drop trigger if exists _500_identity_history on public.contacts;
drop function if exists public.ingest_message(text, text, text, text, text, text, jsonb, timestamptz);
drop function if exists public.change_contact_phone(uuid, text);
drop function if exists public.change_contact_bsuid(uuid, text);
drop function if exists public.contact_identity_history(uuid);
drop function if exists private.tg_message_log__withhold_content();
drop function if exists private.tg_contacts__identity_history();
drop function if exists private.touch_session(uuid, timestamptz);
drop function if exists guard.change_contact_identity(uuid, text, text);
drop function if exists guard.resolve_contact(text, text, text, text);
drop table private.contact_identity_history;
drop index public.sessions_one_active_idx;
alter table public.message_log drop constraint message_log_content_withheld_check;
alter table public.message_log drop column content_withheld;
