-- Ingestion: WhatsApp messages in and out through public.ingest_message, idempotent per
-- wa_message_id; an inbound message's content kept only with the sender's consent_transfer; and a contact's
-- identity changes (change_contact_phone, change_contact_bsuid) with their history.

-- Section - Triggers

-- KVKK art. 9: without the sender's consent_transfer an inbound message's content (text and interactive
-- payload) is not stored, whoever writes the row (ingest_message, the bot directly, the dashboard); the row
-- keeps the metadata and content_withheld = true. content_withheld is the database's, never the writer's.
create or replace function private.tg_message_log__withhold_content() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  if new.content is null and new.interactive_payload is null then
    new.content_withheld := tg_op = 'UPDATE' and old.content_withheld and new.direction = 'inbound';
  elsif new.direction = 'inbound'
        and not coalesce((select c.consent_transfer from public.contacts c where c.id = new.from_contact), false) then
    new.content := null;
    new.interactive_payload := null;
    new.content_withheld := true;
  else
    new.content_withheld := false;
  end if;
  return new;
end
$$;
comment on function private.tg_message_log__withhold_content() is 'Trigger: an inbound message of a sender without consent_transfer is stored without content and interactive payload (content_withheld); content_withheld is set by the database only.';

create or replace trigger _100_withhold_content
  before insert or update of content, interactive_payload, content_withheld, direction, from_contact on public.message_log
  for each row execute function private.tg_message_log__withhold_content();
comment on trigger _100_withhold_content on public.message_log
  is 'KVKK art. 9: an inbound message from a sender without transfer consent is stored without its text and payload (content_withheld); only the database sets that flag.';

-- A contact's phone or bsuid changed (a new number, a username): the old one is kept, by whom and when.
create or replace function private.tg_contacts__identity_history() returns trigger
  language plpgsql security definer  -- writes private.contact_identity_history, which no API role may
  set search_path = ''
as $$
begin
  insert into private.contact_identity_history (contact_id, field, old_value, new_value, changed_by)
  select new.id, v.field, v.old_value, v.new_value, (select c.id from public.contacts c where c.id = auth.uid())
  from (values ('phone', old.phone, new.phone), ('bsuid', old.bsuid, new.bsuid)) as v (field, old_value, new_value)
  where v.old_value is distinct from v.new_value;
  return null;
end
$$;
comment on function private.tg_contacts__identity_history() is 'Trigger: records every change of a contact''s phone or bsuid in private.contact_identity_history.';

create or replace trigger _500_identity_history after update of phone, bsuid on public.contacts
  for each row execute function private.tg_contacts__identity_history();
comment on trigger _500_identity_history on public.contacts
  is 'Every change of a contact''s phone or WhatsApp bsuid is recorded with who and when, so past identities stay known (staff and the bot read them through contact_identity_history).';

-- Section - Sessions

-- The contact's active session, opened when there is none, its last_message_at moved to p_at when later.
-- One active session per contact (sessions_one_active_idx): of two messages that find none at the same moment,
-- one opens it and the other waits for that insert, then finds it on the next turn.
create or replace function private.touch_session(p_contact_id uuid, p_at timestamptz) returns uuid
  language plpgsql
  set search_path = ''
as $$
declare
  v_id uuid;
begin
  for v_turn in 1 .. 5 loop
    update public.sessions s set last_message_at = greatest(s.last_message_at, p_at)
    where s.contact_id = p_contact_id and s.status = 'active'
    returning s.id into v_id;
    if v_id is not null then
      return v_id;
    end if;
    insert into public.sessions as s (contact_id, last_message_at) values (p_contact_id, p_at)
    on conflict (contact_id) where status = 'active' do nothing
    returning s.id into v_id;
    if v_id is not null then
      return v_id;
    end if;
  end loop;
  raise exception using errcode = '40001', message = 'the contact''s session changed concurrently five times; try again';
end
$$;
comment on function private.touch_session(uuid, timestamptz) is 'The contact''s active session (opened when none), last_message_at moved to the given time when later; its id.';

-- Section - RPCs

-- Take one WhatsApp message, inbound or outbound: resolve or register the contact, store the message once
-- per wa_message_id and attach it to the contact's active session. A redelivery returns the stored id and
-- writes nothing.
--
-- Concurrent deliveries of one wa_message_id: the first lookup misses for all of them while none has
-- committed; the unique index then makes every later insert wait for the first inserter's transaction. When
-- it commits, the waiting inserts do nothing and the lookup after them is a new statement, which under read
-- committed sees the committed row: its id, is_new false. When it rolls back, one waiting insert wins. Under
-- repeatable read or serializable the committed row is not in the snapshot, and the insert raises 40001
-- (serialization failure) instead of answering from a stale snapshot; a retry answers. A row deleted between
-- the insert and the lookup is inserted again on the next turn. Sessions and last_message_at are written only
-- by the call that inserted the message.
create or replace function public.ingest_message(
  p_wa_message_id text,
  p_direction text,
  p_from text,
  p_to text,
  p_message_type text default 'text',
  p_content text default null,
  p_interactive_payload jsonb default null,
  p_sent_at timestamptz default null
) returns table (message_id uuid, is_new boolean)
  language plpgsql security definer
  set search_path = ''
as $$
declare
  v_inbound boolean := p_direction = 'inbound';
  v_party text;  -- the contact's side: the sender of an inbound message, the recipient of an outbound one
  v_field text;
  v_phone text;
  v_bsuid text;
  v_sent_at timestamptz := coalesce(p_sent_at, now());
  v_contact uuid;
  v_session uuid;
  v_active uuid;
  v_id uuid;
begin
  if guard.is_api_user() and not guard.is_staff() then
    raise exception using errcode = '42501', message = 'ingest_message: only the bot, admins and owners ingest messages';
  end if;
  -- every input bounded before any work
  if p_wa_message_id is null or length(p_wa_message_id) not between 1 and 256 then
    raise exception using errcode = 'VC001', message = 'wa_message_id is required: WhatsApp''s message id, 1-256 characters';
  end if;
  if p_direction is null or p_direction not in ('inbound', 'outbound') then
    raise exception using errcode = 'VC001',
      message = format('direction %s is not one of inbound, outbound', left(coalesce(p_direction, 'NULL'), 50));
  end if;
  if p_message_type is null or p_message_type not in ('text', 'image', 'video', 'audio', 'document', 'location', 'contacts',
                                                      'sticker', 'reaction', 'button', 'interactive', 'template') then
    raise exception using errcode = 'VC001',
      message = format('message_type %s is not one of text, image, video, audio, document, location, contacts, sticker, reaction, button, interactive, template',
                       left(coalesce(p_message_type, 'NULL'), 50));
  end if;
  perform guard.check_text(p_from, 'from', 128);
  perform guard.check_text(p_to, 'to', 128);
  perform guard.check_text(p_content, 'content', 10000);
  if octet_length(p_interactive_payload::text) > 20000 then
    raise exception using errcode = 'VC001', message = 'interactive_payload must be at most 20000 bytes';
  end if;
  if jsonb_typeof(p_interactive_payload) <> 'object' then
    raise exception using errcode = 'VC001', message = 'interactive_payload must be a JSON object';
  end if;
  -- WhatsApp retries a webhook for up to 7 days; a clock a little ahead is tolerated
  if v_sent_at > now() + interval '5 minutes' or v_sent_at < now() - interval '30 days' then
    raise exception using errcode = 'VC001', message = 'sent_at must be between 30 days ago and 5 minutes from now';
  end if;
  -- the contact: an E.164 phone (WhatsApp's wa_id form without the + too) or a bsuid; our side is ignored
  if v_inbound then
    v_party := p_from;
    v_field := 'from';
  else
    v_party := p_to;
    v_field := 'to';
  end if;
  if v_party is null then
    raise exception using errcode = 'VC001',
      message = format('%s is required for an %s message: the contact''s E.164 phone or WhatsApp bsuid', v_field, p_direction);
  elsif v_party ~ '^\+?[1-9][0-9]{6,14}$' then
    v_phone := '+' || ltrim(v_party, '+');
  elsif v_party ~ '^[^+\s]\S*$' then
    v_bsuid := v_party;
  else
    raise exception using errcode = 'VC001',
      message = format('%s must be an E.164 phone (+905321234567) or a WhatsApp bsuid (at most 128 characters, no spaces)', v_field);
  end if;

  -- a redelivery of a stored message is answered from the unique index, before anything is written
  select m.id into v_id from public.message_log m where m.wa_message_id = p_wa_message_id;
  if v_id is not null then
    return query select v_id, false;
    return;
  end if;

  select c.id into v_contact from guard.resolve_contact(v_phone, v_bsuid) c;
  select s.id into v_session from public.sessions s where s.contact_id = v_contact and s.status = 'active';
  for v_turn in 1 .. 5 loop
    insert into public.message_log as m (from_contact, to_contact, direction, message_type, content, interactive_payload,
                                         wa_message_id, session_id, created_at)
    values (case when v_inbound then v_contact end, case when not v_inbound then v_contact end, p_direction,
            p_message_type, p_content, p_interactive_payload, p_wa_message_id, v_session, v_sent_at)
    on conflict (wa_message_id) do nothing
    returning m.id into v_id;
    exit when v_id is not null;
    select m.id into v_id from public.message_log m where m.wa_message_id = p_wa_message_id;
    if v_id is not null then
      return query select v_id, false;
      return;
    end if;
  end loop;
  if v_id is null then
    raise exception using errcode = '40001', message = 'message stored and deleted concurrently five times; try again';
  end if;

  -- new: the session moves to this message (or opens); one found closed meanwhile is replaced by the new one
  v_active := private.touch_session(v_contact, v_sent_at);
  if v_active is distinct from v_session then
    update public.message_log m set session_id = v_active where m.id = v_id;
  end if;
  return query select v_id, true;
end
$$;
comment on function public.ingest_message(text, text, text, text, text, text, jsonb, timestamptz) is 'Store one WhatsApp message (inbound: p_from is the contact; outbound: p_to; an E.164 phone or a bsuid, our side ignored), registering the contact and attaching it to the contact''s active session (opened when none; last_message_at moved). created_at is p_sent_at (default now; 30 days ago .. 5 minutes ahead). A redelivered wa_message_id returns the stored id with is_new false and writes nothing. Inbound content without the sender''s consent_transfer is not stored (content_withheld). The bot, admins and owners.';

-- Move a contact to a new phone or bsuid (exactly one given), keeping its id and so its messages, sessions and
-- requests. Never merges: an identifier another contact holds is refused (VC004), also when that contact takes
-- it at the same moment (the unique index). Callers check who may.
create or replace function guard.change_contact_identity(p_contact_id uuid, p_phone text, p_bsuid text)
  returns setof public.contacts
  language plpgsql
  set search_path = ''
as $$
declare
  v_field text := case when p_phone is not null then 'phone' else 'bsuid' end;
  v_contact public.contacts;
  v_holder uuid;
begin
  select * into v_contact from public.contacts c where c.id = p_contact_id for update;
  if v_contact.id is null then
    perform guard.deny_or_missing(format('contact %s', p_contact_id));
  end if;
  if p_phone = v_contact.phone or p_bsuid = v_contact.bsuid then
    return next v_contact;  -- already its identifier: nothing changes
    return;
  end if;
  select c.id into v_holder from public.contacts c where (c.phone = p_phone or c.bsuid = p_bsuid) and c.id <> p_contact_id;
  if v_holder is null then
    begin
      return query
        update public.contacts c set phone = coalesce(p_phone, c.phone), bsuid = coalesce(p_bsuid, c.bsuid)
        where c.id = p_contact_id
        returning c.*;
      return;
    exception when unique_violation then
      -- taken by another contact since the check: the same refusal
      select c.id into v_holder from public.contacts c where (c.phone = p_phone or c.bsuid = p_bsuid) and c.id <> p_contact_id;
    end;
  end if;
  raise exception using errcode = 'VC004',
    message = format('the %s already belongs to another contact: two contacts are never merged', v_field),
    detail = format('contact %s holds it', coalesce(v_holder::text, 'another')),
    hint = format('change or remove that contact''s %s first, or keep both contacts apart', v_field);
end
$$;
comment on function guard.change_contact_identity(uuid, text, text) is 'Moves a contact to a new phone or bsuid (one of them given), its id and history kept; VC004 when another contact holds it (never a merge). The caller checks who may.';

-- Staff and the bot move a contact to its new number (WhatsApp users change numbers).
create or replace function public.change_contact_phone(p_contact_id uuid, p_phone text) returns setof public.contacts
  language plpgsql
  set search_path = ''
as $$
begin
  if guard.is_api_user() and not guard.is_staff() then
    raise exception using errcode = '42501', message = 'only admins, owners and the bot may change a contact''s phone';
  end if;
  if p_phone is null or p_phone !~ '^\+[1-9][0-9]{6,14}$' then
    raise exception using errcode = 'VC001', message = 'phone must be in E.164 form', hint = 'e.g. +905321234567';
  end if;
  return query select * from guard.change_contact_identity(p_contact_id, p_phone, null);
end
$$;
comment on function public.change_contact_phone(uuid, text) is 'Move a contact to a new E.164 phone, keeping its id, messages, sessions and requests; the old phone is kept in the contact''s identity history. VC004 when another contact holds that phone (contacts are never merged). Admins, owners and the bot.';

-- Staff and the bot move a contact to its new bsuid (a WhatsApp username's business-scoped id).
create or replace function public.change_contact_bsuid(p_contact_id uuid, p_bsuid text) returns setof public.contacts
  language plpgsql
  set search_path = ''
as $$
begin
  if guard.is_api_user() and not guard.is_staff() then
    raise exception using errcode = '42501', message = 'only admins, owners and the bot may change a contact''s bsuid';
  end if;
  if p_bsuid is null or p_bsuid !~ '^\S{1,128}$' then
    raise exception using errcode = 'VC001', message = 'bsuid must be 1-128 characters without spaces';
  end if;
  return query select * from guard.change_contact_identity(p_contact_id, null, p_bsuid);
end
$$;
comment on function public.change_contact_bsuid(uuid, text) is 'Move a contact to a new WhatsApp bsuid, keeping its id, messages, sessions and requests; the old bsuid is kept in the contact''s identity history. VC004 when another contact holds that bsuid (contacts are never merged). Admins, owners and the bot.';

-- The phones and bsuids a contact had (private.contact_identity_history): staff and the bot.
create or replace function public.contact_identity_history(p_contact_id uuid)
  returns table (field text, old_value text, new_value text, changed_by uuid, changed_at timestamptz)
  language plpgsql stable security definer
  set search_path = ''
as $$
begin
  if guard.is_api_user() and not guard.is_staff() then
    raise exception using errcode = '42501', message = 'contact_identity_history: admins, owners and the bot only';
  end if;
  return query
    select h.field, h.old_value, h.new_value, h.changed_by, h.changed_at
    from private.contact_identity_history h
    where h.contact_id = p_contact_id
    order by h.changed_at, h.id;
end
$$;
comment on function public.contact_identity_history(uuid) is 'Every change of a contact''s phone or bsuid, oldest first: field, old and new value, who (NULL: the bot or the dashboard) and when. Admins, owners and the bot.';

revoke execute on function public.ingest_message(text, text, text, text, text, text, jsonb, timestamptz),
  public.change_contact_phone(uuid, text), public.change_contact_bsuid(uuid, text),
  public.contact_identity_history(uuid), guard.change_contact_identity(uuid, text, text) from public, anon;
grant execute on function public.ingest_message(text, text, text, text, text, text, jsonb, timestamptz),
  public.change_contact_phone(uuid, text), public.change_contact_bsuid(uuid, text),
  public.contact_identity_history(uuid), guard.change_contact_identity(uuid, text, text) to authenticated, service_role;
