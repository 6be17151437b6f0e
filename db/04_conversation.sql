-- Conversation: sessions, message_log, interaction_tracker, pending_notifications.

-- Section - sessions
create table public.sessions (
  id uuid primary key default gen_random_uuid(),
  contact_id uuid not null references public.contacts (id) on delete cascade,
  status text not null default 'active'
    constraint sessions_status_check check (status in ('active', 'closed', 'extracted')),
  last_message_at timestamptz,
  intent text
    constraint sessions_intent_check check (intent in ('buy', 'rent', 'sell', 'let')),
  district text
    constraint sessions_district_check check (length(btrim(district)) between 1 and 100),
  property_type text
    constraint sessions_property_type_check check (property_type in ('daire', 'villa', 'dukkan', 'arsa')),
  rooms text
    constraint sessions_rooms_check check (rooms ~ '^[1-9][0-9]?\+[0-9]$'),
  max_price numeric
    constraint sessions_max_price_check check (max_price > 0)
    constraint sessions_max_price_max_check check (max_price <= 1000000000000)
    constraint sessions_max_price_whole_check check (max_price = trunc(max_price)),
  language text not null default 'tr'
    constraint sessions_language_check check (language ~ '^[a-z]{2}$'),
  qualifying_completeness numeric(3, 2) not null default 0
    constraint sessions_qualifying_completeness_check check (qualifying_completeness between 0 and 1),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- added by migration 0019 (last, where the migration puts it)
  currency text
    constraint sessions_currency_check check (currency in ('TRY', 'USD', 'EUR', 'GBP'))
);
create index sessions_contact_id_idx on public.sessions (contact_id);
-- one active session per contact: the message that finds none opens it, whatever arrives at the same moment
create unique index sessions_one_active_idx on public.sessions (contact_id) where status = 'active';
alter table public.sessions enable row level security;

comment on table public.sessions is 'A conversation with the bot and the qualifying slots it has filled: active -> extracted (a request was created) or closed.';
comment on column public.sessions.id is 'Session id.';
comment on column public.sessions.contact_id is 'The contact talking to the bot.';
comment on column public.sessions.status is 'active, closed or extracted.';
comment on column public.sessions.last_message_at is 'When the last message of the session arrived or left.';
comment on column public.sessions.intent is 'What the contact wants: buy, rent, sell or let (rent out).';
comment on column public.sessions.district is 'Qualifying slot: one district (ilçe), in its reference spelling (kadikoy -> Kadıköy).';
comment on column public.sessions.property_type is 'Qualifying slot: daire, villa, dukkan or arsa.';
comment on column public.sessions.rooms is 'Qualifying slot: rooms (3+1 form).';
comment on column public.sessions.max_price is 'Qualifying slot: budget, whole units (in currency).';
comment on column public.sessions.language is 'Conversation language, ISO 639-1 (tr, en, ar, ru …).';
comment on column public.sessions.qualifying_completeness is 'Share of qualifying slots filled, 0-1, kept by the database (a written value is ignored): intent 0.25, district 0.25, max_price 0.20, property_type 0.15, rooms 0.15 (counted for arsa and dukkan, which have no rooms); language and currency have defaults and weigh nothing.';
comment on column public.sessions.created_at is 'When the row was created.';
comment on column public.sessions.updated_at is 'When the row last changed (kept by a trigger).';
comment on column public.sessions.currency is 'Qualifying slot: the budget''s currency, TRY, USD, EUR or GBP (NULL: TRY).';

-- Section - requests.source_session_id (table of the Portföy & Matching group)
alter table public.requests
  add foreign key (source_session_id) references public.sessions (id) on delete set null;

-- Section - contacts (table of the Identity group): the training export starts from the contacts that opted in
-- (and whose content may leave Turkey); functions/export.sql
create index contacts_training_export_idx on public.contacts (id) where consent_training and consent_transfer;

-- Section - message_log
create table public.message_log (
  id uuid primary key default gen_random_uuid(),
  from_contact uuid references public.contacts (id),
  to_contact uuid references public.contacts (id),
  direction text not null
    constraint message_log_direction_check check (direction in ('inbound', 'outbound')),
  message_type text not null default 'text'
    constraint message_log_message_type_check
      check (message_type in ('text', 'image', 'video', 'audio', 'document', 'location', 'contacts',
                              'sticker', 'reaction', 'button', 'interactive', 'template')),
  content text
    constraint message_log_content_length_check check (length(content) <= 10000),
  wa_message_id text unique
    constraint message_log_wa_message_id_check check (length(wa_message_id) between 1 and 256),
  session_id uuid references public.sessions (id) on delete set null,
  processed_at timestamptz,
  claimed_by text
    constraint message_log_claimed_by_length_check check (length(claimed_by) <= 200),
  claim_attempts integer not null default 0
    constraint message_log_claim_attempts_check check (claim_attempts >= 0),
  lease_until timestamptz,
  dead_at timestamptz,
  last_error text
    constraint message_log_last_error_length_check check (length(last_error) <= 2000),
  interactive_payload jsonb
    constraint message_log_interactive_payload_length_check check (octet_length(interactive_payload::text) <= 20000),
  created_at timestamptz not null default now(),
  -- content not stored for want of consent_transfer (0016): metadata only
  content_withheld boolean not null default false,
  -- an inbound message always has a sender and WhatsApp's id; an outbound one a recipient
  constraint message_log_direction_parties_check check (
    (direction = 'inbound' and from_contact is not null and wa_message_id is not null)
    or (direction = 'outbound' and to_contact is not null)
  ),
  constraint message_log_content_withheld_check
    check (not content_withheld or (direction = 'inbound' and content is null and interactive_payload is null)),
  -- only inbound messages are claimed; a message is processed or dead, never both
  constraint message_log_claim_inbound_check check (direction = 'inbound' or (lease_until is null and dead_at is null)),
  constraint message_log_processed_or_dead_check check (processed_at is null or dead_at is null)
);
create index message_log_from_contact_idx on public.message_log (from_contact);
create index message_log_to_contact_idx on public.message_log (to_contact);
create index message_log_session_id_idx on public.message_log (session_id);
-- the claim queue (functions/inbox.sql): inbound messages never handed out or handed back, oldest first
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
alter table public.message_log enable row level security;

comment on table public.message_log is 'Every WhatsApp message in or out; a webhook redelivery (same wa_message_id) changes nothing. Inbound messages are claimed by workers through processed_at.';
comment on column public.message_log.id is 'Message id.';
comment on column public.message_log.from_contact is 'Sender (NULL for the bot).';
comment on column public.message_log.to_contact is 'Recipient (NULL for the bot).';
comment on column public.message_log.direction is 'inbound (from WhatsApp) or outbound (to WhatsApp).';
comment on column public.message_log.message_type is 'WhatsApp message type: text, image, video, audio, document, location, contacts, sticker, reaction, button, interactive, template.';
comment on column public.message_log.content is 'Message text; stored only as consent_transfer allows.';
comment on column public.message_log.wa_message_id is 'WhatsApp''s message id (wamid), unique: redeliveries are ignored.';
comment on column public.message_log.session_id is 'The bot session the message belongs to.';
comment on column public.message_log.processed_at is 'Claim column: NULL while the message waits or is being worked on; set (now()) when the worker holding its lease acknowledges it (ack_message).';
comment on column public.message_log.claimed_by is 'The worker that claimed the message last.';
comment on column public.message_log.claim_attempts is 'Attempts so far: +1 each time the message is handed out, -1 when it is handed back untried (release without an error); at the limit it goes to the dead letters instead of out again.';
comment on column public.message_log.lease_until is 'Until when claimed_by holds the message; an unacknowledged message whose lease has passed is handed out again.';
comment on column public.message_log.dead_at is 'When the message went to the dead letters (too many failed attempts); no longer handed out until staff requeue it.';
comment on column public.message_log.last_error is 'The last failure: the error a worker handed the message back with, or the lease that expired.';
comment on column public.message_log.interactive_payload is 'Button / list reply payload of interactive messages.';
comment on column public.message_log.created_at is 'When the message was received or queued.';
comment on column public.message_log.content_withheld is 'True when the inbound message had content (text or interactive payload) that was not stored because the sender had not given consent_transfer (KVKK art. 9): the row is metadata only. Set by the database.';

-- Section - interaction_tracker
create table public.interaction_tracker (
  contact_id uuid primary key references public.contacts (id) on delete cascade,
  last_inbound timestamptz,
  last_outbound timestamptz,
  phone_expires_at timestamptz,
  nudge_sent_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- claim_notifications starts from the open windows (claim_nudges' partial index holds only windows not nudged since)
create index interaction_tracker_last_inbound_idx on public.interaction_tracker (last_inbound);
alter table public.interaction_tracker enable row level security;

comment on table public.interaction_tracker is 'One row per contact, kept by the database: the WhatsApp 24-hour customer-service window and nudges.';
comment on column public.interaction_tracker.contact_id is 'The contact.';
comment on column public.interaction_tracker.last_inbound is 'Time of the latest inbound message of the contact (message_log.created_at; a late, older message never moves it back); the free-form window is open for 24 hours after it. Kept by the database.';
comment on column public.interaction_tracker.last_outbound is 'Time of the latest outbound message to the contact (it never opens the window). Kept by the database.';
comment on column public.interaction_tracker.phone_expires_at is 'When WhatsApp''s 30-day phone number validity for the contact ends: 30 days after the last message in or out (WhatsApp keeps sending a username user''s phone while the business exchanged a message with it in the last 30 days); NULL without a phone or a message. Kept by the database.';
comment on column public.interaction_tracker.nudge_sent_at is 'When the last template nudge went out (claim_nudges): at most one per closed window (atomic dedupe).';
comment on column public.interaction_tracker.created_at is 'When the row was created.';
comment on column public.interaction_tracker.updated_at is 'When the row last changed (kept by a trigger).';
-- the nudge queue (claim_nudges): contacts with an inbound message since their last nudge, by its time
create index interaction_tracker_nudge_idx on public.interaction_tracker (last_inbound)
  where nudge_sent_at is null or nudge_sent_at < last_inbound;

-- Section - consent_history.message_id (table of the Identity group)
alter table private.consent_history
  add foreign key (message_id) references public.message_log (id);
create index consent_history_message_id_idx on private.consent_history (message_id);

-- Section - pending_notifications
create table public.pending_notifications (
  id uuid primary key default gen_random_uuid(),
  contact_id uuid not null references public.contacts (id) on delete cascade,
  kind text not null
    constraint pending_notifications_kind_check check (kind in ('match', 'proactive', 'reminder')),
  body text not null
    constraint pending_notifications_body_check check (length(btrim(body)) between 1 and 4096),
  buttons jsonb
    constraint pending_notifications_buttons_check check (jsonb_typeof(buttons) = 'array')
    constraint pending_notifications_buttons_length_check check (octet_length(buttons::text) <= 4000),
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  claimed_until timestamptz,
  claim_attempts integer not null default 0
    constraint pending_notifications_claim_attempts_check check (claim_attempts between 0 and 1000),
  wa_message_id text
    constraint pending_notifications_wa_message_id_check check (length(wa_message_id) between 1 and 256)
    constraint pending_notifications_wa_message_id_key unique,
  match_id uuid
    constraint pending_notifications_match_id_fkey references public.portfolio_request_matches (id) on delete set null
);
create index pending_notifications_contact_id_idx on public.pending_notifications (contact_id);
-- the delivery queue: undelivered notifications, oldest first
create index pending_notifications_undelivered_idx on public.pending_notifications (created_at) where delivered_at is null;
-- the claim: undelivered notifications of each contact whose window is open, oldest first
create index pending_notifications_claim_idx on public.pending_notifications (contact_id, created_at)
  where delivered_at is null;
create index pending_notifications_match_id_idx on public.pending_notifications (match_id);
-- a listing shared twice before it went out is one notification
create unique index pending_notifications_pending_share_key on public.pending_notifications (match_id)
  where delivered_at is null;
alter table public.pending_notifications enable row level security;

comment on table public.pending_notifications is 'Match and proactive messages waiting for delivery; handed out only inside the contact''s window, proactive ones only with marketing consent; delivered once.';
comment on column public.pending_notifications.id is 'Notification id.';
comment on column public.pending_notifications.contact_id is 'The recipient.';
comment on column public.pending_notifications.kind is 'match (new matches for an agent; a listing card an agent shares with its customer), reminder (an unconfirmed closing side) or proactive (offers; needs consent_marketing).';
comment on column public.pending_notifications.body is 'Rich free-form message body (WhatsApp limit 4096 characters).';
comment on column public.pending_notifications.buttons is 'Reply buttons as a JSON array.';
comment on column public.pending_notifications.delivered_at is 'When the send was logged (notification_sent: WhatsApp accepted it and gave its id); set once, by the database; NULL while pending.';
comment on column public.pending_notifications.created_at is 'When it was queued.';
comment on column public.pending_notifications.claimed_until is 'Claim lease: set by claim_notifications; a notification not marked sent by then is handed out again.';
comment on column public.pending_notifications.claim_attempts is 'How many times it was handed out; after 5 it is no longer (a dead letter staff can see).';
comment on column public.pending_notifications.wa_message_id is 'WhatsApp''s id of the send (notification_sent), also in message_log; NULL while pending.';
comment on column public.pending_notifications.match_id is 'The match whose listing card an agent shared (share_listing); NULL for other notifications.';
