-- Undo 0017: the claim queue's functions and columns go; the release before reads processed_at as a claim mark.
drop function if exists public.claim_messages(text, integer, interval, integer);
drop function if exists public.ack_message(uuid, text);
drop function if exists public.ack_messages(uuid[], text);
drop function if exists public.release_message(uuid, text, text);
drop function if exists public.dead_messages(integer, integer);
drop function if exists public.requeue_message(uuid);
drop index if exists public.message_log_dead_idx;
drop index if exists public.message_log_held_idx;
drop index if exists public.message_log_claim_contact_idx;
drop index if exists public.message_log_claim_idx;
alter table public.message_log
  drop constraint message_log_processed_or_dead_check,
  drop constraint message_log_claim_inbound_check,
  drop column last_error,
  drop column dead_at,
  drop column lease_until;
create index message_log_claim_idx on public.message_log (processed_at, created_at) where direction = 'inbound';
comment on column public.message_log.processed_at is 'Claim column: NULL while waiting; set when a worker claims the message. A claim older than the lease may be taken again, so a dead worker loses nothing.';
comment on column public.message_log.claim_attempts is 'How many times the message was claimed (a dead worker''s lease expires and it is claimed again).';
