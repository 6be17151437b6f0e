-- Deals: who acts on a deal, the listing side taken from the listing, the status machine
-- matched -> showing -> negotiating -> agreed -> closing -> closed (or -> cancelled from any open state),
-- and the RPCs open_deal and cancel_deal (docs/deals.md). Closing itself is in functions/closing.sql.

-- Section - Helpers

-- True for trusted sessions (service_role, postgres), staff, and whoever manages the deal's listing or
-- buying agent. The customer reads a deal but does not act on it.
create or replace function guard.can_act_on_deal(p_deal_id uuid) returns boolean
  language sql stable security definer
  set search_path = ''
as $$
  select not guard.is_api_user() or guard.is_staff()
      or exists (select 1 from public.deals d
                 where d.id = p_deal_id
                   and (d.listing_agent_id in (select guard.managed_agent_ids())
                        or d.buying_agent_id in (select guard.managed_agent_ids())))
$$;
comment on function guard.can_act_on_deal(uuid) is 'True when the caller may act on the deal: trusted sessions, staff, and managers of its listing or buying agent.';

-- Showings, offers and confirmations move last_activity_at (security definer: the customer's offer moves it too).
create or replace function private.touch_deal(p_deal_id uuid) returns void
  language sql security definer
  set search_path = ''
as $$
  update public.deals set last_activity_at = now() where id = p_deal_id and last_activity_at < now()
$$;
comment on function private.touch_deal(uuid) is 'Moves the deal''s last_activity_at to now (showings, offers, confirmations).';

-- A deal's grant: raise the agent's visibility of the listing to p_level, never lowering it.
create or replace function private.raise_visibility(p_portfolio_id text, p_agent_id uuid, p_level text, p_deal_id uuid)
  returns void
  language plpgsql security definer  -- plpgsql: visibility_rank is created later (functions/visibility.sql)
  set search_path = ''
as $$
begin
  insert into public.agent_visibility as v (portfolio_id, agent_id, visibility_level, deal_id)
  values (p_portfolio_id, p_agent_id, p_level, p_deal_id)
  on conflict (portfolio_id, agent_id) do update set visibility_level = excluded.visibility_level, deal_id = excluded.deal_id
    where guard.visibility_rank(excluded.visibility_level) > guard.visibility_rank(v.visibility_level);
end
$$;
comment on function private.raise_visibility(text, uuid, text, uuid) is 'Raises an agent''s visibility of a listing to the level, naming the deal that gave it; never lowers it.';

-- Section - Triggers

-- The listing agent of a deal (listing_agent_id) or showing (agent_id) is the listing's agent.
-- Security definer: a buying agent writing the row cannot read the listing.
create or replace function private.tg_listing_side__from_listing() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
declare
  v_agent uuid := (select p.agent_id from public.portfolios p where p.id = new.portfolio_id);
begin
  if tg_table_name = 'deals' then
    new.listing_agent_id := v_agent;
  else
    new.agent_id := v_agent;
  end if;
  return new;
end
$$;
comment on function private.tg_listing_side__from_listing() is 'Trigger: a deal''s listing_agent_id and a showing''s agent_id are the listing''s agent.';

-- The status machine and what each step requires. The database, not the writer, sets offer_price (from the
-- accepted offer), closing_price's default, closed_at and commission_total. Security definer: it reads offers,
-- confirmations and the listing's confidential commission rate, which the writer may not see.
create or replace function private.tg_deals__status() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
declare
  v_next constant jsonb := '{"matched": "showing", "showing": "negotiating", "negotiating": "agreed",
                             "agreed": "closing", "closing": "closed"}';
  v_listing public.portfolios;
  v_rate numeric;
begin
  if tg_op = 'INSERT' then
    select * into v_listing from public.portfolios where id = new.portfolio_id;
    if v_listing.status <> 'active' then
      raise exception using errcode = 'VC002', message = format('listing %s is %s: no new deals', v_listing.id, v_listing.status);
    elsif (select r.status from public.requests r where r.id = new.request_id) = 'closed' then
      raise exception using errcode = 'VC002', message = format('request %s is closed: no new deals', new.request_id);
    elsif new.request_id is not null and not exists (
            select 1 from public.requests r
            where r.id = new.request_id and r.customer_id = new.customer_id
              and case when new.buying_agent_id is not null and new.buying_agent_id <> new.listing_agent_id
                       then r.assigned_agent = new.buying_agent_id
                       else r.assigned_agent is null or r.assigned_agent = new.listing_agent_id end) then
      -- a deal serves its customer's request, brought by the deal's buying side (or, without a co-broker,
      -- unassigned or the listing agent's own)
      raise exception using errcode = 'VC001',
        message = 'request_id must be the customer''s request, assigned to the deal''s buying agent (or unassigned, or the listing agent''s, without a co-broker)';
    elsif new.status <> 'matched' then
      raise exception using errcode = 'VC002', message = format('a deal starts matched, not %s', new.status);
    elsif num_nonnulls(new.offer_price, new.closing_price, new.commission_total, new.closed_at, new.cancel_reason) > 0 then
      raise exception using errcode = 'VC001',
        message = 'a new deal has no offer_price, closing_price, commission_total, closed_at or cancel_reason yet';
    end if;
    return new;
  end if;

  -- who and what the deal is about never changes (a deleted match or creator only becomes NULL)
  if (new.portfolio_id, new.customer_id, new.request_id) is distinct from (old.portfolio_id, old.customer_id, old.request_id)
     or new.buying_agent_id is distinct from old.buying_agent_id
     or (new.match_id is distinct from old.match_id and new.match_id is not null)
     or (new.created_by is distinct from old.created_by and new.created_by is not null) then
    raise exception using errcode = 'VC001',
      message = 'a deal''s portfolio_id, customer_id, buying_agent_id, request_id, match_id and created_by never change',
      hint = 'cancel the deal and open another';
  end if;

  if new.status = old.status then
    if old.status in ('closed', 'cancelled') and (new.cancel_reason, new.closing_price)
       is distinct from (old.cancel_reason, old.closing_price) then
      raise exception using errcode = 'VC002', message = format('deal %s is %s: it is final', new.id, old.status);
    elsif (new.offer_price, new.closing_price, new.commission_total, new.closed_at, new.cancel_reason)
       is distinct from (old.offer_price, old.closing_price, old.commission_total, old.closed_at, old.cancel_reason) then
      raise exception using errcode = 'VC001',
        message = 'offer_price, closing_price, commission_total, closed_at and cancel_reason change only with the deal''s status',
        hint = 'accept_offer, start_closing, confirm_closing, cancel_deal';
    end if;
    return new;
  end if;

  if old.status in ('closed', 'cancelled') or not (new.status = 'cancelled' or new.status = v_next ->> old.status) then
    raise exception using errcode = 'VC002',
      message = format('deal status cannot move from %s to %s', old.status, new.status),
      hint = 'matched -> showing -> negotiating -> agreed -> closing -> closed; any open status -> cancelled';
  end if;
  if new.cancel_reason is distinct from old.cancel_reason and new.status <> 'cancelled' then
    raise exception using errcode = 'VC001', message = 'cancel_reason is given only when cancelling a deal';
  end if;
  -- prices and the commission follow the step, whatever the writer sent
  new.offer_price := old.offer_price;
  new.commission_total := old.commission_total;
  new.closed_at := old.closed_at;
  if new.status <> 'closing' then
    new.closing_price := old.closing_price;
  end if;

  case new.status
  when 'cancelled' then
    if new.cancel_reason is null then
      raise exception using errcode = 'VC001', message = 'cancel_reason is required to cancel a deal';
    end if;
  when 'agreed' then
    new.offer_price := (select n.amount from public.deal_negotiations n
                        where n.deal_id = new.id and n.status = 'accepted' order by n.updated_at desc limit 1);
    if new.offer_price is null then
      raise exception using errcode = 'VC002',
        message = format('deal %s cannot move from negotiating to agreed without an accepted offer', new.id);
    end if;
  when 'closing' then
    new.closing_price := coalesce(new.closing_price, old.offer_price);
    select * into v_listing from public.portfolios where id = new.portfolio_id;
    if v_listing.status <> 'active' then
      raise exception using errcode = 'VC002',
        message = format('deal %s cannot move from agreed to closing: listing %s is %s', new.id, new.portfolio_id, v_listing.status);
    elsif (select c.commission_rate from public.portfolio_confidential c where c.portfolio_id = new.portfolio_id) is null then
      raise exception using errcode = 'VC001',
        message = format('listing %s has no commission_rate: set it before closing', new.portfolio_id);
    end if;
  when 'closed' then
    if not private.all_sides_confirmed(new.id) then
      raise exception using errcode = 'VC002',
        message = format('deal %s cannot move from closing to closed before every side confirmed', new.id),
        hint = 'confirm_closing';
    end if;
    v_rate := (select c.commission_rate from public.portfolio_confidential c where c.portfolio_id = new.portfolio_id);
    new.commission_total := guard.commission_total(new.closing_price, v_rate);
    new.closed_at := now();
  else
    null;
  end case;
  return new;
end
$$;
comment on function private.tg_deals__status() is 'Trigger: the deal status machine; sets offer_price (accepted offer), closing_price''s default, closed_at and commission_total; fixes who the deal is about.';

-- A cross-agent deal lets the buying agent see the listing at least partially.
create or replace function private.tg_deals__share() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
begin
  if new.is_cross_agent then
    perform private.raise_visibility(new.portfolio_id, new.buying_agent_id, 'partial', new.id);
  end if;
  return null;
end
$$;
comment on function private.tg_deals__share() is 'Trigger: a cross-agent deal grants its buying agent partial visibility of the listing (never lowering).';

create or replace trigger _200_listing_agent before insert or update of portfolio_id, listing_agent_id on public.deals
  for each row execute function private.tg_listing_side__from_listing();
comment on trigger _200_listing_agent on public.deals
  is 'A deal''s listing agent is always the listing''s own agent, whatever the client sends, so nobody opens a deal in another agent''s name.';
create or replace trigger _200_listing_agent before insert or update of portfolio_id, agent_id on public.showings
  for each row execute function private.tg_listing_side__from_listing();
comment on trigger _200_listing_agent on public.showings
  is 'A showing''s agent is always the listing''s own agent, whatever the client sends.';
create or replace trigger _210_status before insert or update on public.deals
  for each row execute function private.tg_deals__status();
comment on trigger _210_status on public.deals
  is 'A deal moves matched -> showing -> negotiating -> agreed -> closing -> closed, or to cancelled from any open state; the database sets the agreed price, closing price default, closed_at and commission total, and the deal''s parties never change.';
create or replace trigger _300_share after insert on public.deals
  for each row execute function private.tg_deals__share();
comment on trigger _300_share on public.deals
  is 'A cross-agent deal gives its buying agent partial visibility of the listing (never lowering an existing grant), so both sides can work the deal.';
create or replace trigger _310_closing after update of status on public.deals
  for each row when (new.status in ('closing', 'closed') and old.status is distinct from new.status)
  execute function private.tg_deals__closing();
comment on trigger _310_closing on public.deals
  is 'Entering closing creates one confirmation per agent side; entering closed sells the listing, closes the request, cancels the listing''s other deals, writes the commission split, gives the buying agent full visibility and issues the contract.';

-- Section - RPCs

-- The office of an active agent or broker (NULL for anyone else); open_deal's, as its definer.
create or replace function private.office_of(p_agent_id uuid) returns text
  language sql stable security definer
  set search_path = ''
as $$
  select p.office from public.agent_profiles p where p.contact_id = p_agent_id and p.active
$$;
comment on function private.office_of(uuid) is 'The office of an active agent or broker (NULL otherwise).';

-- Opens the deal after checking the caller FIRST (security definer: the listing side may not read the
-- co-broker's request or customer). A refused call says the same whether the listing, match or request exists
-- or not, and before anything about the request's customer. Allowed:
-- * a request (given, or the match's) only when it is the caller's (its assigned agent is managed by the
--   caller), or, for the listing side, unassigned or assigned within the listing agent's office: a listing
--   agent never harvests another office's customer through a match;
-- * the listing side: from a match of its listing (whose request passes the above) or for its own customer;
-- * the buying side: for its own customer on a listing it sees at partial level or more.
create or replace function public.open_deal(
  p_match_id uuid default null,
  p_portfolio_id text default null,
  p_customer_id uuid default null,
  p_request_id uuid default null
) returns setof public.deals
  language plpgsql security definer
  set search_path = ''
as $$
declare
  v_match public.portfolio_request_matches;
  v_listing public.portfolios;
  v_request public.requests;
  v_portfolio text := p_portfolio_id;
  v_request_id uuid := p_request_id;
  v_customer uuid;
  v_buying uuid;
  v_listing_side boolean;
  v_id uuid;
begin
  perform guard.check_listing_id(p_portfolio_id);  -- the input alone: says nothing about any row
  if p_match_id is null and p_portfolio_id is null then  -- the input alone: says nothing about any row
    raise exception using errcode = 'VC001', message = 'portfolio_id (or match_id) is required';
  end if;
  if p_match_id is not null then
    select * into v_match from public.portfolio_request_matches m where m.id = p_match_id;
    v_portfolio := coalesce(v_match.portfolio_id, p_portfolio_id);
    v_request_id := coalesce(v_match.request_id, p_request_id);
  end if;
  select * into v_listing from public.portfolios where id = v_portfolio;
  select * into v_request from public.requests where id = v_request_id;
  v_customer := coalesce(v_request.customer_id, p_customer_id);
  v_buying := v_request.assigned_agent;
  if v_request.id is null and guard.is_api_user() and auth.uid() is distinct from v_listing.agent_id
     and guard.authority() in ('agent', 'broker') then
    v_buying := auth.uid();  -- another agent brings its own customer
  end if;

  -- permission first: nothing below is said to a caller who may not open this deal
  if guard.is_api_user() and not guard.is_staff() then
    v_listing_side := guard.can_manage_portfolio(v_listing.id);
    if v_listing.id is null
       or (p_match_id is not null and v_match.id is null)
       or (v_request_id is not null and v_request.id is null)
       -- the request: the caller's, or (listing side) unassigned or of the listing agent's office
       or (v_request.id is not null
           and not (v_request.assigned_agent in (select guard.managed_agent_ids())
                    or (v_listing_side and (v_request.assigned_agent is null
                                            or private.office_of(v_request.assigned_agent) = private.office_of(v_listing.agent_id)))))
       or not ((v_listing_side and (v_match.id is not null or guard.is_related_contact(v_customer)))
               or (v_buying in (select guard.managed_agent_ids())
                   and guard.visibility_of(v_listing.id, v_buying) in ('partial', 'full')
                   and guard.is_related_contact(v_customer))) then
      raise exception using errcode = '42501',
        message = 'open_deal: not found, or not yours to open a deal on for this customer';
    end if;
  end if;

  if p_match_id is not null and v_match.id is null then
    raise exception using errcode = 'VC003', message = format('match %s not found', p_match_id);
  elsif v_listing.id is null then
    raise exception using errcode = 'VC003', message = format('listing %s not found', v_portfolio);
  elsif v_request_id is not null and v_request.id is null then
    raise exception using errcode = 'VC003', message = format('request %s not found', v_request_id);
  elsif v_match.id is not null and (v_match.portfolio_id <> coalesce(p_portfolio_id, v_match.portfolio_id)
                                    or v_match.request_id <> coalesce(p_request_id, v_match.request_id)) then
    raise exception using errcode = 'VC001', message = 'portfolio_id and request_id must be the match''s when given';
  elsif v_request.customer_id <> coalesce(p_customer_id, v_request.customer_id) then
    raise exception using errcode = 'VC001', message = 'customer_id is not the request''s customer';
  elsif v_customer is null then
    raise exception using errcode = 'VC001', message = 'customer_id (or request_id, match_id) is required';
  elsif v_request.request_type is distinct from (case v_listing.listing_type when 'sale' then 'buy' else 'rent' end)
        and v_request.id is not null then
    raise exception using errcode = 'VC001',
      message = format('request_type %s does not fit a listing for %s', v_request.request_type, v_listing.listing_type);
  end if;
  begin
    insert into public.deals (portfolio_id, customer_id, listing_agent_id, buying_agent_id, match_id, request_id, created_by)
    values (v_listing.id, v_customer, v_listing.agent_id, v_buying, p_match_id, v_request.id, auth.uid())
    returning id into v_id;
  exception when unique_violation then
    raise exception using errcode = 'VC004',
      message = format('the customer already has an open deal on listing %s', v_listing.id);
  end;
  return query select * from public.deals where id = v_id;
end
$$;
comment on function public.open_deal(uuid, text, uuid, uuid) is 'Open a deal (status matched) from a match, or for a listing and a customer (or request): listing agent from the listing, buying agent from the request''s agent (or the calling agent bringing its customer); one open deal per listing and customer (VC004). The listing side from a match of its listing whose request is unassigned or of its office, or for its own customer; the buying side for its own customer on a listing it sees. A refused call (42501) says the same whether the rows exist or not.';

create or replace function public.cancel_deal(p_deal_id uuid, p_reason text) returns setof public.deals
  language plpgsql
  set search_path = ''
as $$
begin
  if p_reason is null or length(btrim(p_reason)) not between 1 and 1000 then
    raise exception using errcode = 'VC001', message = 'reason is required (1-1000 characters)';
  end if;
  return query
    update public.deals d set status = 'cancelled', cancel_reason = btrim(p_reason)
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
comment on function public.cancel_deal(uuid, text) is 'Cancel an open deal, giving the reason. The deal''s agents, their brokers, staff, bot.';

revoke execute on function public.open_deal(uuid, text, uuid, uuid), public.cancel_deal(uuid, text) from public, anon;
grant execute on function public.open_deal(uuid, text, uuid, uuid), public.cancel_deal(uuid, text) to authenticated, service_role;
grant execute on function guard.can_act_on_deal(uuid) to authenticated, service_role;
