-- Undo 0020: the delivery RPCs, the reminder notifications and the claim columns go.
drop function if exists public.claim_notifications(integer, interval);
drop function if exists public.notification_sent(uuid, text);
drop function if exists public.share_listing(uuid);
drop trigger if exists _900_notify_reminder on public.tasks;
drop function if exists private.tg_tasks__notify_reminder();
drop trigger if exists _200_delivery on public.pending_notifications;
drop function if exists private.tg_pending_notifications__delivery();
drop index if exists public.interaction_tracker_last_inbound_idx;
drop index if exists public.pending_notifications_claim_idx;
delete from public.pending_notifications where kind = 'reminder';
alter table public.pending_notifications
  drop column claimed_until,
  drop column claim_attempts,
  drop column wa_message_id,
  drop column match_id,
  drop constraint pending_notifications_kind_check,
  add constraint pending_notifications_kind_check check (kind in ('match', 'proactive'));
comment on column public.pending_notifications.kind is 'match (new matches for an agent or customer) or proactive (offers; needs consent_marketing).';
comment on column public.pending_notifications.delivered_at is 'When it was delivered; NULL while pending.';
