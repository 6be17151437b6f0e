-- Closing: dual confirm. Entering closing creates one confirmation per agent side (listing; buying when
-- cross-agent); only that agent confirms it; when every side has confirmed, the deal closes exactly once:
-- listing sold, request closed, the listing's other open deals cancelled, commission rows written, full
-- visibility to the buying agent, the contract document created, all in the confirming transaction.
-- RPCs start_closing and confirm_closing (docs/deals.md).

-- Section - Triggers

-- Every side of the deal has confirmed: the listing side, and the buying side of a cross-agent deal.
create or replace function private.all_sides_confirmed(p_deal_id uuid) returns boolean
  language sql stable
  set search_path = ''
as $$
  select not exists (select 1 from public.deals d cross join unnest(array['listing', 'buying']) as s (role)
                     where d.id = p_deal_id and (s.role = 'listing' or d.is_cross_agent)
                       and not exists (select 1 from public.deal_confirmations c
                                       where c.deal_id = d.id and c.role = s.role and c.confirmed))
$$;
comment on function private.all_sides_confirmed(uuid) is 'True when the listing side, and the buying side of a cross-agent deal, have confirmed.';

-- Rows exist only for a closing deal's real sides, start unconfirmed, and move only forward; the side's
-- agent (or a trusted session) confirms. Security definer: it reads the deal.
create or replace function private.tg_deal_confirmations__rules() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
declare
  v_deal public.deals := (select d from public.deals d where d.id = new.deal_id);
begin
  if tg_op = 'INSERT' then
    if v_deal.status is distinct from 'closing' then
      raise exception using errcode = 'VC002',
        message = format('deal %s is %s, not closing: its confirmations are created when it enters closing',
                         new.deal_id, coalesce(v_deal.status, 'missing'));
    elsif new.agent_id is distinct from (case new.role when 'listing' then v_deal.listing_agent_id
                                         when 'buying' then case when v_deal.is_cross_agent then v_deal.buying_agent_id end end) then
      raise exception using errcode = 'VC001',
        message = format('agent_id must be the deal''s %s agent (a buying side exists only on a cross-agent deal)', new.role);
    elsif new.confirmed or new.reminder_sent then
      raise exception using errcode = 'VC002', message = 'a confirmation starts unconfirmed, without a reminder';
    end if;
    return new;
  end if;
  if (new.deal_id, new.agent_id, new.role) is distinct from (old.deal_id, old.agent_id, old.role)
     or (new.confirmed_at is distinct from old.confirmed_at and new.confirmed = old.confirmed) then
    raise exception using errcode = 'VC001', message = 'a confirmation''s deal_id, agent_id, role and confirmed_at never change';
  elsif old.confirmed and not new.confirmed then
    raise exception using errcode = 'VC002', message = 'confirmation cannot move from confirmed to unconfirmed';
  elsif old.reminder_sent and not new.reminder_sent then
    raise exception using errcode = 'VC002', message = 'reminder_sent cannot move from true to false';
  end if;
  if new.confirmed and not old.confirmed then
    if guard.is_api_user() and auth.uid() is distinct from old.agent_id then
      raise exception using errcode = '42501', message = format('only the %s agent confirms the %s side', old.role, old.role);
    elsif v_deal.status <> 'closing' then
      raise exception using errcode = 'VC002',
        message = format('deal %s is %s, not closing: nothing to confirm', old.deal_id, v_deal.status);
    end if;
    new.confirmed_at := now();
  end if;
  return new;
end
$$;
comment on function private.tg_deal_confirmations__rules() is 'Trigger: confirmations only for a closing deal''s real sides, unconfirmed at first, forward only, confirmed by their own agent.';

-- After a side confirms: lock the deal, then (a fresh snapshot in READ COMMITTED) close it when every side
-- has confirmed. Two sides confirming at the same instant queue on the deal's row lock, so exactly one of
-- them sees both confirmations; the lock is an update (last_activity_at), so under REPEATABLE READ the
-- second one fails with a serialization error instead of missing the first.
create or replace function private.tg_deal_confirmations__close() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
begin
  update public.deals set last_activity_at = now() where id = new.deal_id;  -- the lock
  update public.deals d set status = 'closed'
  where d.id = new.deal_id and d.status = 'closing' and private.all_sides_confirmed(d.id);
  return null;
end
$$;
comment on function private.tg_deal_confirmations__close() is 'Trigger: after a confirmation, closes the deal (exactly once) when every side has confirmed.';

-- Entering closing creates the sides; entering closed does everything a closing means.
create or replace function private.tg_deals__closing() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
begin
  if new.status = 'closing' then
    insert into public.deal_confirmations (deal_id, agent_id, role)
    select new.id, s.agent_id, s.role
    from (values (new.listing_agent_id, 'listing'),
                 (case when new.is_cross_agent then new.buying_agent_id end, 'buying')) as s (agent_id, role)
    where s.agent_id is not null
    on conflict (deal_id, role) do nothing;
    return null;
  end if;

  update public.portfolios set status = 'sold' where id = new.portfolio_id and status <> 'sold';
  update public.requests set status = 'closed' where id = new.request_id and status <> 'closed';
  update public.deals
  set status = 'cancelled', cancel_reason = format('listing %s was sold in deal %s', new.portfolio_id, new.id)
  where portfolio_id = new.portfolio_id and id <> new.id and status not in ('closed', 'cancelled');
  perform private.write_commissions(new.id);
  if new.is_cross_agent then
    perform private.raise_visibility(new.portfolio_id, new.buying_agent_id, 'full', new.id);
  end if;
  -- the contract's data: parties, listing and price; never the confidential row (owner, floor, rate)
  insert into public.documents (type, deal_id, contact_id, portfolio_id, agent_id, template_data)
  select 'contract', new.id, new.customer_id, new.portfolio_id, new.listing_agent_id,
         jsonb_build_object(
           'deal_id', new.id, 'closed_at', new.closed_at, 'closing_price', new.closing_price, 'currency', p.currency,
           'listing', jsonb_build_object('id', p.id, 'title', p.title, 'listing_type', p.listing_type, 'type', p.type,
                                         'city', p.city, 'district', p.district, 'rooms', p.rooms),
           'customer', jsonb_build_object('id', cu.id, 'name', cu.display_name),
           'listing_agent', jsonb_build_object('id', la.id, 'name', la.display_name),
           'buying_agent', case when new.is_cross_agent then jsonb_build_object('id', ba.id, 'name', ba.display_name) end)
  from public.portfolios p
  join public.contacts cu on cu.id = new.customer_id
  join public.contacts la on la.id = new.listing_agent_id
  left join public.contacts ba on ba.id = new.buying_agent_id
  where p.id = new.portfolio_id
  on conflict (deal_id) where type = 'contract' do nothing;
  return null;
end
$$;
comment on function private.tg_deals__closing() is 'Trigger: entering closing creates the confirmation sides; entering closed sells the listing, closes the request, cancels the listing''s other deals, writes the commission split, grants the buying agent full visibility and creates the contract.';

create or replace trigger _200_rules before insert or update on public.deal_confirmations
  for each row execute function private.tg_deal_confirmations__rules();
comment on trigger _200_rules on public.deal_confirmations
  is 'Closing confirmations exist only for a closing deal''s real sides, start unconfirmed, only move forward, and are confirmed only by their own agent.';
create or replace trigger _300_close after update of confirmed on public.deal_confirmations
  for each row when (new.confirmed and not old.confirmed)
  execute function private.tg_deal_confirmations__close();
comment on trigger _300_close on public.deal_confirmations
  is 'When the last side confirms (also when both confirm at the same instant) the deal closes, exactly once.';

-- Section - RPCs

create or replace function public.start_closing(p_deal_id uuid, p_closing_price bigint default null)
  returns setof public.deals
  language plpgsql
  set search_path = ''
as $$
begin
  if p_closing_price is not null then
    perform guard.check_amount(p_closing_price, 'closing_price');
  end if;
  return query
    update public.deals d set status = 'closing', closing_price = p_closing_price
    where d.id = p_deal_id
    -- commission_total is not the API's to read (policies/deal_pipeline.sql); an open deal has none anyway
    returning d.id, d.portfolio_id, d.customer_id, d.listing_agent_id, d.buying_agent_id, d.is_cross_agent,
              d.match_id, d.request_id, d.created_by, d.status, d.offer_price, d.closing_price,
              null::bigint as commission_total, d.cancel_reason, d.last_activity_at, d.closed_at, d.created_at,
              d.updated_at;
  if not found then
    perform guard.deny_or_missing(format('deal %s', p_deal_id));
  end if;
end
$$;
comment on function public.start_closing(uuid, bigint) is 'Move an agreed deal to closing at closing_price (default: the agreed price); creates one confirmation per agent side. The deal''s agents, their brokers, staff, bot.';

-- outcome: confirmed (waiting for the other side), closed (this confirmation closed the deal),
-- already_confirmed, already_closed. The last two change nothing: a late or repeated confirmation is an answer,
-- not an error.
create or replace function public.confirm_closing(p_deal_id uuid)
  returns table (deal_id uuid, role text, outcome text, deal_status text, waiting_for text[])
  language plpgsql
  set search_path = ''
as $$
declare
  v_status text;
  v_role text;
  v_outcome text;
begin
  -- lock first: a side confirming at the same instant waits here and then sees this one's result
  select d.status into v_status from public.deals d where d.id = p_deal_id for update;
  if not found then
    perform guard.deny_or_missing(format('deal %s', p_deal_id));
  end if;
  select c.role, case when v_status = 'closed' then 'already_closed' when c.confirmed then 'already_confirmed' end
  into v_role, v_outcome
  from public.deal_confirmations c where c.deal_id = p_deal_id and c.agent_id = auth.uid();
  if v_role is null then
    if v_status in ('closing', 'closed') then
      raise exception using errcode = '42501', message = format('deal %s: only its listing and buying agents confirm', p_deal_id);
    end if;
    raise exception using errcode = 'VC002', message = format('deal %s is %s, not closing: nothing to confirm', p_deal_id, v_status);
  end if;
  if v_outcome is null then
    update public.deal_confirmations c set confirmed = true where c.deal_id = p_deal_id and c.agent_id = auth.uid();
    v_status := (select d.status from public.deals d where d.id = p_deal_id);
    v_outcome := case when v_status = 'closed' then 'closed' else 'confirmed' end;
  end if;
  return query
    select p_deal_id, v_role, v_outcome, v_status,
           coalesce((select array_agg(c.role order by c.role) from public.deal_confirmations c
                     where c.deal_id = p_deal_id and not c.confirmed), '{}');
end
$$;
comment on function public.confirm_closing(uuid) is 'Confirm the caller''s side of a closing deal; the last side closes it (listing sold, request closed, commissions, contract). Returns the outcome: confirmed, closed, already_confirmed or already_closed.';

revoke execute on function public.start_closing(uuid, bigint), public.confirm_closing(uuid) from public, anon;
grant execute on function public.start_closing(uuid, bigint), public.confirm_closing(uuid) to authenticated, service_role;
