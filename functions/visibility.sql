-- Visibility: how much of another agent's listing an agent sees (anonymous, partial, full), the grants
-- that raise it, and the listing cards built from it (docs/access.md).

-- Section - Helpers

-- anonymous < partial < full.
create or replace function guard.visibility_rank(p_level text) returns integer
  language sql immutable
  set search_path = ''
as $$
  select array_position(array['anonymous', 'partial', 'full'], p_level)
$$;
comment on function guard.visibility_rank(text) is 'Orders visibility levels: anonymous 1 < partial 2 < full 3.';

-- Is the contact an agent with an active profile (a possible grantee)?
create or replace function guard.is_active_agent(p_contact_id uuid) returns boolean
  language sql stable security definer
  set search_path = ''
as $$
  select exists (select 1 from public.agent_profiles p where p.contact_id = p_contact_id and p.active)
$$;
comment on function guard.is_active_agent(uuid) is 'True when the contact has an active agent profile.';

-- An agent's level on a listing: its grant, or anonymous (for policies: may a buying agent deal on it?).
-- Answers only for agents the caller manages (anonymous otherwise), so it reveals no one else's grants.
create or replace function guard.visibility_of(p_portfolio_id text, p_agent_id uuid) returns text
  language sql stable security definer
  set search_path = ''
as $$
  select coalesce((select v.visibility_level from public.agent_visibility v
                   where v.portfolio_id = p_portfolio_id and v.agent_id = p_agent_id
                     and (v.agent_id in (select guard.managed_agent_ids()) or guard.is_staff()
                          or not guard.is_api_user())), 'anonymous')
$$;
comment on function guard.visibility_of(text, uuid) is 'The agent''s visibility level on the listing (anonymous when no grant).';

-- Section - Triggers

-- Visibility never drops: a grant may only raise the level.
create or replace function private.tg_agent_visibility__never_lower() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  if guard.visibility_rank(new.visibility_level) < guard.visibility_rank(old.visibility_level) then
    raise exception using
      errcode = 'VC004',
      message = format('visibility of agent %s on listing %s cannot be lowered from %s to %s',
                       old.agent_id, old.portfolio_id, old.visibility_level, new.visibility_level);
  end if;
  return new;
end
$$;
comment on function private.tg_agent_visibility__never_lower() is 'Trigger: a visibility level is never lowered.';

create or replace trigger _200_never_lower before update of visibility_level on public.agent_visibility
  for each row execute function private.tg_agent_visibility__never_lower();
comment on trigger _200_never_lower on public.agent_visibility
  is 'A visibility grant is never lowered: an agent who was shown a listing at partial or full level keeps it (visibility never drops by itself); remove the grant instead.';

-- A grant's audit fields are the database's: created_at is the insert's time; granted_by is the caller for a
-- grant through the API (NULL for the bot and the database's own grants); deal_id is written only by the deal
-- triggers (private.raise_visibility, as the definer). Afterwards they change only when the level is raised,
-- and then only to the raiser's values. current_user tells a database-made write (the definer, postgres) from
-- a client's (anon, authenticated, service_role).
create or replace function private.tg_agent_visibility__audit() returns trigger
  language plpgsql
  set search_path = ''
as $$
declare
  v_client constant boolean := current_user in ('anon', 'authenticated', 'service_role');
begin
  if tg_op = 'INSERT' then
    new.created_at := now();
  else
    new.created_at := old.created_at;
  end if;
  if tg_op = 'UPDATE' and guard.visibility_rank(new.visibility_level) <= guard.visibility_rank(old.visibility_level) then
    if (new.granted_by, new.deal_id) is distinct from (old.granted_by, old.deal_id) and v_client then
      raise exception using errcode = 'VC001',
        message = 'agent_visibility.granted_by and deal_id are the database''s: they change only when a grant raises the level';
    end if;
    new.granted_by := old.granted_by;
    new.deal_id := old.deal_id;
  elsif v_client then
    if new.deal_id is not null then
      raise exception using errcode = 'VC001', message = 'agent_visibility.deal_id is set by the database (a deal''s grant)',
        hint = 'grant without a deal; a co-broking deal grants its buying agent by itself';
    end if;
    new.granted_by := auth.uid();
  end if;
  return new;
end
$$;
comment on function private.tg_agent_visibility__audit() is 'Trigger: created_at, granted_by (the API caller) and deal_id (deal triggers only) are the database''s; they change only when the level is raised.';

create or replace trigger _210_audit before insert or update on public.agent_visibility
  for each row execute function private.tg_agent_visibility__audit();
comment on trigger _210_audit on public.agent_visibility
  is 'Who granted visibility (the caller), for which deal and when are set by the database and change only when the level is raised, so the grant''s audit fields cannot be forged.';

-- Section - RPCs

-- Raise an agent's visibility of a listing (never lowers it); by the listing agent, a broker of its
-- office, staff, or the bot. The grant records who gave it and the deal that unlocked it.
create or replace function public.grant_visibility(
  p_portfolio_id text,
  p_agent_id uuid,
  p_level text,
  p_deal_id uuid default null
) returns setof public.agent_visibility
  language plpgsql
  set search_path = ''
as $$
begin
  perform guard.check_listing_id(p_portfolio_id);
  if p_level is null or p_level not in ('anonymous', 'partial', 'full') then
    raise exception using errcode = 'VC001', message = format('level %s is not one of anonymous, partial, full', left(coalesce(p_level, 'NULL'), 50));
  end if;
  if guard.is_api_user() and not guard.can_manage_portfolio(p_portfolio_id) then
    raise exception using errcode = '42501',
      message = format('only the listing agent, a broker of its office or an admin may grant visibility on listing %s', p_portfolio_id);
  end if;
  if not exists (select 1 from public.portfolios where id = p_portfolio_id) then
    raise exception using errcode = 'VC003', message = format('listing %s not found', p_portfolio_id);
  end if;
  if p_agent_id is null or not guard.is_active_agent(p_agent_id) then
    raise exception using errcode = 'VC001', message = format('agent_id %s is not an active agent', coalesce(p_agent_id::text, 'NULL'));
  end if;
  if exists (select 1 from public.portfolios where id = p_portfolio_id and agent_id = p_agent_id) then
    raise exception using errcode = 'VC001', message = 'agent_id is the listing agent, who sees the listing in full';
  end if;
  return query
    insert into public.agent_visibility as v (portfolio_id, agent_id, visibility_level, deal_id, granted_by)
    values (p_portfolio_id, p_agent_id, p_level, p_deal_id, auth.uid())
    on conflict (portfolio_id, agent_id) do update
      set visibility_level = excluded.visibility_level, deal_id = excluded.deal_id, granted_by = excluded.granted_by
      where guard.visibility_rank(excluded.visibility_level) > guard.visibility_rank(v.visibility_level)
    returning v.*;
  if not found then  -- already at this level or higher: unchanged
    return query select * from public.agent_visibility where portfolio_id = p_portfolio_id and agent_id = p_agent_id;
  end if;
end
$$;
comment on function public.grant_visibility(text, uuid, text, uuid) is 'Raise an agent''s visibility (anonymous, partial, full) of a listing; never lowers it; records the caller as granted_by. p_deal_id must be NULL (VC001): only a deal itself names the deal that unlocked a grant. Listing agent, broker of its office, admins, owners, bot.';

create or replace function public.portfolio_cards(
  p_portfolio_ids text[] default null,
  p_limit integer default 50,
  p_offset integer default 0
) returns table (
    id text, type text, listing_type text, city text, district text, rooms text, currency text, status text,
    price_band_min bigint, price_band_max bigint, visibility_level text, listed_price bigint, title text,
    description text, media jsonb, agent_name text, agent_phone text
  )
  language plpgsql stable
  set search_path = ''
as $$
begin
  perform guard.check_page(p_limit, p_offset);
  perform guard.check_ids(p_portfolio_ids, 'portfolio_ids', 500);
  if exists (select 1 from unnest(p_portfolio_ids) x where length(x) > 20) then
    raise exception using errcode = 'VC001', message = 'portfolio_ids must hold listing ids of at most 20 characters';
  end if;
  -- hidden fields NULL; own listings in full; only agents get cards (see guard.listing_cards)
  return query
    select c.id, c.type, c.listing_type, c.city, c.district, c.rooms, c.currency, c.status, c.price_band_min,
           c.price_band_max, c.visibility_level, c.listed_price, c.title, c.description, c.media, c.agent_name,
           c.agent_phone
    from guard.listing_cards(p_portfolio_ids, null, null, null, null, null, null, null, null, p_limit, p_offset) c;
end
$$;
comment on function public.portfolio_cards(text[], integer, integer) is 'Listing cards for agents: anonymous (type, listing type, district, rooms, price band), partial (+ price, title, description, media, agent name), full (+ agent phone), by the caller''s agent_visibility; own listings in full. Never confidential data.';

revoke execute on function public.grant_visibility(text, uuid, text, uuid), public.portfolio_cards(text[], integer, integer)
  from public, anon;
grant execute on function public.grant_visibility(text, uuid, text, uuid), public.portfolio_cards(text[], integer, integer)
  to authenticated, service_role;
grant execute on function guard.visibility_rank(text), guard.price_band(bigint), guard.is_active_agent(uuid),
  guard.visibility_of(text, uuid) to authenticated, service_role;
