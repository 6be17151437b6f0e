-- 0020 delivery (issue 13, item 7): notifications are handed out under a lease by public.claim_notifications
-- and marked delivered by public.notification_sent, which logs the send in message_log with its WhatsApp id
-- (functions/delivery.sql). Closing reminders become notifications (kind reminder); a listing card shared by
-- the request's agent names its match (one pending share per match).
alter table public.pending_notifications
  drop constraint pending_notifications_kind_check,
  add constraint pending_notifications_kind_check check (kind in ('match', 'proactive', 'reminder')),
  add column claimed_until timestamptz,
  add column claim_attempts integer not null default 0
    constraint pending_notifications_claim_attempts_check check (claim_attempts between 0 and 1000),
  add column wa_message_id text
    constraint pending_notifications_wa_message_id_check check (length(wa_message_id) between 1 and 256)
    constraint pending_notifications_wa_message_id_key unique,
  add column match_id uuid
    constraint pending_notifications_match_id_fkey references public.portfolio_request_matches (id) on delete set null;
-- the claim: undelivered notifications of each contact whose window is open, oldest first
create index pending_notifications_claim_idx on public.pending_notifications (contact_id, created_at)
  where delivered_at is null;
create index pending_notifications_match_id_idx on public.pending_notifications (match_id);
-- a listing shared twice before it went out is one notification
create unique index pending_notifications_pending_share_key on public.pending_notifications (match_id)
  where delivered_at is null;
-- claim_notifications starts from the open windows (claim_nudges' partial index holds only windows not nudged since)
create index if not exists interaction_tracker_last_inbound_idx on public.interaction_tracker (last_inbound);

comment on column public.pending_notifications.kind is 'match (new matches for an agent; a listing card an agent shares with its customer), reminder (an unconfirmed closing side) or proactive (offers; needs consent_marketing).';
comment on column public.pending_notifications.delivered_at is 'When the send was logged (notification_sent: WhatsApp accepted it and gave its id); set once, by the database; NULL while pending.';
comment on column public.pending_notifications.claimed_until is 'Claim lease: set by claim_notifications; a notification not marked sent by then is handed out again.';
comment on column public.pending_notifications.claim_attempts is 'How many times it was handed out; after 5 it is no longer (a dead letter staff can see).';
comment on column public.pending_notifications.wa_message_id is 'WhatsApp''s id of the send (notification_sent), also in message_log; NULL while pending.';
comment on column public.pending_notifications.match_id is 'The match whose listing card an agent shared (share_listing); NULL for other notifications.';
