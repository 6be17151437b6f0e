-- Agents: who may change a profile's authority, and the RPCs set_agent_role and update_agent_profile.

-- Section - Triggers

-- Through the API only admins and owners change role, office and active (only an owner touches an
-- owner's profile or makes an owner); an agent edits its own specialty, territory and target.
create or replace function private.tg_agent_profiles__authority() returns trigger
  language plpgsql
  set search_path = ''
as $$
declare
  v_authority text;
  v_field text;
begin
  if not guard.is_api_user() then
    return new;
  end if;
  v_authority := guard.authority();
  v_field := case
    when tg_op = 'INSERT' then 'role'
    when new.role is distinct from old.role then 'role'
    when new.office is distinct from old.office then 'office'
    when new.active is distinct from old.active then 'active'
  end;
  if v_field is not null and coalesce(v_authority, '') not in ('admin', 'owner') then
    raise exception using errcode = '42501', message = format('only admins and owners may change agent_profiles.%s', v_field);
  end if;
  if v_field is not null and v_authority <> 'owner'
     and (new.role = 'owner' or (tg_op = 'UPDATE' and old.role = 'owner')) then
    raise exception using errcode = '42501', message = 'only an owner may grant or change the owner role';
  end if;
  return new;
end
$$;
comment on function private.tg_agent_profiles__authority() is 'Trigger: only admins and owners change role, office and active; only owners touch the owner role.';

create or replace trigger _200_authority before insert or update on public.agent_profiles
  for each row execute function private.tg_agent_profiles__authority();
comment on trigger _200_authority on public.agent_profiles
  is 'Only admins and owners change an agent''s role, office or active flag, and only owners grant or take the owner role: nobody promotes themselves.';

-- Section - RPCs

-- Make a contact an agent, broker, admin or owner (or change its role, office, active flag).
create or replace function public.set_agent_role(
  p_contact_id uuid,
  p_role text,
  p_office text default null,
  p_active boolean default null
) returns setof public.agent_profiles
  language plpgsql
  set search_path = ''
as $$
begin
  if guard.is_api_user() and not guard.is_staff() then
    raise exception using errcode = '42501', message = 'only admins and owners may set agent roles';
  end if;
  if p_role is null or p_role not in ('agent', 'broker', 'admin', 'owner') then
    raise exception using errcode = 'VC001', message = format('role %s is not one of agent, broker, admin, owner', left(coalesce(p_role, 'NULL'), 50));
  end if;
  perform guard.check_text(p_office, 'office', 200);
  if not exists (select 1 from public.contacts where id = p_contact_id) then
    raise exception using errcode = 'VC003', message = format('contact %s not found', p_contact_id);
  end if;
  update public.contacts
  set contact_type = case when p_role in ('admin', 'owner') then 'staff' else 'agent' end
  where id = p_contact_id;
  return query
    insert into public.agent_profiles as a (contact_id, role, office, active)
    values (p_contact_id, p_role, p_office, coalesce(p_active, true))
    on conflict (contact_id) do update
      set role = excluded.role, office = coalesce(excluded.office, a.office), active = coalesce(p_active, a.active)
    returning a.*;
end
$$;
comment on function public.set_agent_role(uuid, text, text, boolean) is 'Give a contact an agent profile with a role (agent, broker, admin, owner), office and active flag (NULL keeps the current office and flag; a new profile is active); the contact becomes an agent (or staff). Admins and owners only; only owners grant owner.';

-- The acting agent edits its own specialty, territory and monthly target (NULL keeps a value).
create or replace function public.update_agent_profile(
  p_specialty text default null,
  p_territory text default null,
  p_target_monthly integer default null
) returns setof public.agent_profiles
  language plpgsql
  set search_path = ''
as $$
begin
  perform guard.check_text(p_specialty, 'specialty', 200);
  perform guard.check_text(p_territory, 'territory', 500);
  perform guard.check_range(p_target_monthly, 'target_monthly', 0, 1000);
  return query
    update public.agent_profiles a
    set specialty = coalesce(p_specialty, a.specialty),
        territory = coalesce(p_territory, a.territory),
        target_monthly = coalesce(p_target_monthly, a.target_monthly)
    where a.contact_id = auth.uid()
    returning a.*;
  if not found then
    raise exception using errcode = 'VC003', message = 'the acting contact has no agent profile';
  end if;
end
$$;
comment on function public.update_agent_profile(text, text, integer) is 'The acting agent edits its own specialty, territory and monthly target.';

revoke execute on function public.set_agent_role(uuid, text, text, boolean), public.update_agent_profile(text, text, integer)
  from public, anon;
grant execute on function public.set_agent_role(uuid, text, text, boolean), public.update_agent_profile(text, text, integer)
  to authenticated, service_role;
