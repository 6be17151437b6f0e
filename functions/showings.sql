-- Showings: the slot rules, the status machine scheduled -> shown | cancelled, the showing certificate
-- (yer gösterme belgesi), the deal a showing moves, and the RPCs schedule_showing, reschedule_showing,
-- cancel_showing, mark_shown (docs/deals.md). Triggers enforce every rule, so a direct write from the
-- dashboard meets the same rules as the RPCs.

-- private.touch_deal and guard.can_act_on_deal come from functions/deals.sql (applied before this file).

-- Section - Triggers

-- The slot: ends_at defaults to one hour after scheduled_at and keeps its duration when the showing is
-- rescheduled without a new end; nothing is scheduled in the past (now() is the transaction's start, so a
-- showing at now() is legal).
create or replace function private.tg_showings__slot() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    new.ends_at := coalesce(new.ends_at, new.scheduled_at + interval '1 hour');
  elsif new.scheduled_at is distinct from old.scheduled_at and new.ends_at is not distinct from old.ends_at then
    new.ends_at := new.scheduled_at + (old.ends_at - old.scheduled_at);
  end if;
  if (tg_op = 'INSERT' or new.scheduled_at is distinct from old.scheduled_at) and new.scheduled_at < now() then
    raise exception using errcode = 'VC001', message = 'scheduled_at cannot be in the past',
      hint = 'schedule the showing from now on';
  end if;
  if (tg_op = 'INSERT' or new.scheduled_at is distinct from old.scheduled_at) and new.scheduled_at > now() + interval '1 year' then
    raise exception using errcode = 'VC001', message = 'scheduled_at must be at most 1 year ahead';
  end if;
  -- the RPCs' bound holds for every writer: no slot blocks a listing for longer than a visit
  if (tg_op = 'INSERT' or (new.scheduled_at, new.ends_at) is distinct from (old.scheduled_at, old.ends_at))
     and new.ends_at - new.scheduled_at not between interval '15 minutes' and interval '8 hours' then
    raise exception using errcode = 'VC001', message = 'duration must be between 15 minutes and 8 hours';
  end if;
  -- through the API (the bot too) a showing always belongs to a deal, as schedule_showing makes it: _500_deal
  -- then holds it to the deal's listing, customer and buying agent. Only the dashboard books a bare visit.
  if tg_op = 'INSERT' and new.deal_id is null and current_user in ('anon', 'authenticated', 'service_role') then
    raise exception using errcode = 'VC001', message = 'deal_id is required: a showing belongs to an open deal',
      hint = 'schedule_showing';
  end if;
  return new;
end
$$;
comment on function private.tg_showings__slot() is 'Trigger: ends_at defaults to scheduled_at + 1 hour and moves with a reschedule (duration kept); no showing is scheduled in the past or more than 1 year ahead; a slot lasts 15 minutes to 8 hours; through the API (the bot too) a showing names its deal.';

-- A showing of a deal serves the deal's request, whatever the writer sent (security definer: the listing side
-- of a co-broking deal may not read the request).
create or replace function private.tg_showings__request_from_deal() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
begin
  if new.deal_id is not null then
    new.request_id := (select d.request_id from public.deals d where d.id = new.deal_id);
  end if;
  return new;
end
$$;
comment on function private.tg_showings__request_from_deal() is 'Trigger: a showing of a deal has the deal''s request_id.';

-- scheduled -> shown | cancelled; shown and cancelled are final. A showing starts scheduled, is marked shown
-- only once its slot has begun, and is rescheduled only while scheduled.
create or replace function private.tg_showings__status() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    -- an unknown status is left to showings_status_check
    if new.status in ('shown', 'cancelled') then
      raise exception using errcode = 'VC002', message = format('showing status cannot start at %s', new.status),
        hint = 'a showing starts scheduled; mark it shown or cancel it afterwards';
    end if;
    return new;
  end if;
  if (new.scheduled_at, new.ends_at) is distinct from (old.scheduled_at, old.ends_at) then
    if old.status <> 'scheduled' then
      raise exception using errcode = 'VC002', message = format('a %s showing cannot be rescheduled', old.status),
        hint = 'only a scheduled showing is rescheduled';
    elsif new.status <> 'scheduled' then
      raise exception using errcode = 'VC002',
        message = format('a showing cannot be rescheduled and moved from scheduled to %s at once', new.status);
    end if;
  end if;
  if new.status is distinct from old.status then
    if old.status <> 'scheduled' or new.status not in ('shown', 'cancelled') then
      raise exception using errcode = 'VC002',
        message = format('showing status cannot move from %s to %s', old.status, new.status),
        hint = 'scheduled -> shown or cancelled; shown and cancelled are final';
    end if;
    if new.status = 'shown' and new.scheduled_at > clock_timestamp() then
      raise exception using errcode = 'VC002',
        message = format('showing status cannot move from scheduled to shown before its slot begins at %s',
                         to_char(new.scheduled_at at time zone 'Europe/Istanbul', 'YYYY-MM-DD HH24:MI')),
        hint = 'mark the showing shown once the visit has started';
    end if;
  end if;
  return new;
end
$$;
comment on function private.tg_showings__status() is 'Trigger: showing status scheduled -> shown (once the slot has begun) or cancelled, final; only a scheduled showing is rescheduled.';

-- The deal a showing belongs to: the showing is of the deal's listing, customer and buying agent; a new
-- slot is never booked for a deal that is closing, closed or cancelled; the first showing of a matched deal
-- moves it to showing; every write moves the deal's last_activity_at. After the row passed row-level
-- security (an AFTER trigger), security definer: the writer may not update the deal itself.
create or replace function private.tg_showings__deal() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
declare
  v_deal public.deals;
  v_scheduling boolean := tg_op = 'INSERT'
    or (new.scheduled_at, new.ends_at) is distinct from (old.scheduled_at, old.ends_at);
begin
  if new.deal_id is null then
    return null;
  end if;
  select * into v_deal from public.deals d where d.id = new.deal_id for no key update;
  if tg_op = 'INSERT'
     or (new.deal_id, new.portfolio_id, new.customer_id, new.buying_agent_id)
        is distinct from (old.deal_id, old.portfolio_id, old.customer_id, old.buying_agent_id) then
    if (new.portfolio_id, new.customer_id) is distinct from (v_deal.portfolio_id, v_deal.customer_id)
       or new.buying_agent_id is distinct from (case when v_deal.is_cross_agent then v_deal.buying_agent_id end) then
      raise exception using errcode = 'VC001',
        message = format('deal_id %s is not a deal of this showing''s listing, customer and buying agent', new.deal_id);
    end if;
  end if;
  if v_scheduling and new.status = 'scheduled' and v_deal.status in ('closing', 'closed', 'cancelled') then
    raise exception using errcode = 'VC002',
      message = format('deal status %s does not allow scheduling a showing', v_deal.status),
      hint = 'showings are scheduled while a deal is matched, showing, negotiating or agreed';
  end if;
  if tg_op = 'INSERT' and v_deal.status = 'matched' then
    update public.deals d set status = 'showing' where d.id = v_deal.id;
  end if;
  perform private.touch_deal(new.deal_id);
  return null;
end
$$;
comment on function private.tg_showings__deal() is 'Trigger: a showing is of its deal''s listing, customer and buying agent; no slot for a closing, closed or cancelled deal; a matched deal moves to showing; the deal''s last_activity_at moves.';

-- Marking a showing shown issues its certificate (documents, type certificate), exactly once. The parties,
-- the listing and the slot go into template_data, never anything of portfolio_confidential (no floor price,
-- owner or commission) and no phone number (a co-broker must not learn the other side's). Security definer:
-- the one marking it may not insert documents (a buying agent) nor read the listing (a co-broker).
create or replace function private.tg_showings__certificate() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
begin
  insert into public.documents (type, contact_id, portfolio_id, agent_id, showing_id, deal_id, template_data)
  select 'certificate', new.customer_id, new.portfolio_id, new.agent_id, new.id, new.deal_id,
         jsonb_build_object(
           'document', 'yer_gosterme_belgesi',
           'showing_id', new.id,
           'deal_id', new.deal_id,
           'customer', jsonb_build_object('id', cu.id, 'name', cu.display_name),
           'listing_agent', jsonb_build_object('id', la.id, 'name', la.display_name, 'office', lap.office),
           'buying_agent', case when new.buying_agent_id is not null then
             jsonb_build_object('id', ba.id, 'name', ba.display_name, 'office', bap.office) end,
           'listing', jsonb_build_object('id', p.id, 'title', p.title, 'city', p.city, 'district', p.district,
                                         'type', p.type, 'listing_type', p.listing_type, 'rooms', p.rooms),
           'slot', jsonb_build_object(
             'date', to_char(new.scheduled_at at time zone 'Europe/Istanbul', 'YYYY-MM-DD'),
             'starts', to_char(new.scheduled_at at time zone 'Europe/Istanbul', 'HH24:MI'),
             'ends', to_char(new.ends_at at time zone 'Europe/Istanbul', 'HH24:MI'),
             'time_zone', 'Europe/Istanbul',
             'scheduled_at', new.scheduled_at, 'ends_at', new.ends_at),
           'shown_at', now())
  from public.portfolios p
  join public.contacts cu on cu.id = new.customer_id
  join public.contacts la on la.id = new.agent_id
  left join public.agent_profiles lap on lap.contact_id = la.id
  left join public.contacts ba on ba.id = new.buying_agent_id
  left join public.agent_profiles bap on bap.contact_id = ba.id
  where p.id = new.portfolio_id
  on conflict (showing_id) where type = 'certificate' do nothing;
  return null;
end
$$;
comment on function private.tg_showings__certificate() is 'Trigger: a showing marked shown gets its certificate (documents, type certificate) once, with parties, listing and slot; nothing confidential.';

-- A deal that ends (cancelled, or closed) frees its slots: its showings still scheduled and not yet begun are
-- cancelled. One whose slot has begun stays, so that it can still be marked shown: its certificate protects
-- the agent's commission even when the deal fell through. Security definer: whoever ends the deal may not
-- write every side's showings.
create or replace function private.tg_deals__free_slots() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
begin
  update public.showings s set status = 'cancelled'
  where s.deal_id = new.id and s.status = 'scheduled' and s.scheduled_at > now();
  return null;
end
$$;
comment on function private.tg_deals__free_slots() is 'Trigger: a cancelled or closed deal cancels its showings that are scheduled and not yet begun.';

create or replace trigger _150_slot before insert or update on public.showings
  for each row execute function private.tg_showings__slot();
comment on trigger _150_slot on public.showings
  is 'A showing lasts 15 minutes to 8 hours (one hour by default, kept on reschedule), is never in the past or more than a year ahead, and through the API always belongs to a deal.';
create or replace trigger _205_request before insert or update of deal_id, request_id on public.showings
  for each row execute function private.tg_showings__request_from_deal();
comment on trigger _205_request on public.showings
  is 'A showing of a deal carries the deal''s request, so the two cannot disagree.';
create or replace trigger _210_status before insert or update on public.showings
  for each row execute function private.tg_showings__status();
comment on trigger _210_status on public.showings
  is 'A showing moves scheduled -> shown (only once its slot has begun) or cancelled, both final; only a scheduled showing is rescheduled.';
create or replace trigger _500_deal after insert or update on public.showings
  for each row execute function private.tg_showings__deal();
comment on trigger _500_deal on public.showings
  is 'A showing is of its deal''s listing, customer and buying agent; a closing, closed or cancelled deal gets no new slot; the first showing moves a matched deal to showing and every showing counts as deal activity.';
create or replace trigger _520_free_slots after update of status on public.deals
  for each row when (new.status in ('cancelled', 'closed') and old.status is distinct from new.status)
  execute function private.tg_deals__free_slots();
comment on trigger _520_free_slots on public.deals
  is 'A cancelled or closed deal cancels its showings that are still scheduled and not yet begun, freeing the slots.';
create or replace trigger _600_certificate after update of status on public.showings
  for each row when (new.status = 'shown' and old.status is distinct from 'shown')
  execute function private.tg_showings__certificate();
comment on trigger _600_certificate on public.showings
  is 'A showing marked shown gets its showing certificate (yer gösterme belgesi, in documents) once, with parties, listing and slot and nothing confidential: the agent''s proof for its commission.';

-- Section - RPCs

-- The caller's scheduled-or-not showing, locked, when the caller may act on it (the deal's agents, their
-- brokers, staff, trusted sessions); else deny_or_missing. The customer only reads.
create or replace function guard.showing_to_act_on(p_showing_id uuid) returns public.showings
  language plpgsql
  set search_path = ''
as $$
declare
  v_showing public.showings;
begin
  select * into v_showing from public.showings s where s.id = p_showing_id for update;
  if v_showing.id is null
     or (guard.is_api_user() and not (
           case when v_showing.deal_id is not null then guard.can_act_on_deal(v_showing.deal_id)
                else guard.is_staff() or v_showing.agent_id in (select guard.managed_agent_ids())
                     or v_showing.buying_agent_id in (select guard.managed_agent_ids()) end)) then
    perform guard.deny_or_missing(format('showing %s', p_showing_id));
  end if;
  return v_showing;
end
$$;
comment on function guard.showing_to_act_on(uuid) is 'Locks and returns a showing the caller may act on (its deal''s agents, their brokers, staff, trusted sessions); else VC003 or 42501.';

-- VC001 for a slot start or duration an RPC was given.
create or replace function guard.check_slot(p_scheduled_at timestamptz, p_duration interval) returns void
  language plpgsql stable
  set search_path = ''
as $$
begin
  if p_scheduled_at is null then
    raise exception using errcode = 'VC001', message = 'scheduled_at is required';
  elsif p_scheduled_at < now() then
    raise exception using errcode = 'VC001', message = 'scheduled_at cannot be in the past';
  elsif p_scheduled_at > now() + interval '1 year' then
    raise exception using errcode = 'VC001', message = 'scheduled_at must be at most 1 year ahead';
  elsif p_duration < interval '15 minutes' or p_duration > interval '8 hours' then
    raise exception using errcode = 'VC001', message = 'duration must be between 15 minutes and 8 hours';
  end if;
end
$$;
comment on function guard.check_slot(timestamptz, interval) is 'Raises VC001 for a missing or past scheduled_at, one more than 1 year ahead, or a duration outside 15 minutes - 8 hours.';

-- The VC004 an RPC raises for an overlapping slot (the exclusion constraint's 23P01 names no listing).
create or replace function guard.raise_slot_taken(p_portfolio_id text, p_scheduled_at timestamptz, p_ends_at timestamptz)
  returns void
  language plpgsql immutable
  set search_path = ''
as $$
begin
  raise exception using errcode = 'VC004',
    message = format('listing %s already has a showing overlapping %s - %s', p_portfolio_id,
                     to_char(p_scheduled_at at time zone 'Europe/Istanbul', 'YYYY-MM-DD HH24:MI'),
                     to_char(p_ends_at at time zone 'Europe/Istanbul', 'HH24:MI')),
    hint = 'choose a slot that does not overlap another showing of the listing (times in Europe/Istanbul)';
end
$$;
comment on function guard.raise_slot_taken(text, timestamptz, timestamptz) is 'Raises VC004 naming the listing and the slot that overlaps another showing.';

-- A showing for a deal: listing, customer, request and buying agent (cross-agent deals) come from the deal.
create or replace function public.schedule_showing(
  p_deal_id uuid,
  p_scheduled_at timestamptz,
  p_duration interval default interval '1 hour'
) returns setof public.showings
  language plpgsql
  set search_path = ''
as $$
declare
  v_deal record;
  v_id uuid;
begin
  if p_duration is null then
    raise exception using errcode = 'VC001', message = 'duration must be between 15 minutes and 8 hours';
  end if;
  perform guard.check_slot(p_scheduled_at, p_duration);
  select d.id, d.request_id, d.portfolio_id, d.listing_agent_id, d.customer_id, d.is_cross_agent, d.buying_agent_id
    into v_deal from public.deals d where d.id = p_deal_id;
  if v_deal.id is null or (guard.is_api_user() and not guard.can_act_on_deal(p_deal_id)) then
    perform guard.deny_or_missing(format('deal %s', p_deal_id));
  end if;
  begin
    insert into public.showings (request_id, portfolio_id, agent_id, customer_id, buying_agent_id, deal_id,
                                 scheduled_at, ends_at)
    values (v_deal.request_id, v_deal.portfolio_id, v_deal.listing_agent_id, v_deal.customer_id,
            case when v_deal.is_cross_agent then v_deal.buying_agent_id end, v_deal.id,
            p_scheduled_at, p_scheduled_at + p_duration)
    returning id into v_id;
  exception when exclusion_violation then
    perform guard.raise_slot_taken(v_deal.portfolio_id, p_scheduled_at, p_scheduled_at + p_duration);
  end;
  return query select * from public.showings s where s.id = v_id;
end
$$;
comment on function public.schedule_showing(uuid, timestamptz, interval) is 'Schedule a showing of a deal''s listing for its customer (slot p_scheduled_at + p_duration, 15 minutes to 8 hours; never in the past nor overlapping another showing of the listing: VC004); a matched deal moves to showing. The deal''s agents, their brokers, staff, bot.';

-- Move a scheduled showing; without p_duration it keeps its duration.
create or replace function public.reschedule_showing(
  p_showing_id uuid,
  p_scheduled_at timestamptz,
  p_duration interval default null
) returns setof public.showings
  language plpgsql
  set search_path = ''
as $$
declare
  v_showing public.showings;
  v_ends_at timestamptz;
begin
  perform guard.check_slot(p_scheduled_at, p_duration);
  v_showing := guard.showing_to_act_on(p_showing_id);
  if v_showing.status <> 'scheduled' then
    raise exception using errcode = 'VC002',
      message = format('a %s showing cannot be rescheduled', v_showing.status), hint = 'only a scheduled showing is rescheduled';
  end if;
  v_ends_at := p_scheduled_at + coalesce(p_duration, v_showing.ends_at - v_showing.scheduled_at);
  begin
    update public.showings s set scheduled_at = p_scheduled_at, ends_at = v_ends_at where s.id = p_showing_id;
  exception when exclusion_violation then
    perform guard.raise_slot_taken(v_showing.portfolio_id, p_scheduled_at, v_ends_at);
  end;
  return query select * from public.showings s where s.id = p_showing_id;
end
$$;
comment on function public.reschedule_showing(uuid, timestamptz, interval) is 'Move a scheduled showing to p_scheduled_at, keeping its duration unless p_duration (15 minutes to 8 hours) is given; never in the past nor overlapping (VC004). The deal''s agents, their brokers, staff, bot.';

-- Set a showing's status through the RPCs: the same state twice is a VC002 too (the trigger lets an
-- unchanged status pass, so that other columns can be edited).
create or replace function guard.set_showing_status(p_showing_id uuid, p_status text) returns void
  language plpgsql
  set search_path = ''
as $$
declare
  v_showing public.showings := guard.showing_to_act_on(p_showing_id);
begin
  if v_showing.status <> 'scheduled' then
    raise exception using errcode = 'VC002',
      message = format('showing status cannot move from %s to %s', v_showing.status, p_status),
      hint = 'scheduled -> shown or cancelled; shown and cancelled are final';
  end if;
  update public.showings s set status = p_status where s.id = p_showing_id;
end
$$;
comment on function guard.set_showing_status(uuid, text) is 'Moves a showing the caller may act on to shown or cancelled (the status trigger decides what is allowed).';

create or replace function public.cancel_showing(p_showing_id uuid) returns setof public.showings
  language plpgsql
  set search_path = ''
as $$
begin
  perform guard.set_showing_status(p_showing_id, 'cancelled');
  return query select * from public.showings s where s.id = p_showing_id;
end
$$;
comment on function public.cancel_showing(uuid) is 'Cancel a scheduled showing (scheduled -> cancelled); its slot is free again. The deal''s agents, their brokers, staff, bot.';

create or replace function public.mark_shown(p_showing_id uuid)
  returns table (id uuid, deal_id uuid, portfolio_id text, agent_id uuid, customer_id uuid, buying_agent_id uuid,
                 request_id uuid, scheduled_at timestamptz, ends_at timestamptz, status text,
                 created_at timestamptz, updated_at timestamptz, certificate_id uuid)
  language plpgsql
  set search_path = ''
as $$
begin
  perform guard.set_showing_status(p_showing_id, 'shown');
  return query
    select s.id, s.deal_id, s.portfolio_id, s.agent_id, s.customer_id, s.buying_agent_id, s.request_id,
           s.scheduled_at, s.ends_at, s.status, s.created_at, s.updated_at,
           (select d.id from public.documents d where d.showing_id = s.id and d.type = 'certificate')
    from public.showings s where s.id = p_showing_id;
end
$$;
comment on function public.mark_shown(uuid) is 'Mark a showing shown once its slot has begun (scheduled -> shown); issues its certificate (documents, type certificate) in the same transaction and returns the showing with certificate_id. The deal''s agents, their brokers, staff, bot.';

revoke execute on function public.schedule_showing(uuid, timestamptz, interval),
  public.reschedule_showing(uuid, timestamptz, interval), public.cancel_showing(uuid), public.mark_shown(uuid)
  from public, anon;
grant execute on function public.schedule_showing(uuid, timestamptz, interval),
  public.reschedule_showing(uuid, timestamptz, interval), public.cancel_showing(uuid), public.mark_shown(uuid)
  to authenticated, service_role;
revoke execute on function guard.showing_to_act_on(uuid), guard.check_slot(timestamptz, interval),
  guard.raise_slot_taken(text, timestamptz, timestamptz), guard.set_showing_status(uuid, text) from public, anon;
grant execute on function guard.showing_to_act_on(uuid), guard.check_slot(timestamptz, interval),
  guard.raise_slot_taken(text, timestamptz, timestamptz), guard.set_showing_status(uuid, text)
  to authenticated, service_role;
