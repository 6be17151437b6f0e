-- Negotiations: offer ping-pong between the deal's two parties, the listing agent and the buyer's side
-- (the buying agent on a cross-agent deal, else the customer). One pending offer at a time; a counter
-- marks the previous offer countered and opens one the other way; only the offer's addressee answers it;
-- acceptance moves the deal to agreed at that amount. RPCs make_offer, counter_offer, accept_offer,
-- reject_offer (docs/deals.md).

-- Section - Triggers

-- Security definer: it reads the deal, which the customer may only see.
create or replace function private.tg_deal_negotiations__rules() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
declare
  v_deal public.deals := (select d from public.deals d where d.id = new.deal_id);
  v_buyer uuid := case when v_deal.is_cross_agent then v_deal.buying_agent_id else v_deal.customer_id end;
begin
  if tg_op = 'INSERT' then
    if v_deal.id is null then
      return new;  -- the foreign key reports it
    elsif v_deal.status not in ('showing', 'negotiating') then
      raise exception using errcode = 'VC002',
        message = format('deal %s is %s: offers are made while it is showing or negotiating', v_deal.id, v_deal.status);
    elsif new.from_contact_id is distinct from v_deal.listing_agent_id and new.from_contact_id is distinct from v_buyer then
      raise exception using errcode = '42501',
        message = format('deal %s: only its parties make offers (the listing agent and the buyer''s side)', v_deal.id);
    elsif new.status <> 'pending' then
      raise exception using errcode = 'VC002', message = format('an offer starts pending, not %s', new.status);
    elsif exists (select 1 from public.deal_negotiations n where n.deal_id = new.deal_id and n.status = 'pending') then
      raise exception using errcode = 'VC004',
        message = format('deal %s already has a pending offer: counter, accept or reject it', v_deal.id);
    end if;
    -- always to the other party, whatever was sent
    new.to_contact_id := case when new.from_contact_id = v_deal.listing_agent_id then v_buyer else v_deal.listing_agent_id end;
    return new;
  end if;
  if (new.deal_id, new.from_contact_id, new.to_contact_id, new.amount)
     is distinct from (old.deal_id, old.from_contact_id, old.to_contact_id, old.amount) then
    raise exception using errcode = 'VC001', message = 'an offer''s deal_id, from_contact_id, to_contact_id and amount never change',
      hint = 'counter_offer';
  end if;
  if new.status <> old.status then
    if old.status <> 'pending' then
      raise exception using errcode = 'VC002', message = format('offer status cannot move from %s to %s', old.status, new.status),
        hint = 'pending -> countered, accepted or rejected';
    elsif guard.is_api_user() and auth.uid() is distinct from old.to_contact_id then
      raise exception using errcode = '42501',
        message = format('only the addressee answers an offer: nobody %s their own offer',
                         case new.status when 'accepted' then 'accepts' when 'rejected' then 'rejects' else 'counters' end);
    end if;
  end if;
  return new;
end
$$;
comment on function private.tg_deal_negotiations__rules() is 'Trigger: offers only between the deal''s parties while showing or negotiating, one pending at a time, answered only by the addressee, pending -> countered | accepted | rejected.';

-- The first offer moves the deal from showing to negotiating, an accepted one to agreed; every offer and answer
-- moves last_activity_at.
create or replace function private.tg_deal_negotiations__deal() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    update public.deals set status = 'negotiating' where id = new.deal_id and status = 'showing';
  elsif new.status = 'accepted' then
    update public.deals set status = 'agreed' where id = new.deal_id;
  end if;
  perform private.touch_deal(new.deal_id);
  return null;
end
$$;
comment on function private.tg_deal_negotiations__deal() is 'Trigger: the first offer makes the deal negotiating, an accepted one agreed; offers move last_activity_at.';

create or replace trigger _200_rules before insert or update on public.deal_negotiations
  for each row execute function private.tg_deal_negotiations__rules();
comment on trigger _200_rules on public.deal_negotiations
  is 'Offers go only between the deal''s parties while it is showing or negotiating, one pending at a time, answered only by the addressee (pending -> countered, accepted or rejected); nobody accepts their own offer.';
create or replace trigger _300_deal after insert or update of status on public.deal_negotiations
  for each row execute function private.tg_deal_negotiations__deal();
comment on trigger _300_deal on public.deal_negotiations
  is 'The first offer moves the deal to negotiating, an accepted one to agreed with its price; every offer counts as deal activity.';

-- Section - RPCs

create or replace function guard.check_amount(p_amount bigint, p_field text default 'amount') returns void
  language plpgsql immutable
  set search_path = ''
as $$
begin
  if p_amount is null or p_amount <= 0 or p_amount > 1000000000000 then
    raise exception using errcode = 'VC001',
      message = format('%s must be a positive whole number of at most 1000000000000', p_field);
  end if;
end
$$;
comment on function guard.check_amount(bigint, text) is 'Raises VC001 naming the field unless the amount is a positive whole number of at most 10^12 (docs/errors.md, Bounds).';

-- Answer a pending offer as the caller (row-level security and the triggers apply).
create or replace function guard.answer_offer(p_offer_id uuid, p_status text) returns setof public.deal_negotiations
  language plpgsql
  set search_path = ''
as $$
declare
  v_status text;
begin
  select n.status into v_status from public.deal_negotiations n where n.id = p_offer_id for update;
  if not found then
    perform guard.deny_or_missing(format('offer %s', p_offer_id));
  elsif v_status <> 'pending' then
    raise exception using errcode = 'VC002', message = format('offer status cannot move from %s to %s', v_status, p_status),
      hint = 'pending -> countered, accepted or rejected';
  end if;
  return query update public.deal_negotiations n set status = p_status where n.id = p_offer_id returning n.*;
end
$$;
comment on function guard.answer_offer(uuid, text) is 'Moves a pending offer to countered, accepted or rejected as the caller (row-level security and the triggers apply).';

create or replace function public.make_offer(p_deal_id uuid, p_amount bigint) returns setof public.deal_negotiations
  language plpgsql
  set search_path = ''
as $$
begin
  perform guard.check_amount(p_amount);
  if auth.uid() is null then
    raise exception using errcode = 'VC001', message = 'an offer is made by a party: act as the listing agent or the buyer''s side';
  elsif not exists (select 1 from public.deals d where d.id = p_deal_id) then
    perform guard.deny_or_missing(format('deal %s', p_deal_id));
  end if;
  return query
    insert into public.deal_negotiations as n (deal_id, from_contact_id, to_contact_id, amount)
    values (p_deal_id, auth.uid(), auth.uid(), p_amount)  -- the trigger addresses it to the other party
    returning n.*;
exception when unique_violation then
  raise exception using errcode = 'VC004', message = format('deal %s already has a pending offer: counter, accept or reject it', p_deal_id);
end
$$;
comment on function public.make_offer(uuid, bigint) is 'Make an offer (whole units) on a deal that is showing or negotiating, to the other party; one pending offer at a time. The listing agent or the buyer''s side (buying agent, or the customer when no other agent).';

create or replace function public.counter_offer(p_offer_id uuid, p_amount bigint) returns setof public.deal_negotiations
  language plpgsql
  set search_path = ''
as $$
declare
  v_deal uuid;
begin
  perform guard.check_amount(p_amount);
  select n.deal_id into v_deal from guard.answer_offer(p_offer_id, 'countered') n;
  return query select * from public.make_offer(v_deal, p_amount);
end
$$;
comment on function public.counter_offer(uuid, bigint) is 'Counter a pending offer addressed to the caller: it becomes countered and a new pending offer goes the other way.';

create or replace function public.accept_offer(p_offer_id uuid) returns setof public.deal_negotiations
  language sql
  set search_path = ''
as $$
  select * from guard.answer_offer(p_offer_id, 'accepted')
$$;
comment on function public.accept_offer(uuid) is 'Accept a pending offer addressed to the caller: the deal becomes agreed at its amount (offer_price).';

create or replace function public.reject_offer(p_offer_id uuid) returns setof public.deal_negotiations
  language sql
  set search_path = ''
as $$
  select * from guard.answer_offer(p_offer_id, 'rejected')
$$;
comment on function public.reject_offer(uuid) is 'Reject a pending offer addressed to the caller; the deal stays negotiating.';

revoke execute on function public.make_offer(uuid, bigint), public.counter_offer(uuid, bigint), public.accept_offer(uuid),
  public.reject_offer(uuid) from public, anon;
grant execute on function public.make_offer(uuid, bigint), public.counter_offer(uuid, bigint), public.accept_offer(uuid),
  public.reject_offer(uuid) to authenticated, service_role;
grant execute on function guard.check_amount(bigint, text), guard.answer_offer(uuid, text) to authenticated, service_role;
