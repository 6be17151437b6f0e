-- Matching: listings against open requests and back, inside PostgreSQL (docs/matching.md).
--
-- One view states every criterion of a (listing, request) pair; explain_match reads it, and the matcher
-- scores and re-checks every candidate with it, so both directions give the same score. Candidates come
-- from the match keys (private.request_match_keys, private.listing_match_keys): each open request and
-- active listing has one key per district x type it stands for ('*' for "any"), beside its price range,
-- in a GiST (key, range) index, so finding a new row's partners is one index probe per key whatever the
-- size of the rest. Triggers run once per statement over its transition table.
--
-- The floor a listing is matched with is coarse: portfolios.price_reach starts at guard.floor_band, the
-- confidential floor rounded DOWN to a step of 2% of the listed price. A buyer a little below the floor is
-- still offered, and a search over a request's budget learns at most the band, never the floor.

-- Every criterion of every (listing, request) pair; the hard filters are the first six.
create or replace view private.pair_criteria with (security_invoker = true) as
select l.id as portfolio_id,
       r.id as request_id,
       l.status = 'active' and r.status <> 'closed' as open,
       l.listing_type = case r.request_type when 'buy' then 'sale' else 'rent' end as listing_type_ok,
       l.currency = r.crit_currency as currency_ok,
       l.district_keys && r.crit_districts as district_ok,
       l.type_keys && r.crit_types as type_ok,
       l.price_reach && r.crit_budget as reachable_ok,
       r.crit_rooms is null or coalesce(l.rooms = any (r.crit_rooms), false) as rooms_ok,
       r.crit_max_price is null or l.listed_price <= r.crit_max_price as within_budget_ok,
       -- who acts on the pair (read here so that the matcher does not read both rows again per pair)
       l.agent_id as listing_agent,
       r.assigned_agent as request_agent
from public.portfolios l
cross join public.requests r;
comment on view private.pair_criteria is 'Every matching criterion of every (listing, request) pair; read with a filter on one side.';

-- Each request's agent who is not the listing agent sees the matched listing at least at partial level
-- (pairs given as two arrays of equal length; set-based).
create or replace function private.share_matches(p_portfolio_ids text[], p_agent_ids uuid[]) returns void
  language sql
  set search_path = ''
as $$
  insert into public.agent_visibility as v (portfolio_id, agent_id, visibility_level)
  select distinct x.portfolio_id, x.agent_id, 'partial'
  from unnest(p_portfolio_ids, p_agent_ids) as x (portfolio_id, agent_id)
  join public.portfolios l on l.id = x.portfolio_id
  where x.agent_id is not null and x.agent_id <> l.agent_id
  on conflict (portfolio_id, agent_id) do update set visibility_level = 'partial', deal_id = null, granted_by = null
    where v.visibility_level = 'anonymous'
$$;
comment on function private.share_matches(text[], uuid[]) is 'Grants each request''s agent partial visibility of its matched listing (never lowering; not to the listing agent).';

-- Rewrite the match keys of the given requests / listings (open and active ones get keys, others none).
create or replace function private.refresh_match_keys(p_portfolio_ids text[], p_request_ids uuid[]) returns void
  language sql
  set search_path = ''
as $$
  delete from private.request_match_keys where request_id = any (p_request_ids);
  insert into private.request_match_keys (request_id, key, budget)
  select r.id, concat_ws('|', r.crit_currency, case r.request_type when 'buy' then 'sale' else 'rent' end, d, t),
         r.crit_budget
  from public.requests r, unnest(r.crit_districts) as d, unnest(r.crit_types) as t
  where r.id = any (p_request_ids) and r.status <> 'closed'
  on conflict do nothing;
  delete from private.listing_match_keys where portfolio_id = any (p_portfolio_ids);
  insert into private.listing_match_keys (portfolio_id, key, reach)
  select l.id, concat_ws('|', l.currency, l.listing_type, d, t), l.price_reach
  from public.portfolios l, unnest(l.district_keys) as d, unnest(l.type_keys) as t
  where l.id = any (p_portfolio_ids) and l.status = 'active';
$$;
comment on function private.refresh_match_keys(text[], uuid[]) is 'Rewrites the match keys of the given listings and requests.';

-- Rebuild every match key, e.g. after a bulk load with triggers disabled.
create or replace function private.rebuild_match_keys() returns void
  language sql
  set search_path = ''
as $$
  truncate private.request_match_keys, private.listing_match_keys;
  select private.refresh_match_keys(array(select id from public.portfolios where status = 'active'),
                                    array(select id from public.requests where status <> 'closed'));
$$;
comment on function private.rebuild_match_keys() is 'Rebuilds all match keys (after a bulk load that bypassed the triggers).';

-- The pairs that pass every hard filter, with their score, for the given listings or requests: the keys
-- find the pairs (one GiST probe per key), the view scores them and re-checks every hard filter.
-- (dropped first: its result gained the two agents)
drop function if exists private.match_candidates(text[], uuid[]);
create or replace function private.match_candidates(p_portfolio_ids text[], p_request_ids uuid[])
  returns table (portfolio_id text, request_id uuid, score smallint, listing_agent uuid, request_agent uuid)
  language plpgsql stable
  rows 100  -- a planner estimate: rematch then joins its rows by primary key
  set search_path = ''
as $$
begin
  -- two statements, one per driving side, so each is planned from its own side's keys: the driving row is
  -- read once, its keys probe the other side's GiST index (index-only: it carries the row id), and each
  -- partner is read once by primary key to score and re-check it. No distinct: a pair meets through one key
  -- at most (a request's keys name districts, or only '*', and the same for types).
  if p_portfolio_ids is not null then
    return query
      select c.portfolio_id, c.request_id,
             (c.district_ok::int + c.type_ok::int + c.rooms_ok::int + c.reachable_ok::int + c.within_budget_ok::int)::smallint,
             c.listing_agent, c.request_agent
      from private.listing_match_keys lk
      join private.request_match_keys rk on rk.key = lk.key and rk.budget && lk.reach
      join private.pair_criteria c on c.portfolio_id = lk.portfolio_id and c.request_id = rk.request_id
      where lk.portfolio_id = any (p_portfolio_ids) and c.portfolio_id = any (p_portfolio_ids)
        and c.open and c.listing_type_ok and c.currency_ok and c.district_ok and c.type_ok and c.reachable_ok;
  end if;
  if p_request_ids is not null then
    return query
      select c.portfolio_id, c.request_id,
             (c.district_ok::int + c.type_ok::int + c.rooms_ok::int + c.reachable_ok::int + c.within_budget_ok::int)::smallint,
             c.listing_agent, c.request_agent
      from private.request_match_keys rk
      join private.listing_match_keys lk on lk.key = rk.key and lk.reach && rk.budget
      join private.pair_criteria c on c.portfolio_id = lk.portfolio_id and c.request_id = rk.request_id
      where rk.request_id = any (p_request_ids) and c.request_id = any (p_request_ids)
        and c.open and c.listing_type_ok and c.currency_ok and c.district_ok and c.type_ok and c.reachable_ok;
  end if;
end
$$;
comment on function private.match_candidates(text[], uuid[]) is 'Matching pairs with their score for the given listings (or requests), found through the match keys.';

-- Bring the matches of the given listings (or requests) in line with the data: new pairs inserted and
-- notified, changed scores updated, pairs that no longer match deleted. One notification per agent per
-- transaction listing all its new matches; a cross-agent new match grants the request's agent partial
-- visibility.
create or replace function private.rematch(p_portfolio_ids text[], p_request_ids uuid[], p_trigger text)
  returns void
  language plpgsql security definer
  set search_path = ''
as $$
declare
  v_agents uuid[];
begin
  if coalesce(cardinality(p_portfolio_ids), 0) + coalesce(cardinality(p_request_ids), 0) = 0 then
    return;
  end if;
  perform private.refresh_match_keys(p_portfolio_ids, p_request_ids);
  -- One statement over the candidate set, read once: the candidates carry both agents, so no row is
  -- read again per pair; the new pairs are written and their visibility granted set-based here.
  with cand as materialized (
    select * from private.match_candidates(p_portfolio_ids, p_request_ids)
  ),
  gone as (
    delete from public.portfolio_request_matches m
    where (m.portfolio_id = any (p_portfolio_ids) or m.request_id = any (p_request_ids))
      and not exists (select 1 from cand c where c.portfolio_id = m.portfolio_id and c.request_id = m.request_id)
  ),
  written as (
    insert into public.portfolio_request_matches as m
      (portfolio_id, request_id, match_score, trigger_type, notified, notified_agent_id)
    select c.portfolio_id, c.request_id, c.score, p_trigger, true, coalesce(c.request_agent, c.listing_agent)
    from cand c
    on conflict (portfolio_id, request_id) do update set match_score = excluded.match_score
      where m.match_score <> excluded.match_score
    returning m.portfolio_id, m.request_id, m.notified_agent_id, (m.xmax = 0) as is_new
  ),
  fresh as materialized (
    select w.portfolio_id, w.notified_agent_id, c.request_agent, c.listing_agent
    from written w
    join cand c on c.portfolio_id = w.portfolio_id and c.request_id = w.request_id
    where w.is_new
  ),
  -- a cross-agent new match: the request's agent sees the listing at least at partial level
  shared as (
    insert into public.agent_visibility as v (portfolio_id, agent_id, visibility_level)
    select distinct f.portfolio_id, f.request_agent, 'partial'
    from fresh f
    where f.request_agent is not null and f.request_agent <> f.listing_agent
    on conflict (portfolio_id, agent_id) do update set visibility_level = 'partial', deal_id = null, granted_by = null
      where v.visibility_level = 'anonymous'
  )
  select array_agg(distinct f.notified_agent_id) into strict v_agents from fresh f;

  -- One pending notification per agent per transaction (the triggering event: an RPC call or a bulk
  -- statement may match in several steps), listing every match it was notified of in this transaction.
  delete from public.pending_notifications n
  where n.contact_id = any (v_agents) and n.kind = 'match' and n.created_at = now() and n.delivered_at is null;
  insert into public.pending_notifications (contact_id, kind, body, buttons)
  select m.notified_agent_id, 'match',
         -- the first ten pairs by score, then how many more (a WhatsApp body holds 4096 characters)
         format('%s yeni eşleşme: %s%s', count(*),
                string_agg(format('ilan %s ↔ talep …%s', m.portfolio_id, right(m.request_id::text, 6)), ', '
                           order by m.match_score desc, m.portfolio_id, m.request_id) filter (where m.n <= 10),
                case when count(*) > 10 then format(' ve %s eşleşme daha', count(*) - 10) else '' end),
         jsonb_build_array(jsonb_build_object('id', 'matches', 'title', 'Eşleşmeleri gör'))
  from (select x.*, row_number() over (partition by x.notified_agent_id
                                       order by x.match_score desc, x.portfolio_id, x.request_id) as n
        from public.portfolio_request_matches x
        where x.notified_agent_id = any (v_agents) and x.created_at = now()) as m
  group by m.notified_agent_id;
end
$$;
comment on function private.rematch(text[], uuid[], text) is 'Rewrites the matches of the given listings or requests: insert+notify new pairs, update scores, delete broken pairs.';

-- Section - Triggers

-- Serialise matching per market (currency x sale/rent) until commit: a listing and a request written
-- at the same time would otherwise each miss the other's uncommitted row and never match. Keys are
-- locked in order, so two bulk statements cannot deadlock on them.
create or replace function private.lock_markets(p_markets text[]) returns void
  language sql
  set search_path = ''
as $$
  select count(pg_advisory_xact_lock(hashtext('vic.match:' || k)))
  from (select distinct k from unnest(p_markets) k order by k) as keys
$$;
comment on function private.lock_markets(text[]) is 'Takes the transaction advisory locks of the given markets (currency:sale|rent), in order.';

create or replace function private.tg_portfolios__match() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
begin
  perform private.lock_markets(array(select n.currency || ':' || n.listing_type from new_rows n));
  if tg_op = 'INSERT' then
    perform private.rematch(array(select n.id from new_rows n), null, 'portfolio');
  else
    -- only listings whose matching inputs changed
    perform private.rematch(
      array(select n.id from new_rows n join old_rows o on o.id = n.id
            where (n.status, n.listing_type, n.currency, n.district_keys, n.type_keys, n.rooms, n.listed_price, n.price_reach)
                  is distinct from (o.status, o.listing_type, o.currency, o.district_keys, o.type_keys, o.rooms, o.listed_price, o.price_reach)),
      null, 'portfolio');
  end if;
  return null;
end
$$;
comment on function private.tg_portfolios__match() is 'Statement trigger: matches new or changed listings against open requests.';

create or replace function private.tg_requests__match() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
declare
  v_ids uuid[];
begin
  if tg_op = 'INSERT' then
    v_ids := array(select n.id from new_rows n);
  else
    v_ids := array(select n.id from new_rows n join old_rows o on o.id = n.id
                   where (n.status, n.request_type, n.criteria) is distinct from (o.status, o.request_type, o.criteria));
  end if;
  perform private.lock_markets(array(
    select n.crit_currency || ':' || case n.request_type when 'buy' then 'sale' else 'rent' end from new_rows n));
  perform private.rematch(null, v_ids, 'request');
  if tg_op = 'UPDATE' then
    -- a request given to another agent: that agent sees its matched listings at partial level
    perform private.share_matches(array_agg(m.portfolio_id), array_agg(n.assigned_agent))
    from new_rows n
    join old_rows o on o.id = n.id
    join public.portfolio_request_matches m on m.request_id = n.id
    where n.assigned_agent is distinct from o.assigned_agent;
  end if;
  if tg_op = 'INSERT' then
    -- every request is a demand signal; one extracted from a bot session is a session signal
    insert into public.market_signals (source_type, source_id, parsed_criteria, match_count)
    select case when n.source_session_id is null then 'request' else 'session' end, n.customer_id, n.criteria,
           (select count(*) from public.portfolio_request_matches m where m.request_id = n.id)
    from new_rows n;
  end if;
  return null;
end
$$;
comment on function private.tg_requests__match() is 'Statement trigger: matches new or changed requests against active listings; records a demand signal per new request.';

-- The matcher reads the floor from portfolios.match_floor (a copy of the confidential min_price), through
-- price_reach, which bands it (guard.floor_band).
create or replace function private.tg_portfolio_confidential__match_floor() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
begin
  update public.portfolios p
  set match_floor = case when tg_op = 'DELETE' then null else new.min_price end
  where p.id = coalesce(new.portfolio_id, old.portfolio_id)
    and p.match_floor is distinct from case when tg_op = 'DELETE' then null else new.min_price end;
  return null;
end
$$;
comment on function private.tg_portfolio_confidential__match_floor() is 'Trigger: copies min_price to portfolios.match_floor, which rematches the listing.';

create or replace trigger _900_match_insert after insert on public.portfolios
  referencing new table as new_rows for each statement execute function private.tg_portfolios__match();
create or replace trigger _900_match_update after update on public.portfolios
  referencing old table as old_rows new table as new_rows for each statement execute function private.tg_portfolios__match();
create or replace trigger _900_match_insert after insert on public.requests
  referencing new table as new_rows for each statement execute function private.tg_requests__match();
create or replace trigger _900_match_update after update on public.requests
  referencing old table as old_rows new table as new_rows for each statement execute function private.tg_requests__match();
create or replace trigger _850_match_floor after insert or update of min_price or delete on public.portfolio_confidential
  for each row execute function private.tg_portfolio_confidential__match_floor();

-- Section - RPCs

-- Every criterion of a pair with pass/fail and its points; never a price. Only for a pair the caller is a
-- party to (guard.can_read_match) and that matches; staff and the bot any pair. Permission is checked
-- first and a refusal reads the same whether the listing, the request or the match exists or not.
create or replace function private.explain_match(p_portfolio_id text, p_request_id uuid)
  returns table (criterion text, passed boolean, points integer)
  language plpgsql stable security definer
  set search_path = ''
as $$
begin
  if guard.is_api_user() and not guard.is_staff()
     and not (guard.can_read_match(p_portfolio_id, p_request_id)
              and exists (select 1 from public.portfolio_request_matches m
                          where m.portfolio_id = p_portfolio_id and m.request_id = p_request_id)) then
    raise exception using errcode = '42501', message = format('match of listing %s and request %s: not found or not yours', p_portfolio_id, p_request_id);
  end if;
  return query
    select x.criterion, x.passed, case when x.scored and x.passed then 1 else 0 end
    from private.pair_criteria c
    cross join lateral (values
      ('open', c.open, false), ('listing_type', c.listing_type_ok, false), ('currency', c.currency_ok, false),
      ('district', c.district_ok, true), ('type', c.type_ok, true), ('rooms', c.rooms_ok, true),
      ('reachable_within_budget', c.reachable_ok, true), ('within_budget_without_negotiation', c.within_budget_ok, true)
    ) as x (criterion, passed, scored)
    where c.portfolio_id = p_portfolio_id and c.request_id = p_request_id;
  if not found then
    perform guard.deny_or_missing(format('match of listing %s and request %s', p_portfolio_id, p_request_id));
  end if;
end
$$;
comment on function private.explain_match(text, uuid) is 'The criteria of a pair with pass/fail and points, after checking the caller (a party to the match, staff, bot).';

create or replace function public.explain_match(p_portfolio_id text, p_request_id uuid)
  returns table (criterion text, passed boolean, points integer)
  language plpgsql stable security definer
  set search_path = ''
as $$
begin
  perform guard.check_listing_id(p_portfolio_id);  -- the input alone: says nothing about any row
  return query select * from private.explain_match(p_portfolio_id, p_request_id);
end
$$;
comment on function public.explain_match(text, uuid) is 'Explain a match: each criterion (open, listing_type, currency, district, type, rooms, reachable_within_budget, within_budget_without_negotiation) with pass/fail and points (the score is their sum); never a price. Only a matching pair the caller is a party to: the request''s agent and its broker, the listing''s managers while the request is unassigned; staff and the bot any pair. A refusal (42501) is the same whether the pair exists or not.';

revoke execute on function public.explain_match(text, uuid) from public, anon;
grant execute on function guard.floor_band(bigint, bigint) to authenticated, service_role;
grant execute on function public.explain_match(text, uuid) to authenticated, service_role;
