-- Commissions: the total and its split to the last unit, the legal cap on commission_rate, the
-- platform_commissions status machine, and the RPCs commission_split, set_commission_split,
-- set_commission_status (docs/commissions.md).

-- Section - Arithmetic

-- closing_price x rate / 100 in whole units, VAT excluded. numeric arithmetic is exact here (a bigint times a
-- rate of at most two decimals); round() on numeric rounds half away from zero, which for positive amounts is
-- half up: 2% of 3.333.333 = 66.666,66 -> 66.667; 1% of 50 = 0,5 -> 1. NULL in, NULL out (a listing without a
-- commission rate has no commission total).
create or replace function guard.commission_total(p_closing_price bigint, p_rate numeric) returns bigint
  language plpgsql immutable strict
  set search_path = ''
as $$
begin
  if p_closing_price <= 0 then
    raise exception using errcode = 'VC001', message = format('closing_price %s must be a positive whole amount', p_closing_price);
  elsif p_rate < 0 or p_rate > 100 then
    raise exception using errcode = 'VC001', message = format('commission rate %s must be a percentage from 0 to 100', p_rate);
  end if;
  return round(p_closing_price::numeric * p_rate / 100)::bigint;
end
$$;
comment on function guard.commission_total(bigint, numeric) is 'closing_price x rate / 100, rounded half up to whole units (VAT excluded); VC001 for a non-positive price or a rate outside 0-100.';

-- Largest-remainder split of p_total by p_rates (percent, summing to 100): each share is the floor of its exact
-- value total x rate / 100; the units left over (fewer than the number of shares) go one each to the shares with
-- the largest remainder, ties to the earlier element. The result sums to p_total exactly, no share is negative,
-- and each differs from its exact value by less than one unit. div/mod on numeric keep it exact.
create or replace function guard.split_commission(p_total bigint, p_rates numeric[]) returns bigint[]
  language plpgsql immutable
  set search_path = ''
as $$
declare
  v_result bigint[];
begin
  if p_total is null or p_total < 0 then
    raise exception using errcode = 'VC001', message = format('total %s must be a whole amount of at least 0', coalesce(p_total::text, 'NULL'));
  elsif p_rates is null or cardinality(p_rates) = 0 or array_position(p_rates, null) is not null then
    raise exception using errcode = 'VC001', message = 'rates must be a non-empty array without NULL';
  elsif exists (select 1 from unnest(p_rates) r where r < 0) then
    raise exception using errcode = 'VC001', message = 'rates cannot be negative';
  elsif (select sum(r) from unnest(p_rates) r) <> 100 then
    raise exception using errcode = 'VC001',
      message = format('rates must add up to 100, not %s', (select sum(r) from unnest(p_rates) r));
  end if;
  with share as (
    select u.i, div(p_total * u.rate, 100) as base, mod(p_total * u.rate, 100) as remainder
    from unnest(p_rates) with ordinality as u (rate, i)
  ), ranked as (
    select s.i, s.base, s.remainder,
           row_number() over (order by s.remainder desc, s.i) as place,
           p_total - sum(s.base) over () as left_over
    from share s
  )
  select array_agg((r.base + case when r.remainder > 0 and r.place <= r.left_over then 1 else 0 end)::bigint
                   order by r.i)
  into v_result
  from ranked r;
  return v_result;
end
$$;
comment on function guard.split_commission(bigint, numeric[]) is 'Largest-remainder split of p_total by percent rates summing to 100: sums to p_total exactly, no share negative, each within one unit of its exact value; VC001 for bad input.';

-- Section - The legal cap on commission_rate

-- Taşınmaz Ticareti Hakkında Yönetmelik (RG 05.06.2018, 30442) md. 20: at most 4% of the sale price for a sale (VAT excluded); for a rental
-- at most one month's rent, i.e. 100 (the percent is of one month's rent), which the column's own check keeps.
create or replace function guard.check_commission_cap(p_listing_type text, p_commission_rate numeric) returns void
  language plpgsql immutable
  set search_path = ''
as $$
begin
  if (p_listing_type = 'sale' and p_commission_rate > 4) or (p_listing_type = 'rent' and p_commission_rate > 100) then
    raise exception using errcode = 'VC001',
      message = format('commission_rate %s exceeds the legal cap of %s', p_commission_rate,
                       case p_listing_type when 'sale' then '4% of the sale price' else 'one month''s rent (100% of the monthly rent)' end),
      hint = 'Taşınmaz Ticareti Hakkında Yönetmelik md. 20: at most 4% of the sale price (VAT excluded) for a sale, one month''s rent for a rental';
  end if;
end
$$;
comment on function guard.check_commission_cap(text, numeric) is 'Raises VC001 naming commission_rate when it exceeds the legal cap: 4% of the sale price for a sale, one month''s rent (100%) for a rental.';

-- Security definer: reads the listing whatever the writer may see. for share: a concurrent change of the
-- listing_type waits, so a rate and a type cannot both pass against the other's old value.
create or replace function private.tg_portfolio_confidential__commission_cap() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
begin
  -- Someone who may not write this row learns nothing here: row-level security rejects it next.
  if new.commission_rate is null or (guard.is_api_user() and not guard.can_manage_portfolio(new.portfolio_id)) then
    return new;
  end if;
  perform guard.check_commission_cap(
    (select p.listing_type from public.portfolios p where p.id = new.portfolio_id for share), new.commission_rate);
  return new;
end
$$;
comment on function private.tg_portfolio_confidential__commission_cap() is 'Trigger: commission_rate within the legal cap of its listing''s listing_type.';

-- A listing that changes listing_type (rent -> sale) keeps a rate within the new cap.
create or replace function private.tg_portfolios__commission_cap() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
begin
  perform guard.check_commission_cap(
    new.listing_type,
    (select c.commission_rate from public.portfolio_confidential c where c.portfolio_id = new.id for share));
  return new;
end
$$;
comment on function private.tg_portfolios__commission_cap() is 'Trigger: a listing_type change keeps the confidential commission_rate within the new legal cap.';

create or replace trigger _220_commission_cap before insert or update of commission_rate, portfolio_id
  on public.portfolio_confidential
  for each row execute function private.tg_portfolio_confidential__commission_cap();
comment on trigger _220_commission_cap on public.portfolio_confidential
  is 'The commission rate must stay within the legal cap for the listing''s type (sale or rent).';
create or replace trigger _220_commission_cap before update of listing_type on public.portfolios
  for each row execute function private.tg_portfolios__commission_cap();
comment on trigger _220_commission_cap on public.portfolios
  is 'Changing a listing between sale and rent keeps its confidential commission rate within the legal cap of the new type.';

-- Section - platform_commissions: written once, then only their status moves

-- Who is paid what never changes once written: an invoice may already name it.
create or replace function private.tg_platform_commissions__immutable() returns trigger
  language plpgsql
  set search_path = ''
as $$
declare
  v_column text;
begin
  v_column := case
    when new.deal_id is distinct from old.deal_id then 'deal_id'
    when new.contact_id is distinct from old.contact_id then 'contact_id'
    when new.role is distinct from old.role then 'role'
    when new.rate is distinct from old.rate then 'rate'
    when new.amount is distinct from old.amount then 'amount'
  end;
  if v_column is not null then
    raise exception using errcode = 'VC001',
      message = format('platform_commissions.%s cannot change after the row is written', v_column),
      hint = 'only status moves: pending -> invoiced -> paid';
  end if;
  return new;
end
$$;
comment on function private.tg_platform_commissions__immutable() is 'Trigger: deal_id, contact_id, role, rate and amount of a commission row never change.';

-- pending -> invoiced -> paid; a new row is pending.
create or replace function private.tg_platform_commissions__status() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    if new.status <> 'pending' then
      raise exception using errcode = 'VC002',
        message = format('a commission row starts pending, not %s', new.status),
        hint = 'pending -> invoiced -> paid';
    end if;
  elsif new.status <> old.status
        and (old.status, new.status) not in (('pending', 'invoiced'), ('invoiced', 'paid')) then
    raise exception using errcode = 'VC002',
      message = format('commission status cannot move from %s to %s', old.status, new.status),
      hint = 'pending -> invoiced -> paid';
  end if;
  return new;
end
$$;
comment on function private.tg_platform_commissions__status() is 'Trigger: the commission status machine pending -> invoiced -> paid; rows start pending.';

create or replace trigger _200_immutable before update of deal_id, contact_id, role, rate, amount
  on public.platform_commissions
  for each row execute function private.tg_platform_commissions__immutable();
comment on trigger _200_immutable on public.platform_commissions
  is 'A commission row''s deal, payee, role, rate and amount never change once written; only its status moves.';
create or replace trigger _210_status before insert or update of status on public.platform_commissions
  for each row execute function private.tg_platform_commissions__status();
comment on trigger _210_status on public.platform_commissions
  is 'Commission rows start pending and move pending -> invoiced -> paid only.';

-- Section - Writing a closed deal's commissions

-- The closing calls this in its own transaction, after the deal row reads closed with commission_total set.
-- Rows copy the split's rates of that moment, so a later set_commission_split changes only later closings.
-- Written once: a deal that has rows keeps them (a second call, or a concurrent one, writes nothing). A closed
-- deal without commission_total (its listing has no rate) gets no rows. Security definer: the closing agent may
-- not insert commission rows itself; it checks the caller is one of the deal's agents (or staff).
create or replace function private.write_commissions(p_deal_id uuid) returns void
  language plpgsql security definer
  set search_path = ''
as $$
declare
  v_deal public.deals;
  v_split private.commission_split;
  v_amounts bigint[];
begin
  select * into v_deal from public.deals d where d.id = p_deal_id for share;
  if v_deal.id is null
     or (guard.is_api_user() and not guard.is_staff()
         and not exists (select 1 from guard.managed_agent_ids() m (id)
                         where m.id in (v_deal.listing_agent_id, v_deal.buying_agent_id))) then
    perform guard.deny_or_missing(format('deal %s', p_deal_id));
  end if;
  if v_deal.status <> 'closed' then
    raise exception using errcode = 'VC002',
      message = format('deal %s is %s, not closed: commissions are written when it closes', v_deal.id, v_deal.status);
  end if;
  if v_deal.commission_total is null
     or exists (select 1 from public.platform_commissions c where c.deal_id = v_deal.id) then
    return;
  end if;
  select * into v_split from private.commission_split s
  where s.deal_kind = case when v_deal.is_cross_agent then 'cross' else 'single' end;
  v_amounts := guard.split_commission(v_deal.commission_total,
                                        array[v_split.listing_rate, v_split.buying_rate, v_split.platform_rate]);
  insert into public.platform_commissions (deal_id, contact_id, role, rate, amount)
  select v_deal.id, r.contact_id, r.role, r.rate, r.amount
  from (values (v_deal.listing_agent_id, 'listing', v_split.listing_rate, v_amounts[1]),
               (v_deal.buying_agent_id, 'buying', v_split.buying_rate, v_amounts[2]),
               (null::uuid, 'platform', v_split.platform_rate, v_amounts[3])) as r (contact_id, role, rate, amount)
  where r.role <> 'buying' or v_deal.is_cross_agent
  on conflict (deal_id, role) do nothing;
end
$$;
comment on function private.write_commissions(uuid) is 'Writes a closed deal''s platform_commissions once: listing, buying (cross deals only) and platform rows from the current split, amounts by largest remainder adding up to commission_total.';

-- Section - RPCs

-- The split settings, single and cross; any signed-in caller (what an agent keeps is no secret).
create or replace function public.commission_split()
  returns table (deal_kind text, listing_rate numeric, buying_rate numeric, platform_rate numeric, updated_at timestamptz)
  language sql stable security definer
  set search_path = ''
as $$
  select s.deal_kind, s.listing_rate, s.buying_rate, s.platform_rate, s.updated_at
  from private.commission_split s
  order by s.deal_kind desc  -- single, then cross
$$;
comment on function public.commission_split() is 'The commission split in percent of commission_total, per deal kind (single: one agent; cross: co-broking): listing, buying and platform rates, and when last set.';

-- Change a split: staff and trusted sessions only. Security definer: the settings are private; it checks the
-- caller first, then each value naming the field. Returns a table, not the private row type, so that undoing
-- migration 0005 can drop the settings table.
create or replace function private.set_commission_split(
  p_deal_kind text, p_listing_rate numeric, p_buying_rate numeric, p_platform_rate numeric
) returns table (deal_kind text, listing_rate numeric, buying_rate numeric, platform_rate numeric, updated_at timestamptz)
  language plpgsql security definer
  set search_path = ''
as $$
declare
  v_field text;
  v_rate numeric;
begin
  if guard.is_api_user() and not guard.is_staff() then
    raise exception using errcode = '42501', message = 'only admins and owners may set the commission split';
  end if;
  if p_deal_kind is null or p_deal_kind not in ('single', 'cross') then
    raise exception using errcode = 'VC001',
      message = format('deal_kind %s is not one of single, cross', left(coalesce(p_deal_kind, 'NULL'), 50));
  end if;
  -- a single deal has no buying agent: its buying_rate may be left out (NULL) and is 0
  if p_deal_kind = 'single' then
    p_buying_rate := coalesce(p_buying_rate, 0);
  elsif p_buying_rate is null then
    raise exception using errcode = 'VC001', message = 'buying_rate is required for a cross deal (the buying agent''s share)';
  end if;
  for v_field, v_rate in
    select * from (values ('listing_rate', p_listing_rate), ('buying_rate', p_buying_rate),
                          ('platform_rate', p_platform_rate)) as f (field, rate)
  loop
    if v_rate is null or v_rate < 0 or v_rate > 100 or v_rate <> round(v_rate, 2) then
      raise exception using errcode = 'VC001',
        message = format('%s %s must be a percentage from 0 to 100 with at most two decimals', v_field, left(coalesce(v_rate::text, 'NULL'), 50));
    end if;
  end loop;
  if p_deal_kind = 'single' and p_buying_rate <> 0 then
    raise exception using errcode = 'VC001',
      message = format('buying_rate %s must be 0 for a single deal: it has no buying agent', p_buying_rate);
  elsif p_listing_rate + p_buying_rate + p_platform_rate <> 100 then
    raise exception using errcode = 'VC001',
      message = format('listing_rate + buying_rate + platform_rate must add up to 100, not %s',
                       p_listing_rate + p_buying_rate + p_platform_rate);
  end if;
  return query
    update private.commission_split s
    set listing_rate = p_listing_rate, buying_rate = p_buying_rate, platform_rate = p_platform_rate,
        updated_at = now()
    where s.deal_kind = p_deal_kind
    returning s.deal_kind, s.listing_rate, s.buying_rate, s.platform_rate, s.updated_at;
end
$$;
comment on function private.set_commission_split(text, numeric, numeric, numeric) is 'Sets one deal kind''s split after checking the caller (staff or a trusted session) and every value (VC001 naming the field).';

create or replace function public.set_commission_split(
  p_deal_kind text, p_listing_rate numeric, p_buying_rate numeric, p_platform_rate numeric
) returns table (deal_kind text, listing_rate numeric, buying_rate numeric, platform_rate numeric, updated_at timestamptz)
  language sql security definer
  set search_path = ''
as $$
  select s.deal_kind, s.listing_rate, s.buying_rate, s.platform_rate, s.updated_at
  from private.set_commission_split(p_deal_kind, p_listing_rate, p_buying_rate, p_platform_rate) s
$$;
comment on function public.set_commission_split(text, numeric, numeric, numeric) is 'Set the split of commission_total for single or cross deals (percent, adding up to 100; a single deal has buying_rate 0, which NULL means). Admins, owners, the bot. Applies to deals that close afterwards; rows already written keep their rates.';

-- Move a commission row along pending -> invoiced -> paid (the trigger rejects anything else). Staff and trusted
-- sessions only, as the update policy says; setting the status a row already has changes nothing.
create or replace function public.set_commission_status(p_commission_id uuid, p_status text)
  returns setof public.platform_commissions
  language plpgsql
  set search_path = ''
as $$
begin
  if guard.is_api_user() and not guard.is_staff() then
    raise exception using errcode = '42501', message = 'only admins and owners may set a commission''s status';
  end if;
  if p_status is null or p_status not in ('pending', 'invoiced', 'paid') then
    raise exception using errcode = 'VC001',
      message = format('status %s is not one of pending, invoiced, paid', left(coalesce(p_status, 'NULL'), 50));
  end if;
  return query
    update public.platform_commissions c
    set status = p_status
    where c.id = p_commission_id
    returning c.*;
  if not found then
    perform guard.deny_or_missing(format('commission %s', p_commission_id));
  end if;
end
$$;
comment on function public.set_commission_status(uuid, text) is 'Move a commission row pending -> invoiced -> paid (VC002 for any other move; the same status changes nothing). Admins, owners, the bot.';

revoke execute on function guard.commission_total(bigint, numeric), guard.split_commission(bigint, numeric[]),
  guard.check_commission_cap(text, numeric) from public, anon;
revoke execute on function public.commission_split(), public.set_commission_split(text, numeric, numeric, numeric),
  public.set_commission_status(uuid, text) from public, anon;
grant execute on function public.commission_split(), public.set_commission_split(text, numeric, numeric, numeric),
  public.set_commission_status(uuid, text) to authenticated, service_role;
grant execute on function guard.commission_total(bigint, numeric), guard.split_commission(bigint, numeric[]),
  guard.check_commission_cap(text, numeric) to authenticated, service_role;
