-- Requests: criteria validated on write, the status machine new -> assigned -> closed, and the RPCs
-- create_request, update_request_criteria, assign_request, close_request (docs/matching.md).

-- Section - Triggers

-- criteria holds exactly the keys districts, types, rooms, min_price, max_price, currency (each optional),
-- each of its type; anything else is rejected naming the key.
create or replace function guard.check_criteria(p_criteria jsonb) returns void
  language plpgsql immutable
  set search_path = ''
as $$
declare
  v_key text;
  v_value jsonb;
begin
  if p_criteria is null or jsonb_typeof(p_criteria) <> 'object' then
    raise exception using errcode = 'VC001', message = 'criteria must be a JSON object';
  end if;
  for v_key, v_value in select key, value from jsonb_each(p_criteria) loop
    if v_key not in ('districts', 'types', 'rooms', 'min_price', 'max_price', 'currency') then
      raise exception using errcode = 'VC001', message = format('criteria.%s is not a known key', v_key),
        hint = 'keys: districts, types, rooms, min_price, max_price, currency';
    elsif v_key in ('districts', 'types', 'rooms')
          and (jsonb_typeof(v_value) <> 'array' or jsonb_array_length(v_value) = 0) then
      raise exception using errcode = 'VC001', message = format('criteria.%s must be a non-empty array of text', v_key);
    -- the count first, before any element is read: 20,000 districts are refused at once
    elsif v_key in ('districts', 'types', 'rooms')
          and jsonb_array_length(v_value) > (jsonb_build_object('districts', 20, 'types', 4, 'rooms', 10) ->> v_key)::integer then
      raise exception using errcode = 'VC001', message = format('criteria.%s may hold at most %s values', v_key,
        jsonb_build_object('districts', 20, 'types', 4, 'rooms', 10) ->> v_key);
    elsif v_key in ('districts', 'types', 'rooms')
          and exists (select 1 from jsonb_array_elements(v_value) e where jsonb_typeof(e) <> 'string') then
      raise exception using errcode = 'VC001', message = format('criteria.%s must be a non-empty array of text', v_key);
    elsif v_key = 'districts'
          and exists (select 1 from jsonb_array_elements_text(v_value) e
                      where length(btrim(e)) not between 1 and 100 or e !~ '[[:alpha:]]') then
      raise exception using errcode = 'VC001', message = 'criteria.districts must name districts (1-100 characters each)';
    elsif v_key = 'types'
          and exists (select 1 from jsonb_array_elements_text(v_value) e where e not in ('daire', 'villa', 'dukkan', 'arsa')) then
      raise exception using errcode = 'VC001', message = 'criteria.types may only hold daire, villa, dukkan, arsa';
    elsif v_key = 'rooms'
          and exists (select 1 from jsonb_array_elements_text(v_value) e where e !~ '^[1-9][0-9]?\+[0-9]$') then
      raise exception using errcode = 'VC001', message = 'criteria.rooms must hold rooms in the form 3+1 (1+0 for a studio)';
    elsif v_key in ('min_price', 'max_price')
          and (jsonb_typeof(v_value) <> 'number' or v_value::text !~ '^([1-9][0-9]{0,11}|1000000000000)$') then
      raise exception using errcode = 'VC001', message = format('criteria.%s must be a positive whole number of at most 1000000000000', v_key);
    elsif v_key = 'currency' and (jsonb_typeof(v_value) <> 'string' or v_value #>> '{}' not in ('TRY', 'USD', 'EUR', 'GBP')) then
      raise exception using errcode = 'VC001', message = 'criteria.currency must be one of TRY, USD, EUR, GBP';
    end if;
  end loop;
  if (p_criteria ->> 'min_price')::bigint > (p_criteria ->> 'max_price')::bigint then
    raise exception using errcode = 'VC001', message = 'criteria.min_price cannot be above criteria.max_price';
  end if;
end
$$;
comment on function guard.check_criteria(jsonb) is 'Raises VC001 naming the criteria key that is unknown, of the wrong type or out of range (at most 20 districts, 4 types, 10 rooms; prices up to 10^12).';

create or replace function private.tg_requests__criteria() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  new.criteria := guard.canonical_criteria(new.criteria);
  return new;
end
$$;
comment on function private.tg_requests__criteria() is 'Trigger: validates requests.criteria on every write and stores its districts in their reference spelling (functions/districts.sql).';

-- new -> assigned -> closed, new -> closed; an agent given to a new request assigns it.
create or replace function private.tg_requests__status() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  if new.status = 'new' and new.assigned_agent is not null and (tg_op = 'INSERT' or old.status = 'new') then
    new.status := 'assigned';
  end if;
  if tg_op = 'UPDATE' and new.status <> old.status
     and (old.status, new.status) not in (('new', 'assigned'), ('assigned', 'closed'), ('new', 'closed')) then
    raise exception using errcode = 'VC002',
      message = format('request status cannot move from %s to %s', old.status, new.status),
      hint = 'new -> assigned -> closed, or new -> closed';
  end if;
  return new;
end
$$;
comment on function private.tg_requests__status() is 'Trigger: the request status machine; giving a new request an agent assigns it.';

create or replace trigger _150_criteria before insert or update of criteria on public.requests
  for each row execute function private.tg_requests__criteria();
create or replace trigger _210_status before insert or update of status, assigned_agent on public.requests
  for each row execute function private.tg_requests__status();

-- Section - RPCs

-- A buy or rent request of the acting customer, or (agents, staff, bot) of p_customer_id.
create or replace function public.create_request(
  p_request_type text,
  p_criteria jsonb,
  p_customer_id uuid default null,
  p_assigned_agent uuid default null,
  p_source_session_id uuid default null
) returns setof public.requests
  language plpgsql
  set search_path = ''
as $$
declare
  v_customer uuid := coalesce(p_customer_id, auth.uid());
  v_id uuid;
begin
  if p_request_type is null or p_request_type not in ('buy', 'rent') then
    raise exception using errcode = 'VC001', message = format('request_type %s is not one of buy, rent', coalesce(p_request_type, 'NULL'));
  end if;
  perform guard.check_criteria(p_criteria);
  if v_customer is null then
    raise exception using errcode = 'VC001', message = 'customer_id is required when not acting as a contact';
  end if;
  if p_assigned_agent is not null and not guard.is_active_agent(p_assigned_agent) then
    raise exception using errcode = 'VC001', message = 'assigned_agent must be an active agent';
  end if;
  insert into public.requests (customer_id, assigned_agent, request_type, criteria, source_session_id)
  values (v_customer, p_assigned_agent, p_request_type, p_criteria, p_source_session_id)
  returning id into v_id;
  return query select * from public.requests where id = v_id;
end
$$;
comment on function public.create_request(text, jsonb, uuid, uuid, uuid) is 'Create a buy or rent request with validated criteria (districts, types, rooms, min_price, max_price, currency) for the acting customer or p_customer_id; it is matched at once.';

-- Update a request as the caller; NULL arguments keep values.
create or replace function guard.update_request(p_request_id uuid, p_criteria jsonb, p_status text)
  returns setof public.requests
  language plpgsql
  set search_path = ''
as $$
begin
  return query
    update public.requests r
    set criteria = coalesce(p_criteria, r.criteria),
        status = coalesce(p_status, r.status)
    where r.id = p_request_id
    returning r.*;
  if not found then
    perform guard.deny_or_missing(format('request %s', p_request_id));
  end if;
end
$$;
comment on function guard.update_request(uuid, jsonb, text) is 'Updates a request as the caller (row-level security and the triggers apply).';

create or replace function public.update_request_criteria(p_request_id uuid, p_criteria jsonb) returns setof public.requests
  language plpgsql
  set search_path = ''
as $$
begin
  perform guard.check_criteria(p_criteria);
  return query select * from guard.update_request(p_request_id, p_criteria, null);
end
$$;
comment on function public.update_request_criteria(uuid, jsonb) is 'Replace a request''s criteria (validated); its matches follow. The customer, its agent, staff, bot.';

-- Assign an open request. Security definer, because a request that is nobody's yet is outside the
-- caller's rows: it checks the caller itself. Staff and the bot assign any open request to any agent;
-- a broker an unassigned or its office's request to an agent of its office; an agent takes an unassigned
-- request that a match notified it about.
create or replace function private.assign_request(p_request_id uuid, p_agent_id uuid) returns setof public.requests
  language plpgsql security definer
  set search_path = ''
as $$
declare
  v_request public.requests;
  v_authority text := guard.authority();
begin
  select * into v_request from public.requests where id = p_request_id for update;
  if guard.is_api_user() and not guard.is_staff() and not (
       (v_authority = 'broker' and p_agent_id in (select guard.managed_agent_ids())
        and (v_request.assigned_agent is null or v_request.assigned_agent in (select guard.managed_agent_ids())))
    or (v_authority = 'agent' and p_agent_id = auth.uid() and v_request.assigned_agent is null
        and p_request_id in (select guard.notified_request_ids()))) then
    raise exception using errcode = '42501', message = format('request %s: not found or not yours to assign', p_request_id);
  end if;
  if v_request.id is null then
    raise exception using errcode = 'VC003', message = format('request %s not found', p_request_id);
  elsif v_request.status = 'closed' then
    raise exception using errcode = 'VC002', message = 'request status cannot move from closed to assigned';
  end if;
  return query update public.requests r set assigned_agent = p_agent_id where r.id = p_request_id returning r.*;
end
$$;
comment on function private.assign_request(uuid, uuid) is 'Assigns an open request after checking the caller (staff, bot, the office''s broker, or a notified agent taking it).';

create or replace function public.assign_request(p_request_id uuid, p_agent_id uuid default null) returns setof public.requests
  language plpgsql security definer
  set search_path = ''
as $$
declare
  v_agent uuid := coalesce(p_agent_id, auth.uid());
begin
  if v_agent is null or not guard.is_active_agent(v_agent) then
    raise exception using errcode = 'VC001', message = 'agent_id must be an active agent';
  end if;
  return query select * from private.assign_request(p_request_id, v_agent);
end
$$;
comment on function public.assign_request(uuid, uuid) is 'Assign an open request to an agent (the caller by default): staff and the bot any, a broker to its office''s agents, an agent takes an unassigned request a match notified it about; a new request becomes assigned.';

create or replace function public.close_request(p_request_id uuid) returns setof public.requests
  language sql
  set search_path = ''
as $$
  select * from guard.update_request(p_request_id, null, 'closed')
$$;
comment on function public.close_request(uuid) is 'Close a request (new or assigned -> closed); it leaves every match. The customer, its agent, staff, bot.';

revoke execute on function public.create_request(text, jsonb, uuid, uuid, uuid), public.update_request_criteria(uuid, jsonb),
  public.assign_request(uuid, uuid), public.close_request(uuid) from public, anon;
grant execute on function public.create_request(text, jsonb, uuid, uuid, uuid), public.update_request_criteria(uuid, jsonb),
  public.assign_request(uuid, uuid), public.close_request(uuid) to authenticated, service_role;
grant execute on function guard.check_criteria(jsonb), guard.update_request(uuid, jsonb, text) to authenticated, service_role;
