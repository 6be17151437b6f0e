-- Listings: ids YYYY-NNN, the status rules, and the RPCs create_listing, update_listing,
-- deactivate_listing, reactivate_listing, add_media, reorder_media (docs/matching.md).

-- Section - Triggers

-- Allocate YYYY-NNN (Europe/Istanbul year) when no id is given; an explicit id raises the year's counter.
-- The counter row is upserted in this transaction: concurrent inserts queue on it, a rollback gives the
-- number back, so there are no gaps or duplicates. Security definer: the counters are private.
create or replace function private.tg_portfolios__listing_id() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
declare
  v_year integer;
  v_number integer;
begin
  if new.id is null then
    v_year := extract(year from now() at time zone 'Europe/Istanbul')::integer;
    insert into private.portfolio_id_counters as c (year, last_number) values (v_year, 1)
    on conflict (year) do update set last_number = c.last_number + 1
    returning c.last_number into v_number;
    new.id := v_year || '-' || lpad(v_number::text, greatest(3, length(v_number::text)), '0');
  elsif guard.is_api_user() then
    -- through the API the database numbers listings (explicit ids are for imports and the seed)
    raise exception using errcode = 'VC001', message = 'id is allocated by the database; leave it out';
  elsif new.id ~ '^[0-9]{4}-[0-9]{3,9}$' then
    insert into private.portfolio_id_counters as c (year, last_number)
    values (split_part(new.id, '-', 1)::integer, split_part(new.id, '-', 2)::integer)
    on conflict (year) do update set last_number = greatest(c.last_number, excluded.last_number);
  end if;
  return new;
end
$$;
comment on function private.tg_portfolios__listing_id() is 'Trigger: allocates the listing id YYYY-NNN without gaps; explicit ids (trusted sessions only) raise the counter.';

-- active <-> inactive; active -> sold only when a deal on the listing has closed; sold is final.
create or replace function private.tg_portfolios__status() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    if new.status = 'sold' and guard.is_api_user() then
      raise exception using errcode = 'VC002', message = 'a listing becomes sold only through a closed deal';
    end if;
    return new;
  end if;
  if new.status = old.status then
    return new;
  end if;
  if old.status = 'sold'
     or (new.status = 'sold' and (old.status <> 'active'
         or not exists (select 1 from public.deals d where d.portfolio_id = new.id and d.status = 'closed'))) then
    raise exception using
      errcode = 'VC002',
      message = format('listing %s cannot move from %s to %s', new.id, old.status, new.status),
      hint = 'active <-> inactive; a listing becomes sold only through a closed deal, and stays sold';
  end if;
  return new;
end
$$;
comment on function private.tg_portfolios__status() is 'Trigger: listing status active <-> inactive; sold only through a closed deal, and final.';

create or replace trigger _050_listing_id before insert on public.portfolios
  for each row execute function private.tg_portfolios__listing_id();
comment on trigger _050_listing_id on public.portfolios
  is 'Gives each new listing its id YYYY-NNN (2026-001, 2026-002, ...) per year without gaps or duplicates, even under concurrent inserts; an explicit id (trusted sessions only) moves the counter on.';
create or replace trigger _210_status before insert or update of status on public.portfolios
  for each row execute function private.tg_portfolios__status();
comment on trigger _210_status on public.portfolios
  is 'A listing moves between active and inactive; it becomes sold only through a closed deal, and sold is final.';

-- Section - RPCs

-- Validate the listing fields an RPC was given (NULL = not given), naming the field.
create or replace function guard.check_listing_fields(
  p_type text, p_listing_type text, p_title text, p_district text, p_listed_price bigint, p_currency text,
  p_rooms text, p_owner_phone text, p_min_price bigint, p_commission_rate numeric
) returns void
  language plpgsql immutable
  set search_path = ''
as $$
begin
  if p_type not in ('daire', 'villa', 'dukkan', 'arsa') then
    raise exception using errcode = 'VC001', message = format('type %s is not one of daire, villa, dukkan, arsa', left(p_type, 50));
  elsif p_listing_type not in ('sale', 'rent') then
    raise exception using errcode = 'VC001', message = format('listing_type %s is not one of sale, rent', left(p_listing_type, 50));
  elsif length(btrim(p_title)) not between 1 and 200 then
    raise exception using errcode = 'VC001', message = 'title must be 1-200 characters';
  elsif length(btrim(p_district)) not between 1 and 100 then
    raise exception using errcode = 'VC001', message = 'district must be 1-100 characters';
  elsif p_listed_price <= 0 or p_listed_price > 1000000000000 then
    raise exception using errcode = 'VC001', message = 'listed_price must be a positive whole amount of at most 1000000000000';
  elsif p_currency not in ('TRY', 'USD', 'EUR', 'GBP') then
    raise exception using errcode = 'VC001', message = format('currency %s is not one of TRY, USD, EUR, GBP', left(p_currency, 50));
  elsif p_rooms !~ '^[1-9][0-9]?\+[0-9]$' then
    raise exception using errcode = 'VC001', message = format('rooms %s is not in the form 3+1 (1+0 for a studio)', left(p_rooms, 50));
  elsif p_owner_phone !~ '^\+[1-9][0-9]{6,14}$' then
    raise exception using errcode = 'VC001', message = 'owner_phone must be in E.164 form', hint = 'e.g. +905321234567';
  elsif p_min_price <= 0 or p_min_price > 1000000000000 then
    raise exception using errcode = 'VC001', message = 'min_price must be a positive whole amount of at most 1000000000000';
  elsif p_commission_rate <= 0 or p_commission_rate > 100 then
    raise exception using errcode = 'VC001', message = 'commission_rate must be a percentage above 0 and at most 100';
  end if;
end
$$;
comment on function guard.check_listing_fields(text, text, text, text, bigint, text, text, text, bigint, numeric) is 'Raises VC001 naming the first invalid listing field.';

-- The free texts of a listing an RPC was given (the columns' checks, as VC001 naming the field).
create or replace function guard.check_listing_texts(
  p_description text, p_city text, p_owner_name text, p_private_notes text
) returns void
  language plpgsql immutable
  set search_path = ''
as $$
begin
  perform guard.check_text(p_description, 'description', 5000);
  perform guard.check_text(p_city, 'city', 100);
  perform guard.check_text(p_owner_name, 'owner_name', 200);
  perform guard.check_text(p_private_notes, 'private_notes', 5000);
end
$$;
comment on function guard.check_listing_texts(text, text, text, text) is 'Raises VC001 naming description (5000), city (100), owner_name (200) or private_notes (5000) when longer than its limit.';

-- Write (or complete) the confidential row of a listing when any confidential field is given.
create or replace function guard.upsert_confidential(
  p_portfolio_id text, p_owner_name text, p_owner_phone text, p_min_price bigint, p_commission_rate numeric,
  p_private_notes text
) returns void
  language sql
  set search_path = ''
as $$
  insert into public.portfolio_confidential as c (portfolio_id, owner_name, owner_phone, min_price, commission_rate, private_notes)
  select p_portfolio_id, p_owner_name, p_owner_phone, p_min_price, p_commission_rate, p_private_notes
  where num_nonnulls(p_owner_name, p_owner_phone, p_min_price, p_commission_rate, p_private_notes) > 0
  on conflict (portfolio_id) do update
    set owner_name = coalesce(excluded.owner_name, c.owner_name),
        owner_phone = coalesce(excluded.owner_phone, c.owner_phone),
        min_price = coalesce(excluded.min_price, c.min_price),
        commission_rate = coalesce(excluded.commission_rate, c.commission_rate),
        private_notes = coalesce(excluded.private_notes, c.private_notes)
$$;
comment on function guard.upsert_confidential(text, text, text, bigint, numeric, text) is 'Writes the given confidential fields of a listing (as the caller, under row-level security).';

-- A new listing of the caller (or, for a broker or staff, of p_agent_id), with its confidential row.
create or replace function public.create_listing(
  p_type text,
  p_listing_type text,
  p_title text,
  p_district text,
  p_listed_price bigint,
  p_currency text default 'TRY',
  p_rooms text default null,
  p_description text default null,
  p_city text default null,
  p_agent_id uuid default null,
  p_owner_name text default null,
  p_owner_phone text default null,
  p_min_price bigint default null,
  p_commission_rate numeric default null,
  p_private_notes text default null
) returns setof public.portfolios
  language plpgsql
  set search_path = ''
as $$
declare
  v_agent uuid := coalesce(p_agent_id, auth.uid());
  v_id text;
begin
  if num_nulls(p_type, p_listing_type, p_title, p_district, p_listed_price, p_currency) > 0 then
    raise exception using errcode = 'VC001', message = 'type, listing_type, title, district, listed_price and currency are required';
  end if;
  perform guard.check_listing_texts(p_description, p_city, p_owner_name, p_private_notes);
  perform guard.check_listing_fields(p_type, p_listing_type, p_title, p_district, p_listed_price, p_currency,
                                       p_rooms, p_owner_phone, p_min_price, p_commission_rate);
  if guard.is_api_user() and not (guard.is_staff() or v_agent in (select guard.managed_agent_ids())) then
    raise exception using errcode = '42501', message = 'only an active agent (for itself), its broker or staff may create listings';
  end if;
  if p_min_price > p_listed_price then
    raise exception using errcode = 'VC001', message = 'min_price cannot be above the listing''s listed_price';
  end if;
  if v_agent is null or not guard.is_active_agent(v_agent) then
    raise exception using errcode = 'VC001', message = 'agent_id must be an active agent';
  end if;
  -- match_floor now, not when the confidential row is written: the listing is matched once, with its floor
  insert into public.portfolios (agent_id, type, listing_type, title, description, city, district, rooms, listed_price,
                                 currency, match_floor)
  values (v_agent, p_type, p_listing_type, btrim(p_title), p_description, coalesce(p_city, 'İstanbul'), btrim(p_district),
          p_rooms, p_listed_price, p_currency, p_min_price)
  returning id into v_id;
  perform guard.upsert_confidential(v_id, p_owner_name, p_owner_phone, p_min_price, p_commission_rate, p_private_notes);
  return query select * from public.portfolios where id = v_id;
end
$$;
comment on function public.create_listing(text, text, text, text, bigint, text, text, text, text, uuid, text, text, bigint, numeric, text) is 'Create a listing (id YYYY-NNN allocated by the database) for the acting agent, or for p_agent_id (its broker, staff, bot); owner, floor price, commission and notes go to the confidential row in the same call.';

-- Change a listing's fields and confidential fields (NULL keeps a value).
create or replace function public.update_listing(
  p_portfolio_id text,
  p_title text default null,
  p_description text default null,
  p_district text default null,
  p_rooms text default null,
  p_listed_price bigint default null,
  p_currency text default null,
  p_owner_name text default null,
  p_owner_phone text default null,
  p_min_price bigint default null,
  p_commission_rate numeric default null,
  p_private_notes text default null
) returns setof public.portfolios
  language plpgsql
  set search_path = ''
as $$
declare
  v_step text;
begin
  perform guard.check_listing_id(p_portfolio_id);
  perform guard.check_listing_texts(p_description, null, p_owner_name, p_private_notes);
  perform guard.check_listing_fields(null, null, p_title, p_district, p_listed_price, p_currency,
                                       p_rooms, p_owner_phone, p_min_price, p_commission_rate);
  if (guard.is_api_user() and not guard.can_manage_portfolio(p_portfolio_id))
     or not exists (select 1 from public.portfolios where id = p_portfolio_id) then
    perform guard.deny_or_missing(format('listing %s', p_portfolio_id));
  end if;
  -- Each row is written once, in the order the floor rule allows (the floor never exceeds the price
  -- at any moment): the listing first when the new floor is above today's price, else the floor first.
  for v_step in
    select unnest(case when p_min_price > (select p.listed_price from public.portfolios p where p.id = p_portfolio_id)
                       then array['listing', 'confidential'] else array['confidential', 'listing'] end)
  loop
    if v_step = 'confidential' then
      perform guard.upsert_confidential(p_portfolio_id, p_owner_name, p_owner_phone, p_min_price, p_commission_rate, p_private_notes);
    else
      update public.portfolios p
      set title = coalesce(btrim(p_title), p.title),
          description = coalesce(p_description, p.description),
          district = coalesce(btrim(p_district), p.district),
          rooms = coalesce(p_rooms, p.rooms),
          listed_price = coalesce(p_listed_price, p.listed_price),
          currency = coalesce(p_currency, p.currency)
      where p.id = p_portfolio_id;
    end if;
  end loop;
  return query select * from public.portfolios where id = p_portfolio_id;
end
$$;
comment on function public.update_listing(text, text, text, text, text, bigint, text, text, text, bigint, numeric, text) is 'Change a listing''s title, description, district, rooms, price, currency and its confidential owner, floor, commission and notes; NULL keeps a value. Listing managers.';

-- Set a listing's status (the trigger decides what is allowed).
create or replace function guard.set_listing_status(p_portfolio_id text, p_status text) returns setof public.portfolios
  language plpgsql
  set search_path = ''
as $$
begin
  perform guard.check_listing_id(p_portfolio_id);
  return query update public.portfolios p set status = p_status where p.id = p_portfolio_id returning p.*;
  if not found then
    perform guard.deny_or_missing(format('listing %s', p_portfolio_id));
  end if;
end
$$;
comment on function guard.set_listing_status(text, text) is 'Sets a listing''s status as the caller (row-level security and the status trigger apply).';

create or replace function public.deactivate_listing(p_portfolio_id text) returns setof public.portfolios
  language sql
  set search_path = ''
as $$
  select * from guard.set_listing_status(p_portfolio_id, 'inactive')
$$;
comment on function public.deactivate_listing(text) is 'Take a listing off the market (active -> inactive); it leaves every match. Listing managers.';

create or replace function public.reactivate_listing(p_portfolio_id text) returns setof public.portfolios
  language sql
  set search_path = ''
as $$
  select * from guard.set_listing_status(p_portfolio_id, 'active')
$$;
comment on function public.reactivate_listing(text) is 'Put an inactive listing back on the market (inactive -> active); it is matched again. Listing managers.';

-- Append a photo or video to a listing.
create or replace function public.add_media(p_portfolio_id text, p_media_type text, p_storage_path text)
  returns setof public.portfolio_media
  language plpgsql
  set search_path = ''
as $$
begin
  perform guard.check_listing_id(p_portfolio_id);
  if p_media_type is null or p_media_type not in ('photo', 'video') then
    raise exception using errcode = 'VC001', message = format('media_type %s is not one of photo, video', left(coalesce(p_media_type, 'NULL'), 50));
  end if;
  if length(btrim(p_storage_path)) not between 1 and 1024 or p_storage_path is null then
    raise exception using errcode = 'VC001', message = 'storage_path must be 1-1024 characters';
  end if;
  -- lock the listing: concurrent appends take positions one after the other
  perform 1 from public.portfolios where id = p_portfolio_id for update;
  if not found then
    perform guard.deny_or_missing(format('listing %s', p_portfolio_id));
  end if;
  -- a listing holds at most 100 media (positions 0-99: portfolio_media_sort_order_check)
  if (select coalesce(max(m.sort_order) + 1, 0) from public.portfolio_media m where m.portfolio_id = p_portfolio_id) >= 100 then
    raise exception using errcode = 'VC004', message = format('listing %s already holds 100 media, the most a listing holds', p_portfolio_id),
      hint = 'remove a media first (reorder_media closes gaps)';
  end if;
  return query
    insert into public.portfolio_media (portfolio_id, media_type, storage_path, sort_order, uploaded_by)
    select p_portfolio_id, p_media_type, btrim(p_storage_path),
           coalesce((select max(m.sort_order) + 1 from public.portfolio_media m where m.portfolio_id = p_portfolio_id), 0),
           auth.uid()
    returning *;
end
$$;
comment on function public.add_media(text, text, text) is 'Append a photo or video (Supabase Storage path) to a listing, last in order. Listing managers.';

-- Put a listing's media in the given order, all at once.
create or replace function public.reorder_media(p_portfolio_id text, p_media_ids uuid[])
  returns setof public.portfolio_media
  language plpgsql
  set search_path = ''
as $$
begin
  perform guard.check_listing_id(p_portfolio_id);
  perform guard.check_ids(p_media_ids, 'media_ids', 100);
  perform 1 from public.portfolios where id = p_portfolio_id for update;
  if not found then
    perform guard.deny_or_missing(format('listing %s', p_portfolio_id));
  end if;
  if p_media_ids is null or cardinality(p_media_ids) <> (select count(distinct x) from unnest(p_media_ids) x)
     or array(select m.id from public.portfolio_media m where m.portfolio_id = p_portfolio_id order by m.id)
        is distinct from array(select x from unnest(p_media_ids) x order by x) then
    raise exception using errcode = 'VC001', message = format('media_ids must list each media of listing %s exactly once', p_portfolio_id);
  end if;
  -- one statement: the deferrable unique (portfolio_id, sort_order) is checked at its end, not per row
  update public.portfolio_media m set sort_order = o.n - 1
  from unnest(p_media_ids) with ordinality as o (id, n)
  where m.id = o.id and m.sort_order <> o.n - 1;
  return query select * from public.portfolio_media m where m.portfolio_id = p_portfolio_id order by m.sort_order;
end
$$;
comment on function public.reorder_media(text, uuid[]) is 'Reorder a listing''s media atomically: p_media_ids lists every media of the listing once, in the new order. Listing managers.';

revoke execute on function
  public.create_listing(text, text, text, text, bigint, text, text, text, text, uuid, text, text, bigint, numeric, text),
  public.update_listing(text, text, text, text, text, bigint, text, text, text, bigint, numeric, text),
  public.deactivate_listing(text), public.reactivate_listing(text), public.add_media(text, text, text),
  public.reorder_media(text, uuid[]) from public, anon;
grant execute on function
  public.create_listing(text, text, text, text, bigint, text, text, text, text, uuid, text, text, bigint, numeric, text),
  public.update_listing(text, text, text, text, text, bigint, text, text, text, bigint, numeric, text),
  public.deactivate_listing(text), public.reactivate_listing(text), public.add_media(text, text, text),
  public.reorder_media(text, uuid[]) to authenticated, service_role;
grant execute on function
  guard.check_listing_fields(text, text, text, text, bigint, text, text, text, bigint, numeric),
  guard.upsert_confidential(text, text, text, bigint, numeric, text), guard.set_listing_status(text, text),
  guard.check_listing_texts(text, text, text, text) to authenticated, service_role;
