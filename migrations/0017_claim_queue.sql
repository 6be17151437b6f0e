-- 0017 claim queue (issue 13, item 3): inbound messages are handed to workers with a lease
-- (public.claim_messages, functions/inbox.sql); processed_at is set when the worker acknowledges the message,
-- lease_until while a worker holds it, dead_at when it failed too often (the dead letters staff read and requeue).
alter table public.message_log
  add column lease_until timestamptz,
  add column dead_at timestamptz,
  add column last_error text
    constraint message_log_last_error_length_check check (length(last_error) <= 2000);
-- only inbound messages are claimed; a message is processed or dead, never both
alter table public.message_log
  add constraint message_log_claim_inbound_check check (direction = 'inbound' or (lease_until is null and dead_at is null)),
  add constraint message_log_processed_or_dead_check check (processed_at is null or dead_at is null);

comment on column public.message_log.processed_at is 'Claim column: NULL while the message waits or is being worked on; set (now()) when the worker holding its lease acknowledges it (ack_message).';
comment on column public.message_log.claimed_by is 'The worker that claimed the message last.';
comment on column public.message_log.claim_attempts is 'Attempts so far: +1 each time the message is handed out, -1 when it is handed back untried (release without an error); at the limit it goes to the dead letters instead of out again.';
comment on column public.message_log.lease_until is 'Until when claimed_by holds the message; an unacknowledged message whose lease has passed is handed out again.';
comment on column public.message_log.dead_at is 'When the message went to the dead letters (too many failed attempts); no longer handed out until staff requeue it.';
comment on column public.message_log.last_error is 'The last failure: the error a worker handed the message back with, or the lease that expired.';

-- the claim queue: inbound messages never handed out or handed back, oldest first (the seed's index also held
-- processed and leased messages, which the queue then read past)
drop index public.message_log_claim_idx;
create index message_log_claim_idx on public.message_log (created_at, id)
  where direction = 'inbound' and processed_at is null and dead_at is null and lease_until is null;
-- a contact's waiting messages (leased ones too), in order
create index message_log_claim_contact_idx on public.message_log (from_contact, created_at, id)
  where direction = 'inbound' and processed_at is null and dead_at is null;
-- the messages under a lease (live, or passed and not yet handed out again): whether a contact is held, one probe
-- however many messages it has waiting; and the passed leases, to hand out again
create index message_log_held_idx on public.message_log (from_contact, lease_until)
  where lease_until is not null and processed_at is null and dead_at is null;
-- the dead letters, newest first
create index message_log_dead_idx on public.message_log (dead_at desc, id) where dead_at is not null;
