-- Reads: what a person asks of the database without psql, one RPC per question. Every function here is
-- security invoker: row-level security decides what each caller sees (staff everything, an agent its own
-- and its office's or granted rows, a customer its own), exactly as for a direct select; a name the caller
-- may not read comes back NULL. Other agents' listings are read only through their cards (guard.listing_cards,
-- the visibility rule), confidential fields only from portfolio_confidential under its own policy. Lists are
-- bounded (guard.check_page: limit 1-500, offset 0-100000), newest first; times are timestamptz.

-- Section - Helpers

-- A status filter: one of p_allowed, or VC001 naming the field (at most 50 characters of the value echoed).
create or replace function guard.check_status(p_value text, p_field text, p_allowed text[]) returns void
  language plpgsql immutable
  set search_path = ''
as $$
begin
  if p_value is not null and not p_value = any (p_allowed) then
    raise exception using errcode = 'VC001',
      message = format('%s %s is not one of %s', p_field, left(p_value, 50), array_to_string(p_allowed, ', '));
  end if;
end
$$;
comment on function guard.check_status(text, text, text[]) is 'Raises VC001 naming the field and the allowed values when a status filter is not one of them (NULL passes).';

-- Section - RPCs

-- Matches the caller is a party to, newest first: of one listing, of one request, or all; with the listing's
-- title and district at the caller's level (its card), the customer's and both agents' names where readable.
create or replace function public.list_matches(
  p_portfolio_id text default null,
  p_request_id uuid default null,
  p_limit integer default 50,
  p_offset integer default 0
) returns table (
    match_id uuid, portfolio_id text, listing_title text, district text, listing_agent_name text, request_id uuid,
    customer_name text, request_agent_name text, match_score smallint, trigger_type text, notified boolean,
    created_at timestamptz, updated_at timestamptz
  )
  language plpgsql stable
  set search_path = ''
as $$
declare
  v_ids uuid[];
begin
  perform guard.check_page(p_limit, p_offset);
  perform guard.check_listing_id(p_portfolio_id);
  if guard.is_api_user() and not guard.is_staff() then
    -- An agent's matches are found from guard.readable_matches (the one statement of who reads a match, over
    -- the notified agent's index), not by walking every match of the platform newest first; row-level
    -- security still decides each row.
    v_ids := array(
      select m.id from guard.readable_matches v join public.portfolio_request_matches m on m.id = v.id
      where (p_portfolio_id is null or m.portfolio_id = p_portfolio_id)
        and (p_request_id is null or m.request_id = p_request_id)
      order by m.created_at desc, m.id desc
      limit p_limit offset p_offset);
  else
    v_ids := array(
      select m.id from public.portfolio_request_matches m
      where (p_portfolio_id is null or m.portfolio_id = p_portfolio_id)
        and (p_request_id is null or m.request_id = p_request_id)
      order by m.created_at desc, m.id desc
      limit p_limit offset p_offset);
  end if;
  return query
    with m as materialized (
      select m.* from public.portfolio_request_matches m where m.id = any (v_ids)
    ), cards as materialized (
      select c.id, c.title, c.district, c.agent_name
      from guard.listing_cards(array(select distinct m.portfolio_id from m), null, null, null, null, null, null,
                               null, null, 500, 0) c
    )
    select m.id, m.portfolio_id, c.title, c.district, c.agent_name, m.request_id, cu.display_name, ra.display_name,
           m.match_score, m.trigger_type, m.notified, m.created_at, m.updated_at
    from m
    left join cards c on c.id = m.portfolio_id
    left join public.requests r on r.id = m.request_id
    left join public.contacts cu on cu.id = r.customer_id
    left join public.contacts ra on ra.id = r.assigned_agent
    order by m.created_at desc, m.id desc;
end
$$;
comment on function public.list_matches(text, uuid, integer, integer) is 'Matches the caller may read (the request''s agent and its broker, the listing''s managers while the request is unassigned, staff, the bot), newest first; only those of p_portfolio_id and/or p_request_id when given. The listing''s title, district and agent name come from its card at the caller''s visibility level; customer and request agent names where the caller may read them (else NULL). Bounded: limit 1-500 (default 50), offset 0-100000.';

-- Deals the caller sees, the most recently active first; p_status filters (a status, or open: neither closed
-- nor cancelled).
create or replace function public.list_deals(
  p_status text default null,
  p_limit integer default 50,
  p_offset integer default 0
) returns table (
    deal_id uuid, portfolio_id text, listing_title text, customer_name text, listing_agent_name text,
    buying_agent_name text, is_cross_agent boolean, status text, offer_price bigint, closing_price bigint,
    last_activity_at timestamptz, created_at timestamptz
  )
  language plpgsql stable
  set search_path = ''
as $$
begin
  perform guard.check_status(p_status, 'status',
    array['open', 'matched', 'showing', 'negotiating', 'agreed', 'closing', 'closed', 'cancelled']);
  perform guard.check_page(p_limit, p_offset);
  return query
    with d as materialized (
      select d.id, d.portfolio_id, d.customer_id, d.listing_agent_id, d.buying_agent_id, d.is_cross_agent, d.status,
             d.offer_price, d.closing_price, d.last_activity_at, d.created_at
      from public.deals d
      where p_status is null
         or (p_status = 'open' and d.status not in ('closed', 'cancelled'))
         or d.status = p_status
      order by d.last_activity_at desc, d.id desc
      limit p_limit offset p_offset
    ), cards as materialized (
      select c.id, c.title, c.agent_name
      from guard.listing_cards(array(select distinct d.portfolio_id from d), null, null, null, null, null, null,
                               null, null, 500, 0) c
    )
    select d.id, d.portfolio_id, c.title, cu.display_name, coalesce(la.display_name, c.agent_name), ba.display_name,
           d.is_cross_agent, d.status, d.offer_price, d.closing_price, d.last_activity_at, d.created_at
    from d
    left join cards c on c.id = d.portfolio_id
    left join public.contacts cu on cu.id = d.customer_id
    left join public.contacts la on la.id = d.listing_agent_id
    left join public.contacts ba on ba.id = d.buying_agent_id
    order by d.last_activity_at desc, d.id desc;
end
$$;
comment on function public.list_deals(text, integer, integer) is 'Deals the caller sees (its customer, the agents of either side and their brokers, staff, the bot), the most recently active first; p_status one of matched, showing, negotiating, agreed, closing, closed, cancelled, or open (neither closed nor cancelled); default all. Names where the caller may read them; never the commission total. Bounded: limit 1-500 (default 50), offset 0-100000.';

-- One deal in full: its parties by name, its offers, showings, closing confirmations and commission rows (each
-- as the caller may read them), oldest first inside each.
create or replace function public.deal_summary(p_deal_id uuid)
  returns table (
    deal_id uuid, portfolio_id text, listing_title text, district text, currency text, status text, customer_id uuid,
    customer_name text, listing_agent_id uuid, listing_agent_name text, buying_agent_id uuid, buying_agent_name text,
    is_cross_agent boolean, request_id uuid, match_id uuid, offer_price bigint, closing_price bigint,
    cancel_reason text, last_activity_at timestamptz, closed_at timestamptz, created_at timestamptz,
    offers jsonb, showings jsonb, confirmations jsonb, commissions jsonb
  )
  language plpgsql stable
  set search_path = ''
as $$
begin
  return query
    select d.id, d.portfolio_id, c.title, c.district, c.currency, d.status, d.customer_id, cu.display_name, d.listing_agent_id,
           coalesce(la.display_name, c.agent_name), d.buying_agent_id, ba.display_name, d.is_cross_agent,
           d.request_id, d.match_id, d.offer_price, d.closing_price, d.cancel_reason, d.last_activity_at, d.closed_at,
           d.created_at,
           (select coalesce(jsonb_agg(jsonb_build_object(
                      'id', n.id, 'from_name', fc.display_name, 'to_name', tc.display_name,
                      'from_contact_id', n.from_contact_id, 'to_contact_id', n.to_contact_id, 'amount', n.amount,
                      'status', n.status, 'created_at', n.created_at, 'updated_at', n.updated_at)
                    order by n.created_at, n.id), '[]'::jsonb)
            from public.deal_negotiations n
            left join public.contacts fc on fc.id = n.from_contact_id
            left join public.contacts tc on tc.id = n.to_contact_id
            where n.deal_id = d.id),
           (select coalesce(jsonb_agg(jsonb_build_object(
                      'id', s.id, 'scheduled_at', s.scheduled_at, 'ends_at', s.ends_at, 'status', s.status,
                      'agent_name', sa.display_name, 'buying_agent_name', sb.display_name)
                    order by s.scheduled_at, s.id), '[]'::jsonb)
            from public.showings s
            left join public.contacts sa on sa.id = s.agent_id
            left join public.contacts sb on sb.id = s.buying_agent_id
            where s.deal_id = d.id),
           (select coalesce(jsonb_agg(jsonb_build_object(
                      'role', k.role, 'agent_id', k.agent_id, 'agent_name', ka.display_name, 'confirmed', k.confirmed,
                      'confirmed_at', k.confirmed_at, 'reminder_sent', k.reminder_sent)
                    order by array_position(array['listing', 'buying'], k.role)), '[]'::jsonb)
            from public.deal_confirmations k
            left join public.contacts ka on ka.id = k.agent_id
            where k.deal_id = d.id),
           (select coalesce(jsonb_agg(jsonb_build_object(
                      'id', pc.id, 'role', pc.role, 'name', pn.display_name, 'rate', pc.rate, 'amount', pc.amount,
                      'status', pc.status)
                    order by array_position(array['listing', 'buying', 'platform'], pc.role)), '[]'::jsonb)
            from public.platform_commissions pc
            left join public.contacts pn on pn.id = pc.contact_id
            where pc.deal_id = d.id)
    from public.deals d
    left join lateral (select x.title, x.district, x.currency, x.agent_name
                       from guard.listing_cards(array[d.portfolio_id], null, null, null, null, null, null, null, null,
                                                1, 0) x) c on true
    left join public.contacts cu on cu.id = d.customer_id
    left join public.contacts la on la.id = d.listing_agent_id
    left join public.contacts ba on ba.id = d.buying_agent_id
    where d.id = p_deal_id;
  if not found then
    perform guard.deny_or_missing(format('deal %s', p_deal_id));
  end if;
end
$$;
comment on function public.deal_summary(uuid) is 'One deal in full: listing (title at the caller''s level, district, currency), status, parties by name (where the caller may read them), prices, and as JSON arrays its offers (from, to, amount, status), showings (slot, status), closing confirmations (side, agent, confirmed, reminder) and commission rows the caller may read (side, name, rate, amount, status); never the commission total. Its customer, both sides'' agents and their brokers, staff, the bot; anyone else 42501 whether the deal exists or not.';

-- Requests the caller sees, newest first, with their criteria spelled out and how many matches the caller
-- may read of each.
create or replace function public.list_requests(
  p_status text default null,
  p_limit integer default 50,
  p_offset integer default 0
) returns table (
    request_id uuid, request_type text, status text, customer_name text, agent_name text, districts text[],
    types text[], rooms text[], min_price bigint, max_price bigint, currency text, match_count integer,
    created_at timestamptz, updated_at timestamptz
  )
  language plpgsql stable
  set search_path = ''
as $$
begin
  perform guard.check_status(p_status, 'status', array['new', 'assigned', 'closed']);
  perform guard.check_page(p_limit, p_offset);
  return query
    with r as materialized (
      select r.* from public.requests r
      where p_status is null or r.status = p_status
      order by r.created_at desc, r.id desc
      limit p_limit offset p_offset
    )
    select r.id, r.request_type, r.status, cu.display_name, ag.display_name,
           array(select jsonb_array_elements_text(r.criteria -> 'districts')),
           array(select jsonb_array_elements_text(r.criteria -> 'types')),
           array(select jsonb_array_elements_text(r.criteria -> 'rooms')),
           r.crit_min_price, r.crit_max_price, r.crit_currency,
           (select count(*)::integer from public.portfolio_request_matches m where m.request_id = r.id),
           r.created_at, r.updated_at
    from r
    left join public.contacts cu on cu.id = r.customer_id
    left join public.contacts ag on ag.id = r.assigned_agent
    order by r.created_at desc, r.id desc;
end
$$;
comment on function public.list_requests(text, integer, integer) is 'Requests the caller sees (its customer, the assigned agent and its broker, brokers the unassigned ones, staff, the bot), newest first; p_status new, assigned or closed (default all). Criteria as arrays (empty: any), budget and currency, names where readable, and match_count: the matches the caller may read. Bounded: limit 1-500 (default 50), offset 0-100000.';

-- One request in full: criteria, customer and agent by name, the session it came from, its matches.
create or replace function public.request_summary(p_request_id uuid)
  returns table (
    request_id uuid, request_type text, status text, criteria jsonb, customer_id uuid, customer_name text,
    assigned_agent uuid, agent_name text, source_session_id uuid, match_count integer, best_score smallint,
    created_at timestamptz, updated_at timestamptz
  )
  language plpgsql stable
  set search_path = ''
as $$
begin
  return query
    select r.id, r.request_type, r.status, r.criteria, r.customer_id, cu.display_name, r.assigned_agent,
           ag.display_name, r.source_session_id, m.n, m.best, r.created_at, r.updated_at
    from public.requests r
    left join public.contacts cu on cu.id = r.customer_id
    left join public.contacts ag on ag.id = r.assigned_agent
    cross join lateral (select count(*)::integer as n, max(x.match_score) as best
                        from public.portfolio_request_matches x where x.request_id = r.id) m
    where r.id = p_request_id;
  if not found then
    perform guard.deny_or_missing(format('request %s', p_request_id));
  end if;
end
$$;
comment on function public.request_summary(uuid) is 'One request: type, status, criteria, customer and assigned agent (names where readable), the session it was extracted from, and the matches the caller may read (match_count, best_score). Its customer, its agent and broker, brokers while unassigned, staff, the bot; anyone else 42501 whether it exists or not.';

-- The caller's tasks (an agent's own, a broker's office's, staff all): pending by default, soonest due first.
create or replace function public.list_tasks(
  p_status text default 'pending',
  p_limit integer default 50,
  p_offset integer default 0
) returns table (
    task_id uuid, task_type text, title text, status text, due_at timestamptz, agent_name text, contact_name text,
    portfolio_id text, deal_id uuid, created_at timestamptz, completed_at timestamptz
  )
  language plpgsql stable
  set search_path = ''
as $$
begin
  perform guard.check_status(p_status, 'status', array['pending', 'done', 'cancelled', 'all']);
  perform guard.check_page(p_limit, p_offset);
  return query
    with t as materialized (
      select t.* from public.tasks t
      where p_status is null or p_status = 'all' or t.status = p_status
      order by t.due_at nulls last, t.created_at, t.id
      limit p_limit offset p_offset
    )
    select t.id, t.task_type, t.title, t.status, t.due_at, ag.display_name, rc.display_name, t.related_portfolio,
           t.deal_id, t.created_at, t.completed_at
    from t
    left join public.contacts ag on ag.id = t.agent_id
    left join public.contacts rc on rc.id = t.related_contact
    order by t.due_at nulls last, t.created_at, t.id;
end
$$;
comment on function public.list_tasks(text, integer, integer) is 'Tasks the caller sees (an agent its own, a broker its office''s, staff and the bot all), soonest due first (no due date last); p_status pending (the default), done, cancelled or all. Names where readable. Bounded: limit 1-500 (default 50), offset 0-100000.';

-- Commission rows the caller may read (its own share; the listing side all of its deals'), newest first.
create or replace function public.list_commissions(
  p_status text default null,
  p_limit integer default 50,
  p_offset integer default 0
) returns table (
    commission_id uuid, deal_id uuid, portfolio_id text, role text, name text, rate numeric, amount bigint,
    currency text, status text, created_at timestamptz, updated_at timestamptz
  )
  language plpgsql stable
  set search_path = ''
as $$
begin
  perform guard.check_status(p_status, 'status', array['pending', 'invoiced', 'paid']);
  perform guard.check_page(p_limit, p_offset);
  return query
    with pc as materialized (
      select pc.* from public.platform_commissions pc
      where p_status is null or pc.status = p_status
      order by pc.created_at desc, pc.id desc
      limit p_limit offset p_offset
    ), d as materialized (
      select d.id, d.portfolio_id from public.deals d where d.id in (select pc.deal_id from pc)
    ), cards as materialized (
      select c.id, c.currency
      from guard.listing_cards(array(select distinct d.portfolio_id from d), null, null, null, null, null, null,
                               null, null, 500, 0) c
    )
    select pc.id, pc.deal_id, d.portfolio_id, pc.role, n.display_name, pc.rate, pc.amount, c.currency, pc.status,
           pc.created_at, pc.updated_at
    from pc
    left join d on d.id = pc.deal_id
    left join cards c on c.id = d.portfolio_id
    left join public.contacts n on n.id = pc.contact_id
    order by pc.created_at desc, pc.id desc;
end
$$;
comment on function public.list_commissions(text, integer, integer) is 'Commission rows the caller may read (an agent its own share, the listing side and its broker every row of its deals, staff and the bot all), newest first; p_status pending, invoiced or paid (default all). Name NULL for the platform''s row. Bounded: limit 1-500 (default 50), offset 0-100000.';

-- One listing as the caller may see it: its card at the caller's level (own, office and staff in full), its
-- status and times and match count for those who manage it, and its confidential row only where that row's
-- policy lets the caller read it (the listing's managers and staff), never for another agent.
create or replace function public.listing_summary(p_portfolio_id text)
  returns table (
    portfolio_id text, visibility_level text, type text, listing_type text, city text, district text, rooms text,
    currency text, status text, price_band_min bigint, price_band_max bigint, listed_price bigint, title text,
    description text, media jsonb, agent_name text, agent_phone text, created_at timestamptz,
    updated_at timestamptz, match_count integer, owner_name text, owner_phone text, min_price bigint,
    commission_rate numeric, private_notes text
  )
  language plpgsql stable
  set search_path = ''
as $$
begin
  perform guard.check_listing_id(p_portfolio_id);
  return query
    select c.id, c.visibility_level, c.type, c.listing_type, c.city, c.district, c.rooms, c.currency, c.status,
           c.price_band_min, c.price_band_max, c.listed_price, c.title, c.description, c.media, c.agent_name,
           c.agent_phone, p.created_at, p.updated_at,
           (select count(*)::integer from public.portfolio_request_matches m where m.portfolio_id = c.id),
           k.owner_name, k.owner_phone, k.min_price, k.commission_rate, k.private_notes
    from guard.listing_cards(array[p_portfolio_id], null, null, null, null, null, null, null, null, 1, 0) c
    left join public.portfolios p on p.id = c.id
    left join public.portfolio_confidential k on k.portfolio_id = c.id;
  if not found then
    perform guard.deny_or_missing(format('listing %s', p_portfolio_id));
  end if;
end
$$;
comment on function public.listing_summary(text) is 'One listing: its card at the caller''s visibility level (anonymous: type, district, rooms, price band; partial: + price, title, description, media, agent name; full: + agent phone; own, office and staff in full), created_at, updated_at and match_count where readable, and the confidential fields (owner, floor price, commission rate, private notes) only for those who may read portfolio_confidential (its managers, staff, the bot): NULL for anyone else. Agents (cards), staff, the bot; a listing the caller has no card of is 42501 whether it exists or not.';

-- One contact: identity, consents, agent profile, WhatsApp window and latest session, as the caller may read
-- them (the contact itself, staff and the bot all; an agent its customers' identity and consents).
create or replace function public.contact_summary(p_contact_id uuid default null)
  returns table (
    contact_id uuid, display_name text, contact_type text, onboarding_status text, phone text, bsuid text,
    consent_transfer boolean, consent_transfer_at timestamptz, consent_training boolean,
    consent_training_at timestamptz, consent_marketing boolean, consent_marketing_at timestamptz,
    agent_role text, agent_office text, agent_active boolean, window_open boolean, window_closes_at timestamptz,
    last_inbound timestamptz, last_outbound timestamptz, session_id uuid, session_status text,
    session_completeness numeric, session_missing text[], open_requests integer, created_at timestamptz
  )
  language plpgsql stable
  set search_path = ''
as $$
declare
  v_id uuid := coalesce(p_contact_id, auth.uid());
  v_window record;
  v_session record;
begin
  if v_id is null then
    raise exception using errcode = 'VC001', message = 'contact_id is required when not acting as a contact';
  end if;
  if not exists (select 1 from public.contacts c where c.id = v_id) then
    perform guard.deny_or_missing(format('contact %s', v_id));
  end if;
  -- the window as window_status states it and the latest session as session_summary does, where the caller
  -- may read them (the contact itself, staff, the bot); NULL otherwise
  select null::boolean as window_open, null::timestamptz as window_closes_at, null::timestamptz as last_inbound,
         null::timestamptz as last_outbound into v_window;
  if exists (select 1 from public.interaction_tracker t where t.contact_id = v_id) then
    select x.window_open, x.window_closes_at, x.last_inbound, x.last_outbound into v_window
    from public.window_status(v_id) x;
  end if;
  select null::uuid as id, null::text as status, null::numeric as qualifying_completeness, null::text[] as missing
    into v_session;
  select z.id into v_session.id from public.sessions z where z.contact_id = v_id order by z.created_at desc, z.id desc limit 1;
  if v_session.id is not null then
    select y.id, y.status, y.qualifying_completeness, y.missing into v_session from public.session_summary(v_session.id) y;
  end if;
  return query
    select c.id, c.display_name, c.contact_type, c.onboarding_status, c.phone, c.bsuid, c.consent_transfer,
           c.consent_transfer_at, c.consent_training, c.consent_training_at, c.consent_marketing,
           c.consent_marketing_at, a.role, a.office, a.active, v_window.window_open, v_window.window_closes_at,
           v_window.last_inbound, v_window.last_outbound, v_session.id, v_session.status,
           v_session.qualifying_completeness, v_session.missing,
           (select count(*)::integer from public.requests r where r.customer_id = c.id and r.status <> 'closed'),
           c.created_at
    from public.contacts c
    left join public.agent_profiles a on a.contact_id = c.id
    where c.id = v_id;
end
$$;
comment on function public.contact_summary(uuid) is 'One contact (default: the acting contact): identity (name, type, onboarding status, phone, bsuid), consents with their times, agent profile (role, office, active), the WhatsApp window (open, closes at, last inbound and outbound; as window_status) and the latest session (status, completeness, missing slots; as session_summary), and its open requests, each part as the caller may read it (NULL otherwise). The contact itself, staff, the bot, and agents for the contacts they work with; anyone else 42501 whether it exists or not.';

revoke execute on function guard.check_status(text, text, text[]) from public, anon;
grant execute on function guard.check_status(text, text, text[]) to authenticated, service_role;
revoke execute on function public.list_matches(text, uuid, integer, integer), public.list_deals(text, integer, integer),
  public.deal_summary(uuid), public.list_requests(text, integer, integer), public.request_summary(uuid),
  public.list_tasks(text, integer, integer), public.list_commissions(text, integer, integer),
  public.listing_summary(text), public.contact_summary(uuid)
  from public, anon;
grant execute on function public.list_matches(text, uuid, integer, integer), public.list_deals(text, integer, integer),
  public.deal_summary(uuid), public.list_requests(text, integer, integer), public.request_summary(uuid),
  public.list_tasks(text, integer, integer), public.list_commissions(text, integer, integer),
  public.listing_summary(text), public.contact_summary(uuid)
  to authenticated, service_role;
