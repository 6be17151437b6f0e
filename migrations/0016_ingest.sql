-- 0016 ingest (issue 13): WhatsApp messages come in through public.ingest_message (functions/ingest.sql).
-- message_log.content_withheld says that an inbound message's content was not stored (no consent_transfer);
-- a contact has at most one active session, so concurrent messages of one contact open one session; a
-- contact's phone and bsuid changes are kept in private.contact_identity_history.

alter table public.message_log add column content_withheld boolean not null default false;
alter table public.message_log add constraint message_log_content_withheld_check
  check (not content_withheld or (direction = 'inbound' and content is null and interactive_payload is null));
comment on column public.message_log.content_withheld is 'True when the inbound message had content (text or interactive payload) that was not stored because the sender had not given consent_transfer (KVKK art. 9): the row is metadata only. Set by the database.';

-- one active session per contact: the message that finds none opens it, whatever arrives at the same moment
create unique index sessions_one_active_idx on public.sessions (contact_id) where status = 'active';

create table private.contact_identity_history (
  id bigint generated always as identity primary key,
  contact_id uuid not null references public.contacts (id) on delete cascade,
  field text not null
    constraint contact_identity_history_field_check check (field in ('phone', 'bsuid')),
  old_value text
    constraint contact_identity_history_old_value_check check (length(old_value) <= 128),
  new_value text
    constraint contact_identity_history_new_value_check check (length(new_value) <= 128),
  changed_by uuid references public.contacts (id) on delete set null,
  changed_at timestamptz not null default now()
);
create index contact_identity_history_contact_id_changed_at_idx on private.contact_identity_history (contact_id, changed_at);
create index contact_identity_history_changed_by_idx on private.contact_identity_history (changed_by);
comment on table private.contact_identity_history is 'Every change of a contact''s phone or bsuid (a new number, a username), written by a trigger only: which identifier a contact had when; read through public.contact_identity_history.';
comment on column private.contact_identity_history.id is 'Change id.';
comment on column private.contact_identity_history.contact_id is 'The contact whose identifier changed (its id, messages and sessions stay).';
comment on column private.contact_identity_history.field is 'phone or bsuid.';
comment on column private.contact_identity_history.old_value is 'The identifier before (NULL: there was none).';
comment on column private.contact_identity_history.new_value is 'The identifier after (NULL: removed).';
comment on column private.contact_identity_history.changed_by is 'The acting contact (auth.uid()); NULL for the bot or the dashboard.';
comment on column private.contact_identity_history.changed_at is 'When it changed.';
