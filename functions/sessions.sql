-- Sessions and qualification (docs/sessions.md): the bot fills a session's qualifying slots,
-- validated by the rules of request criteria; the database keeps qualifying_completeness; extract_request makes
-- the request through create_request and marks the session extracted. The status machine (active -> extracted |
-- closed), the frozen slots of a finished session and the completeness are triggers, so a direct write (the
-- dashboard, PostgREST as staff, the bot) meets them as the RPCs do.
--
-- Decisions: a session holds ONE district (the ERD's `district text`; a customer who names several is asked
-- for the first, and the request can be widened afterwards with update_request_criteria, up to 20). Extraction
-- needs intent (buy or rent), district and max_price (a request without a place and a budget matches half the
-- country); property type and rooms are optional (the request then takes any). sell and let sessions are
-- listings to be, not requests: an agent takes them over.

-- Section - Helpers

-- The slots of p_slots validated and normalised (district in its reference spelling); a JSON null clears a
-- slot (not language). Property type, rooms, budget and currency are judged by guard.check_criteria, the one
-- place of the request rules, and its message is renamed to the slot; the district by guard.canonical_district.
create or replace function guard.session_slots(p_slots jsonb) returns jsonb
  language plpgsql stable
  set search_path = ''
as $$
declare
  v_slots constant text[] := array['intent', 'district', 'property_type', 'rooms', 'max_price', 'currency', 'language'];
  v_key text;
  v_value jsonb;
  v_message text;
  v_hint text;
begin
  if p_slots is null or jsonb_typeof(p_slots) <> 'object' then
    raise exception using errcode = 'VC001', message = 'slots must be a JSON object',
      hint = 'slots: ' || array_to_string(v_slots, ', ');
  end if;
  -- the names first, before any value is read
  select k into v_key from jsonb_object_keys(p_slots) as k where k <> all (v_slots) limit 1;
  if v_key is not null then
    raise exception using errcode = 'VC001', message = format('slots.%s is not a known slot', left(v_key, 50)),
      hint = 'slots: ' || array_to_string(v_slots, ', ');
  end if;
  for v_key, v_value in select key, value from jsonb_each(p_slots) loop
    if jsonb_typeof(v_value) = 'null' then
      if v_key = 'language' then
        raise exception using errcode = 'VC001', message = 'slots.language cannot be cleared: a conversation has a language';
      end if;
    elsif v_key <> 'max_price' and jsonb_typeof(v_value) <> 'string' then
      raise exception using errcode = 'VC001', message = format('slots.%s must be text (or null to clear it)', v_key);
    elsif v_key = 'intent' and v_value #>> '{}' not in ('buy', 'rent', 'sell', 'let') then
      raise exception using errcode = 'VC001',
        message = format('slots.intent %s is not one of buy, rent, sell, let', left(v_value #>> '{}', 50));
    elsif v_key = 'language' and v_value #>> '{}' !~ '^[a-z]{2}$' then
      raise exception using errcode = 'VC001', message = 'slots.language must be a two-letter ISO 639-1 code (tr, en, ar, ru, ...)';
    end if;
  end loop;
  begin
    perform guard.check_criteria(jsonb_strip_nulls(jsonb_build_object(
      'types', case when jsonb_typeof(p_slots -> 'property_type') = 'string' then jsonb_build_array(p_slots -> 'property_type') end,
      'rooms', case when jsonb_typeof(p_slots -> 'rooms') = 'string' then jsonb_build_array(p_slots -> 'rooms') end,
      'max_price', p_slots -> 'max_price',
      'currency', p_slots -> 'currency')));
  exception when sqlstate 'VC001' then
    get stacked diagnostics v_message = message_text, v_hint = pg_exception_hint;
    v_message := replace(replace(replace(replace(v_message,
      'criteria.types', 'slots.property_type'), 'criteria.rooms', 'slots.rooms'),
      'criteria.max_price', 'slots.max_price'), 'criteria.currency', 'slots.currency');
    if coalesce(v_hint, '') = '' then
      raise exception using errcode = 'VC001', message = v_message;
    end if;
    raise exception using errcode = 'VC001', message = v_message, hint = v_hint;
  end;
  if jsonb_typeof(p_slots -> 'district') = 'string' then
    return jsonb_set(p_slots, '{district}', to_jsonb(guard.canonical_district(p_slots ->> 'district', 'slots.district')));
  end if;
  return p_slots;
end
$$;
comment on function guard.session_slots(jsonb) is 'Validated session slots (intent, district, property_type, rooms, max_price, currency, language) with the district in its reference spelling; VC001 naming the slot (the rules of request criteria).';

-- The slots a request cannot be made without, in the order the bot would ask.
create or replace function guard.session_missing_slots(p_session public.sessions) returns text[]
  language sql immutable
  set search_path = ''
as $$
  select array_remove(array[
    case when p_session.intent is null then 'intent' end,
    case when p_session.district is null then 'district' end,
    case when p_session.max_price is null then 'max_price' end], null)
$$;
comment on function guard.session_missing_slots(public.sessions) is 'The slots extraction still needs: intent, district, max_price (empty when a request can be made).';

-- A session's slots as requests.criteria (only the slots filled).
create or replace function guard.session_criteria(p_session public.sessions) returns jsonb
  language sql immutable
  set search_path = ''
as $$
  select jsonb_strip_nulls(jsonb_build_object(
    'districts', case when p_session.district is not null then jsonb_build_array(p_session.district) end,
    'types', case when p_session.property_type is not null then jsonb_build_array(p_session.property_type) end,
    'rooms', case when p_session.rooms is not null then jsonb_build_array(p_session.rooms) end,
    'max_price', p_session.max_price::bigint,
    'currency', p_session.currency))
$$;
comment on function guard.session_criteria(public.sessions) is 'The request criteria a session''s slots make: districts, types, rooms (each of one value), max_price, currency.';

-- Section - Triggers

-- The district slot in its reference spelling on every path (kadikoy -> Kadıköy; an unknown one is refused).
create or replace function private.tg_sessions__district() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  if new.district is not null then
    new.district := guard.canonical_district(new.district, 'district');
  end if;
  return new;
end
$$;
comment on function private.tg_sessions__district() is 'Trigger: stores a session''s district in its reference spelling; VC001 for a name that is no district.';

-- active -> extracted | closed, nothing else; extracted only once a request was made from the session; the slots
-- of a finished session never change. A session starts active (an import by the database owner may bring
-- finished ones). Unknown statuses are left to the check constraint.
create or replace function private.tg_sessions__status() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    if new.status in ('closed', 'extracted') and (guard.is_api_user() or current_setting('role') = 'service_role') then
      raise exception using errcode = 'VC002', message = format('a session starts active, not %s', new.status);
    end if;
    return new;
  end if;
  if new.status is distinct from old.status and new.status in ('active', 'closed', 'extracted') then
    if old.status <> 'active' or new.status = 'active' then
      raise exception using errcode = 'VC002',
        message = format('session %s cannot move from %s to %s', old.id, old.status, new.status),
        hint = 'active -> extracted (a request was made from it) or closed';
    end if;
    if new.status = 'extracted' and not exists (select 1 from public.requests r where r.source_session_id = new.id) then
      raise exception using errcode = 'VC002',
        message = format('session %s cannot move from active to extracted: no request was made from it', old.id),
        hint = 'extract_request makes the request and marks the session extracted';
    end if;
  end if;
  if old.status <> 'active'
     and (new.intent, new.district, new.property_type, new.rooms, new.max_price, new.currency, new.language)
         is distinct from (old.intent, old.district, old.property_type, old.rooms, old.max_price, old.currency, old.language) then
    raise exception using errcode = 'VC002',
      message = format('session %s is %s, not active: its slots cannot change', old.id, old.status);
  end if;
  return new;
end
$$;
comment on function private.tg_sessions__status() is 'Trigger: the session status machine (active -> extracted | closed; extracted only with a request made from it), frozen slots once finished, and new sessions active (VC002).';

-- qualifying_completeness from the slots, on every write; a written value is ignored. The weights (also in the
-- column's comment): what a request cannot do without weighs most (intent, district 0.25; budget 0.20), the
-- refinements less (property type, rooms 0.15; rooms count as known for land and shops, which have none).
create or replace function private.tg_sessions__completeness() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  new.qualifying_completeness :=
      case when new.intent is not null then 0.25 else 0 end
    + case when new.district is not null then 0.25 else 0 end
    + case when new.max_price is not null then 0.20 else 0 end
    + case when new.property_type is not null then 0.15 else 0 end
    + case when new.rooms is not null or new.property_type in ('arsa', 'dukkan') then 0.15 else 0 end;
  return new;
end
$$;
comment on function private.tg_sessions__completeness() is 'Trigger: computes qualifying_completeness (intent 0.25, district 0.25, max_price 0.20, property_type 0.15, rooms 0.15 or n/a for arsa and dukkan).';

-- A request's source session is a session of the request's customer (a request cannot borrow another
-- contact's conversation). Security definer: an agent filing for its customer does not read sessions; it learns
-- only whether that session is that customer's (a foreign key would tell as much).
create or replace function private.tg_requests__source_session() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
begin
  if new.source_session_id is not null
     and (tg_op = 'INSERT' or new.source_session_id is distinct from old.source_session_id
          or new.customer_id is distinct from old.customer_id)
     and not exists (select 1 from public.sessions s
                     where s.id = new.source_session_id and s.contact_id = new.customer_id) then
    raise exception using errcode = 'VC001', message = 'source_session_id must be a session of the request''s customer';
  end if;
  return new;
end
$$;
comment on function private.tg_requests__source_session() is 'Trigger: a request''s source_session_id names a session of its customer (VC001).';

create or replace trigger _140_district before insert or update of district on public.sessions
  for each row execute function private.tg_sessions__district();
comment on trigger _140_district on public.sessions
  is 'Stores a session''s district in its reference spelling and refuses a name that is no district (VC001).';
create or replace trigger _210_status before insert or update on public.sessions
  for each row execute function private.tg_sessions__status();
comment on trigger _210_status on public.sessions
  is 'A session starts active and moves to extracted (only with a request made from it) or closed; a finished session''s slots no longer change (VC002).';
create or replace trigger _300_completeness before insert or update on public.sessions
  for each row execute function private.tg_sessions__completeness();
comment on trigger _300_completeness on public.sessions
  is 'Computes qualifying_completeness from the filled slots (intent 0.25, district 0.25, max price 0.20, property type 0.15, rooms 0.15, not needed for land and shops).';
create or replace trigger _155_source_session before insert or update of source_session_id, customer_id on public.requests
  for each row execute function private.tg_requests__source_session();
comment on trigger _155_source_session on public.requests
  is 'A request''s source session must be a bot session of the same customer (VC001).';

-- Section - RPCs

-- Fill or clear slots of an active session (the bot, staff). Authority first (42501), then the slots (VC001),
-- then the session (VC003, VC002).
create or replace function public.update_session_slots(p_session_id uuid, p_slots jsonb) returns setof public.sessions
  language plpgsql
  set search_path = ''
as $$
declare
  v_slots jsonb;
  v_status text;
begin
  if guard.is_api_user() and not guard.is_staff() then
    raise exception using errcode = '42501', message = 'update_session_slots: the bot and staff only';
  end if;
  v_slots := guard.session_slots(p_slots);
  select s.status into v_status from public.sessions s where s.id = p_session_id for update;
  if not found then
    perform guard.deny_or_missing(format('session %s', p_session_id));
  elsif v_status <> 'active' then
    raise exception using errcode = 'VC002',
      message = format('session %s is %s, not active: its slots cannot change', p_session_id, v_status);
  end if;
  return query
    update public.sessions s
    set intent = case when v_slots ? 'intent' then v_slots ->> 'intent' else s.intent end,
        district = case when v_slots ? 'district' then v_slots ->> 'district' else s.district end,
        property_type = case when v_slots ? 'property_type' then v_slots ->> 'property_type' else s.property_type end,
        rooms = case when v_slots ? 'rooms' then v_slots ->> 'rooms' else s.rooms end,
        max_price = case when v_slots ? 'max_price' then (v_slots ->> 'max_price')::numeric else s.max_price end,
        currency = case when v_slots ? 'currency' then v_slots ->> 'currency' else s.currency end,
        language = case when v_slots ? 'language' then v_slots ->> 'language' else s.language end
    where s.id = p_session_id
    returning s.*;
end
$$;
comment on function public.update_session_slots(uuid, jsonb) is 'Set qualifying slots of an active session from a JSON object: intent (buy, rent, sell, let), district (one, stored in its reference spelling), property_type, rooms, max_price, currency, language; validated like request criteria (VC001 naming the slot), a JSON null clears a slot, slots not named are kept; qualifying_completeness follows. The bot and staff; VC002 when the session is not active.';

-- Make the request a session qualifies for, through create_request (the same rules as any request), link it,
-- and mark the session extracted; the matcher records the session's market signal with the customer's words
-- (process_match_events). The session row is locked first: two extractions of one session make one request.
create or replace function public.extract_request(p_session_id uuid) returns setof public.requests
  language plpgsql
  set search_path = ''
as $$
declare
  v_session public.sessions;
  v_missing text[];
  v_request uuid;
begin
  if guard.is_api_user() and not guard.is_staff() then
    raise exception using errcode = '42501', message = 'extract_request: the bot and staff only';
  end if;
  select * into v_session from public.sessions s where s.id = p_session_id for update;
  if not found then
    perform guard.deny_or_missing(format('session %s', p_session_id));
  elsif v_session.status <> 'active' then
    raise exception using errcode = 'VC002',
      message = format('session %s cannot move from %s to extracted', p_session_id, v_session.status),
      hint = 'only an active session is extracted, once';
  end if;
  v_missing := guard.session_missing_slots(v_session);
  if cardinality(v_missing) > 0 then
    raise exception using errcode = 'VC001',
      message = format('session %s cannot make a request yet: slots %s missing', p_session_id, array_to_string(v_missing, ', ')),
      hint = 'fill them with update_session_slots';
  elsif v_session.intent not in ('buy', 'rent') then
    raise exception using errcode = 'VC001',
      message = format('slots.intent is %s: only a buy or rent session makes a request', v_session.intent),
      hint = 'a seller or landlord is a listing for an agent to take';
  end if;
  select r.id into v_request
  from public.create_request(v_session.intent, guard.session_criteria(v_session), v_session.contact_id, null, v_session.id) r;
  update public.sessions s set status = 'extracted' where s.id = p_session_id;
  return query select * from public.requests r where r.id = v_request;
end
$$;
comment on function public.extract_request(uuid) is 'Make the request an active session qualifies for (intent buy or rent, district and max_price filled; VC001 naming what is missing) for the session''s contact through create_request, link its source_session_id and mark the session extracted; the matcher then records a session market signal with the customer''s words. The bot and staff.';

create or replace function public.close_session(p_session_id uuid) returns setof public.sessions
  language plpgsql
  set search_path = ''
as $$
begin
  if guard.is_api_user() and not guard.is_staff() then
    raise exception using errcode = '42501', message = 'close_session: the bot and staff only';
  end if;
  return query update public.sessions s set status = 'closed' where s.id = p_session_id returning s.*;
  if not found then
    perform guard.deny_or_missing(format('session %s', p_session_id));
  end if;
end
$$;
comment on function public.close_session(uuid) is 'Close an active session without a request (closing a closed one changes nothing; an extracted one is VC002). The bot and staff.';

-- A session as the bot needs it to ask the next question: the slots, what extraction still misses, the request
-- made from it, how many messages it holds. Read under row-level security: the contact itself, staff, the bot.
create or replace function public.session_summary(p_session_id uuid)
  returns table (id uuid, contact_id uuid, status text, intent text, district text, property_type text, rooms text,
                 max_price numeric, currency text, language text, qualifying_completeness numeric, missing text[],
                 request_id uuid, messages integer, last_message_at timestamptz, created_at timestamptz,
                 updated_at timestamptz)
  language plpgsql stable
  set search_path = ''
as $$
begin
  return query
    select s.id, s.contact_id, s.status, s.intent, s.district, s.property_type, s.rooms, s.max_price, s.currency,
           s.language, s.qualifying_completeness, guard.session_missing_slots(s),
           (select r.id from public.requests r where r.source_session_id = s.id order by r.created_at desc limit 1),
           (select count(*)::integer from public.message_log l where l.session_id = s.id),
           s.last_message_at, s.created_at, s.updated_at
    from public.sessions s
    where s.id = p_session_id;
  if not found then
    perform guard.deny_or_missing(format('session %s', p_session_id));
  end if;
end
$$;
comment on function public.session_summary(uuid) is 'A session''s slots, status and completeness, the slots extraction still needs (missing), the request made from it and its message count. The contact itself, staff and the bot.';

revoke execute on function public.update_session_slots(uuid, jsonb), public.extract_request(uuid), public.close_session(uuid),
  public.session_summary(uuid) from public, anon;
grant execute on function public.update_session_slots(uuid, jsonb), public.extract_request(uuid), public.close_session(uuid),
  public.session_summary(uuid) to authenticated, service_role;
grant execute on function guard.session_slots(jsonb), guard.session_missing_slots(public.sessions),
  guard.session_criteria(public.sessions) to authenticated, service_role;
