-- Requests: criteria validated on write, who may be a request's customer and agent and who may set them,
-- at most 3 budget changes a day (each recorded), the status machine new -> assigned -> closed, and the
-- RPCs create_request, update_request_criteria, assign_request, close_request, budget_churn
-- (docs/matching.md). The rules are triggers, so direct writes meet them as the RPCs do.

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
      raise exception using errcode = 'VC001', message = format('criteria.%s is not a known key', left(v_key, 50)),
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

-- The parties of a request (nobody files a request to watch a listing's floor: attack class c1). The customer is a
-- customer contact: never an agent or staff, so an agent cannot file for itself. The agent is an active
-- agent or broker. Who sets or changes assigned_agent, for API users: staff any; a broker an agent of its
-- office, on an unassigned request or one of its office; an agent only itself, on a new request of a
-- customer it already serves, and never reassigns; a customer never. Trusted sessions (bot, dashboard) any.
-- Security definer: it reads other contacts' types and profiles.
create or replace function private.tg_requests__parties() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
declare
  v_authority text := guard.authority();
  v_agent_changed boolean := tg_op = 'INSERT' or new.assigned_agent is distinct from old.assigned_agent;
  v_customer_changed boolean := tg_op = 'INSERT' or new.customer_id is distinct from old.customer_id;
begin
  -- authority first (42501), then the values (VC001)
  if guard.is_api_user() and not guard.is_staff() then
    if tg_op = 'UPDATE' and v_customer_changed then
      raise exception using errcode = '42501', message = 'customer_id of a request cannot be changed by you';
    end if;
    if v_agent_changed and new.assigned_agent is not null and not (
         (v_authority = 'broker' and new.assigned_agent in (select guard.managed_agent_ids())
          and (tg_op = 'INSERT' or old.assigned_agent is null or old.assigned_agent in (select guard.managed_agent_ids())))
      or (v_authority = 'agent' and tg_op = 'INSERT' and new.assigned_agent = auth.uid()
          and guard.is_related_contact(new.customer_id)
          and not exists (select 1 from public.agent_profiles p where p.contact_id = new.customer_id))) then
      raise exception using errcode = '42501', message = 'assigned_agent: you may not give this request to this agent',
        hint = 'brokers assign to agents of their office, staff and the bot to any; an agent files only for a customer it already serves';
    end if;
    if v_agent_changed and new.assigned_agent is null and tg_op = 'UPDATE' and v_authority <> 'broker' then
      raise exception using errcode = '42501', message = 'assigned_agent: you may not unassign this request';
    end if;
  end if;
  if v_customer_changed and not exists (
       select 1 from public.contacts c
       where c.id = new.customer_id and c.contact_type not in ('agent', 'staff')
         and not exists (select 1 from public.agent_profiles p where p.contact_id = c.id)) then
    raise exception using errcode = 'VC001', message = 'customer_id must be a customer contact, not an agent or staff';
  end if;
  if v_agent_changed and new.assigned_agent is not null and not exists (
       select 1 from public.agent_profiles p
       where p.contact_id = new.assigned_agent and p.active and p.role in ('agent', 'broker')) then
    raise exception using errcode = 'VC001', message = 'assigned_agent must be an active agent or broker';
  end if;
  return new;
end
$$;
comment on function private.tg_requests__parties() is 'Trigger: the customer is a customer contact, the agent an active agent or broker; only brokers (their office), staff and trusted sessions assign; an agent files only for a customer it serves (42501 / VC001).';

-- At most 3 budget changes per request in any 24 hours for API users (a budget search for a listing's floor
-- needs many), each recorded for brokers' churn report. Security definer: it writes private.
create or replace function private.tg_requests__budget() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
declare
  v_limit constant integer := 3;
  v_old_min bigint := (old.criteria ->> 'min_price')::bigint;
  v_old_max bigint := (old.criteria ->> 'max_price')::bigint;
  v_new_min bigint := (new.criteria ->> 'min_price')::bigint;
  v_new_max bigint := (new.criteria ->> 'max_price')::bigint;
begin
  if (v_old_min, v_old_max) is not distinct from (v_new_min, v_new_max) then
    return new;
  end if;
  -- the bot is limited too: it moves a budget for the customer who asks it to (only the dashboard is not)
  if (guard.is_api_user() or current_setting('role') = 'service_role')
     and (select count(*) from private.request_budget_changes b
                              where b.request_id = new.id and b.changed_at > now() - interval '24 hours') >= v_limit then
    raise exception using errcode = 'VC004',
      message = format('criteria.max_price/min_price of request %s changed %s times in 24 hours already (the limit)', new.id, v_limit),
      hint = 'the limit keeps listings'' floor prices from being searched out; try again tomorrow';
  end if;
  insert into private.request_budget_changes (request_id, old_min_price, old_max_price, new_min_price, new_max_price, changed_by)
  values (new.id, v_old_min, v_old_max, v_new_min, v_new_max, auth.uid());
  return new;
end
$$;
comment on function private.tg_requests__budget() is 'Trigger: records every budget change of a request; beyond 3 in 24 hours an API user or the bot gets VC004 (the dashboard is not limited).';

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
comment on trigger _150_criteria on public.requests
  is 'Validates a request''s criteria on every write (exactly the keys districts, types, rooms, min_price, max_price, currency, bounded, VC001 naming the key) and stores districts in their reference spelling.';
create or replace trigger _160_parties before insert or update of customer_id, assigned_agent on public.requests
  for each row execute function private.tg_requests__parties();
comment on trigger _160_parties on public.requests
  is 'The customer must be a customer contact and the assigned agent an active agent or broker; only brokers (their office), staff and the bot assign, and an agent files only for a customer it already serves (42501 / VC001).';
create or replace trigger _170_budget before update of criteria on public.requests
  for each row execute function private.tg_requests__budget();
comment on trigger _170_budget on public.requests
  is 'Records every budget change of a request and refuses a fourth within 24 hours to API users and the bot (VC004), so nobody narrows a budget step by step to learn a listing''s floor; the dashboard is not limited.';
create or replace trigger _210_status before insert or update of status, assigned_agent on public.requests
  for each row execute function private.tg_requests__status();
comment on trigger _210_status on public.requests
  is 'A request moves new -> assigned -> closed; giving a new request an agent assigns it.';

-- Section - RPCs

-- A buy or rent request of the acting customer, or of p_customer_id (an agent: a customer it serves,
-- assigned to itself; brokers, staff, bot). The parties trigger judges customer and agent.
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
    raise exception using errcode = 'VC001', message = format('request_type %s is not one of buy, rent', left(coalesce(p_request_type, 'NULL'), 50));
  end if;
  perform guard.check_criteria(p_criteria);
  if v_customer is null then
    raise exception using errcode = 'VC001', message = 'customer_id is required when not acting as a contact';
  end if;
  insert into public.requests (customer_id, assigned_agent, request_type, criteria, source_session_id)
  values (v_customer, p_assigned_agent, p_request_type, p_criteria, p_source_session_id)
  returning id into v_id;
  return query select * from public.requests where id = v_id;
end
$$;
comment on function public.create_request(text, jsonb, uuid, uuid, uuid) is 'Create a buy or rent request with validated criteria (districts, types, rooms, min_price, max_price, currency) for the acting customer (unassigned) or p_customer_id (a customer contact; an agent only for a customer it already serves, assigned to itself); the matcher matches it after commit (process_match_events).';

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
comment on function public.update_request_criteria(uuid, jsonb) is 'Replace a request''s criteria (validated); its matches follow. The customer, its agent, staff, bot; at most 3 budget (min_price/max_price) changes a day (VC004), each recorded.';

-- Assign an open request. Security definer, because a request that is nobody's yet is outside the
-- caller's rows: it checks the caller first. Staff and the bot assign any open request to any agent; a
-- broker an unassigned or its office's request to an agent of its office. Agents do not take requests
-- (a listing priced to match everything would then harvest customers); the parties trigger says the same
-- for direct writes.
create or replace function private.assign_request(p_request_id uuid, p_agent_id uuid) returns setof public.requests
  language plpgsql security definer
  set search_path = ''
as $$
declare
  v_request public.requests;
begin
  select * into v_request from public.requests where id = p_request_id for update;
  if guard.is_api_user() and not guard.is_staff() and not (
       guard.authority() = 'broker' and p_agent_id in (select guard.managed_agent_ids())
       and v_request.id is not null
       and (v_request.assigned_agent is null or v_request.assigned_agent in (select guard.managed_agent_ids()))) then
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
comment on function private.assign_request(uuid, uuid) is 'Assigns an open request after checking the caller (staff, bot, or the office''s broker).';

create or replace function public.assign_request(p_request_id uuid, p_agent_id uuid default null) returns setof public.requests
  language plpgsql security definer
  set search_path = ''
as $$
declare
  v_agent uuid := coalesce(p_agent_id, auth.uid());
begin
  if guard.is_api_user() and not guard.is_staff() and coalesce(guard.authority(), '') <> 'broker' then
    raise exception using errcode = '42501', message = format('request %s: not found or not yours to assign', p_request_id);
  end if;
  if v_agent is null or not exists (select 1 from public.agent_profiles p
                                    where p.contact_id = v_agent and p.active and p.role in ('agent', 'broker')) then
    raise exception using errcode = 'VC001', message = 'agent_id must be an active agent or broker';
  end if;
  return query select * from private.assign_request(p_request_id, v_agent);
end
$$;
comment on function public.assign_request(uuid, uuid) is 'Assign an open request to an active agent or broker (the caller by default): staff and the bot any, a broker an unassigned or its office''s request to its office''s agents; a new request becomes assigned. Agents do not take requests.';

create or replace function public.close_request(p_request_id uuid) returns setof public.requests
  language sql
  set search_path = ''
as $$
  select * from guard.update_request(p_request_id, null, 'closed')
$$;
comment on function public.close_request(uuid) is 'Close a request (new or assigned -> closed); it leaves every match. The customer, its agent, staff, bot.';

-- Brokers' report: requests of their office (staff and the bot: all) whose budget moved at least
-- p_min_changes times since p_since. Security definer: the changes are private; the caller is checked first.
create or replace function public.budget_churn(p_since timestamptz default now() - interval '7 days', p_min_changes integer default 3)
  returns table (request_id uuid, assigned_agent uuid, agent_name text, changes integer, first_changed_at timestamptz,
                 last_changed_at timestamptz, min_price bigint, max_price bigint, currency text)
  language plpgsql stable security definer
  set search_path = ''
as $$
begin
  if guard.is_api_user() and not guard.is_staff() and coalesce(guard.authority(), '') <> 'broker' then
    raise exception using errcode = '42501', message = 'budget_churn: brokers and staff only';
  end if;
  if p_since is null or p_min_changes is null or p_min_changes not between 1 and 1000 then
    raise exception using errcode = 'VC001', message = 'since is required and min_changes must be between 1 and 1000';
  end if;
  return query
    select r.id, r.assigned_agent, a.display_name, count(*)::integer, min(b.changed_at), max(b.changed_at),
           (r.criteria ->> 'min_price')::bigint, (r.criteria ->> 'max_price')::bigint, r.crit_currency
    from private.request_budget_changes b
    join public.requests r on r.id = b.request_id
    left join public.contacts a on a.id = r.assigned_agent
    where b.changed_at >= p_since
      and (not guard.is_api_user() or guard.is_staff() or r.assigned_agent in (select guard.managed_agent_ids()))
    group by r.id, a.display_name
    having count(*) >= p_min_changes
    order by count(*) desc, max(b.changed_at) desc;
end
$$;
comment on function public.budget_churn(timestamptz, integer) is 'Requests whose budget (min_price/max_price) changed at least p_min_changes times since p_since (default: 3 in the last 7 days): the agent, the count, when, and the budget now; a broker sees its office''s requests, staff and the bot all.';

revoke execute on function public.create_request(text, jsonb, uuid, uuid, uuid), public.update_request_criteria(uuid, jsonb),
  public.assign_request(uuid, uuid), public.close_request(uuid), public.budget_churn(timestamptz, integer) from public, anon;
grant execute on function public.create_request(text, jsonb, uuid, uuid, uuid), public.update_request_criteria(uuid, jsonb),
  public.assign_request(uuid, uuid), public.close_request(uuid), public.budget_churn(timestamptz, integer) to authenticated, service_role;
grant execute on function guard.check_criteria(jsonb), guard.update_request(uuid, jsonb, text) to authenticated, service_role;
