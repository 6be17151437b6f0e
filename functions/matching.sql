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

-- The pairs that pass every hard filter, with their score, for the given listings or requests: the keys
-- find the pairs (one GiST probe per key), the view scores them and re-checks every hard filter.
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
  -- EXECUTE: planned for the ids of each call. The generic plan PL/pgSQL caches after five calls took
  -- 15-28 ms instead of 6 ms for one new listing meeting 200 requests (tests' scale, PG 18).
  if p_portfolio_ids is not null then
    return query execute $q$
      select c.portfolio_id, c.request_id,
             (c.district_ok::int + c.type_ok::int + c.rooms_ok::int + c.reachable_ok::int + c.within_budget_ok::int)::smallint,
             c.listing_agent, c.request_agent
      from private.listing_match_keys lk
      join private.request_match_keys rk on rk.key = lk.key and rk.budget && lk.reach
      join private.pair_criteria c on c.portfolio_id = lk.portfolio_id and c.request_id = rk.request_id
      where lk.portfolio_id = any ($1) and c.portfolio_id = any ($1)
        and c.open and c.listing_type_ok and c.currency_ok and c.district_ok and c.type_ok and c.reachable_ok
    $q$ using p_portfolio_ids;
  end if;
  if p_request_ids is not null then
    return query execute $q$
      select c.portfolio_id, c.request_id,
             (c.district_ok::int + c.type_ok::int + c.rooms_ok::int + c.reachable_ok::int + c.within_budget_ok::int)::smallint,
             c.listing_agent, c.request_agent
      from private.request_match_keys rk
      join private.listing_match_keys lk on lk.key = rk.key and lk.reach && rk.budget
      join private.pair_criteria c on c.portfolio_id = lk.portfolio_id and c.request_id = rk.request_id
      where rk.request_id = any ($1) and c.request_id = any ($1)
        and c.open and c.listing_type_ok and c.currency_ok and c.district_ok and c.type_ok and c.reachable_ok
    $q$ using p_request_ids;
  end if;
end
$$;
comment on function private.match_candidates(text[], uuid[]) is 'Matching pairs with their score for the given listings (or requests), found through the match keys.';

-- Bring the matches of the given listings and requests in line with the committed data: new pairs inserted
-- and notified, changed scores updated, pairs that no longer match deleted. Each id comes with its event
-- (p_portfolio_events, p_request_events: arrays as long as the ids, one id once). A new pair belongs to the
-- later of its two rows' events in the batch (the row written last finds the pair, as when matching ran in
-- the writing transaction), which gives its trigger_type; each agent gets one notification per event listing
-- the new matches that event found for it. A cross-agent new match grants the request's agent partial
-- visibility. The match keys are the writer's (its trigger refreshed them in the writing transaction).
create or replace function private.rematch(p_portfolio_ids text[], p_portfolio_events bigint[],
                                           p_request_ids uuid[], p_request_events bigint[])
  returns void
  language plpgsql
  set search_path = ''
as $$
begin
  if coalesce(cardinality(p_portfolio_ids), 0) + coalesce(cardinality(p_request_ids), 0) = 0 then
    return;
  end if;
  -- One statement over the candidate set, read once: the candidates carry both agents, so no row is
  -- read again per pair; the new pairs are written, their visibility granted and their agents notified
  -- set-based here.
  with cand as materialized (
    select c.portfolio_id, c.request_id, c.score, c.listing_agent, c.request_agent,
           greatest(pe.event_id, re.event_id) as event_id,
           case when re.event_id is null or pe.event_id > re.event_id then 'portfolio' else 'request' end as trigger_type
    -- a pair both of whose rows are in the batch is found from both sides: once here
    from (select distinct * from private.match_candidates(p_portfolio_ids, p_request_ids)) as c
    left join unnest(p_portfolio_ids, p_portfolio_events) as pe (id, event_id) on pe.id = c.portfolio_id
    left join unnest(p_request_ids, p_request_events) as re (id, event_id) on re.id = c.request_id
  ),
  -- one delete per side, each an index scan of its own column (an OR of both would read the whole table
  -- under the generic plan PL/pgSQL keeps); a pair both delete is deleted once
  gone_by_listing as (
    delete from public.portfolio_request_matches m
    where m.portfolio_id = any (p_portfolio_ids)
      and not exists (select 1 from cand c where c.portfolio_id = m.portfolio_id and c.request_id = m.request_id)
  ),
  gone_by_request as (
    delete from public.portfolio_request_matches m
    where m.request_id = any (p_request_ids)
      and not exists (select 1 from cand c where c.portfolio_id = m.portfolio_id and c.request_id = m.request_id)
  ),
  written as (
    insert into public.portfolio_request_matches as m
      (portfolio_id, request_id, match_score, trigger_type, notified, notified_agent_id)
    select c.portfolio_id, c.request_id, c.score, c.trigger_type, true, coalesce(c.request_agent, c.listing_agent)
    from cand c
    on conflict (portfolio_id, request_id) do update set match_score = excluded.match_score
      where m.match_score <> excluded.match_score
    returning m.portfolio_id, m.request_id, m.match_score, m.notified_agent_id, (m.xmax = 0) as is_new
  ),
  fresh as materialized (
    select w.portfolio_id, w.request_id, w.match_score, w.notified_agent_id, c.request_agent, c.listing_agent,
           c.event_id
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
  -- One pending notification per agent per event, listing every new match of that event for the agent.
  insert into public.pending_notifications (contact_id, kind, body, buttons)
  select m.notified_agent_id, 'match',
         -- the first ten pairs by score, then how many more (a WhatsApp body holds 4096 characters)
         format('%s yeni eşleşme: %s%s', count(*),
                string_agg(format('ilan %s ↔ talep …%s', m.portfolio_id, right(m.request_id::text, 6)), ', '
                           order by m.match_score desc, m.portfolio_id, m.request_id) filter (where m.n <= 10),
                case when count(*) > 10 then format(' ve %s eşleşme daha', count(*) - 10) else '' end),
         jsonb_build_array(jsonb_build_object('id', 'matches', 'title', 'Eşleşmeleri gör', 'event', m.event_id))
  from (select f.*, row_number() over (partition by f.notified_agent_id, f.event_id
                                       order by f.match_score desc, f.portfolio_id, f.request_id) as n
        from fresh f) as m
  group by m.notified_agent_id, m.event_id;
end
$$;
comment on function private.rematch(text[], bigint[], uuid[], bigint[]) is 'Rewrites the matches of the given listings and requests: insert+notify new pairs (one notification per agent per event), update scores, delete broken pairs.';

-- Section - The matcher

-- Take up to p_max committed pending events, oldest first, and match them. Claiming: one statement, a
-- select ... order by id limit p_max for update skip locked over the partial index of pending events (as
-- pgmq's read), marking them processed in the same statement; a worker that dies mid-batch rolls back and
-- the events are pending again. Measured at the tests' scale (PG 18, 200 requests, 1-20 events of one new
-- listing each): ~6 ms per event one at a time, ~27 ms per event in batches of 20, because
-- private.match_candidates' plan for many listings at once drives from the pairs instead of the keys on
-- those small, unanalysed tables; the batch size is the caller's (the worker's) to choose from the bench.
-- The batch's listings and requests are matched in one set-based pass (private.rematch); each id carries
-- the oldest event of the batch that names it, and a new pair the later of its two rows' events.
--
-- Matcher runs are serialised (a transaction advisory lock): each run's statements read everything committed
-- before them, including the previous run's matches, so a pair is never left stale by two runs reading
-- different snapshots (one deleting a broken pair while another, on an older snapshot, re-inserts it or
-- writes an old score). More workers give failover, not parallelism; skip locked keeps any second claimer
-- off the events a run holds. A listing and a request committed at the same moment still meet: each
-- event is processed after its row committed, and the later of the two runs reads both rows; when both
-- events' runs find the pair, the unique (portfolio_id, request_id) index lets only the insert that created
-- it notify (the other is an on-conflict no-op). Processed events older than a day are deleted here (at
-- most p_max per call).
create or replace function public.process_match_events(p_max integer default 500) returns integer
  language plpgsql security definer
  set search_path = ''
as $$
declare
  v_events integer;
  v_pids text[];
  v_pevents bigint[];
  v_rids uuid[];
  v_revents bigint[];
  v_new_requests uuid[];
begin
  if guard.is_api_user() then
    raise exception using errcode = '42501', message = 'process_match_events: only the matcher (service_role) runs it';
  end if;
  perform guard.check_range(p_max, 'max', 1, 100000);
  if current_setting('transaction_isolation') <> 'read committed' then
    raise exception using errcode = 'VC001', message = 'process_match_events runs in a read committed transaction (each statement reads what is committed)';
  end if;
  perform pg_advisory_xact_lock(hashtext('vic.matcher'));

  with claimed as materialized (
    select e.id from private.match_events e
    where e.processed_at is null
    order by e.id
    limit p_max
    for update skip locked
  ),
  done as (
    update private.match_events e set processed_at = clock_timestamp()
    from claimed c where e.id = c.id
    returning e.id, e.kind, e.portfolio_ids, e.request_ids, e.new_rows
  )
  select (select count(*) from done),
         p.ids, p.events, r.ids, r.events,
         array(select distinct x from done d, unnest(d.request_ids) as x where d.new_rows)
  into v_events, v_pids, v_pevents, v_rids, v_revents, v_new_requests
  from (select array_agg(x.id) as ids, array_agg(x.event_id) as events
        from (select u.id, min(d.id) as event_id from done d, unnest(d.portfolio_ids) as u (id)
              where d.kind = 'portfolio' group by u.id) as x) as p,
       (select array_agg(x.id) as ids, array_agg(x.event_id) as events
        from (select u.id, min(d.id) as event_id from done d, unnest(d.request_ids) as u (id)
              where d.kind = 'request' group by u.id) as x) as r;

  if v_events > 0 then
    perform private.rematch(v_pids, v_pevents, v_rids, v_revents);
    -- every new request is a demand signal (one extracted from a bot session a session signal, whose raw query
    -- is what the customer wrote in it: the first 100 inbound messages with stored text, 4096 characters), with
    -- the number of listings it matched, recorded when it is first matched
    insert into public.market_signals (source_type, source_id, query_raw, parsed_criteria, match_count)
    select case when q.source_session_id is null then 'request' else 'session' end, q.customer_id,
           (select left(string_agg(t.content, e'\n' order by t.created_at, t.id), 4096)
            from (select l.content, l.created_at, l.id from public.message_log l
                  where l.session_id = q.source_session_id and l.direction = 'inbound' and l.content is not null and not l.content_withheld
                  order by l.created_at, l.id limit 100) as t),
           q.criteria,
           (select count(*) from public.portfolio_request_matches m where m.request_id = q.id)
    from public.requests q
    where q.id = any (v_new_requests);
  end if;

  -- retention: processed events are kept a day
  delete from private.match_events e
  where e.id in (select o.id from private.match_events o
                 where o.processed_at < now() - interval '1 day'
                 order by o.id limit p_max);
  return v_events;
end
$$;
comment on function public.process_match_events(integer) is 'The matcher: processes up to p_max committed match events, oldest first (matches, score changes, removals, visibility, one notification per agent per event); returns how many (0 = none pending). service_role and the owner only.';

-- How far the matcher is behind: pending events and when the oldest was written.
create or replace function public.match_event_lag() returns table (pending bigint, oldest_pending_at timestamptz)
  language plpgsql stable security definer
  set search_path = ''
as $$
begin
  if guard.is_api_user() and not guard.is_staff() then
    raise exception using errcode = '42501', message = 'match_event_lag: staff only';
  end if;
  return query
    select count(*), min(e.created_at) from private.match_events e where e.processed_at is null;
end
$$;
comment on function public.match_event_lag() is 'Pending match events and the time of the oldest (the matcher''s lag); staff, service_role and the owner.';

-- Section - Triggers

-- A write refreshes the match keys of its rows and records one event for the matcher, with one NOTIFY on
-- vic_match_events (a worker LISTENs); nothing else waits for matching in the writing transaction.
create or replace function private.tg_portfolios__match() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
declare
  v_ids text[];
begin
  if tg_op = 'INSERT' then
    v_ids := array(select n.id from new_rows n);
  else
    -- only listings whose matching inputs changed
    v_ids := array(select n.id from new_rows n join old_rows o on o.id = n.id
                   where (n.status, n.listing_type, n.currency, n.district_keys, n.type_keys, n.rooms, n.listed_price, n.price_reach)
                         is distinct from (o.status, o.listing_type, o.currency, o.district_keys, o.type_keys, o.rooms, o.listed_price, o.price_reach));
  end if;
  if cardinality(v_ids) > 0 then
    perform private.refresh_match_keys(v_ids, null);
    insert into private.match_events (kind, portfolio_ids, new_rows) values ('portfolio', v_ids, tg_op = 'INSERT');
    perform pg_notify('vic_match_events', '');
  end if;
  if tg_op = 'UPDATE' then
    if exists (select 1 from new_rows n join old_rows o on o.id = n.id where n.agent_id <> o.agent_id) then
      -- a listing given to another agent: it acts on (and may read) the matches of unassigned requests (after
      -- the batch in flight, as for a reassigned request)
      perform pg_advisory_xact_lock(hashtext('vic.matcher'));
      update public.portfolio_request_matches m
      set notified_agent_id = n.agent_id
      from new_rows n
      join old_rows o on o.id = n.id and n.agent_id <> o.agent_id
      cross join public.requests r
      where m.portfolio_id = n.id and r.id = m.request_id and r.assigned_agent is null
        and m.notified_agent_id is distinct from n.agent_id;
    end if;
  end if;
  return null;
end
$$;
comment on function private.tg_portfolios__match() is 'Statement trigger: refreshes the match keys of new or changed listings and records one match event; a listing given to another agent moves its unassigned requests'' matches to that agent.';

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
  if cardinality(v_ids) > 0 then
    perform private.refresh_match_keys(null, v_ids);
    insert into private.match_events (kind, request_ids, new_rows) values ('request', v_ids, tg_op = 'INSERT');
    perform pg_notify('vic_match_events', '');
  end if;
  -- (old_rows exists on UPDATE only: a nested test, since PL/pgSQL plans a condition as one expression)
  if tg_op = 'UPDATE' then
    if exists (select 1 from new_rows n join old_rows o on o.id = n.id where n.assigned_agent is distinct from o.assigned_agent) then
      -- who acts on (and may read) a reassigned request's matches: its new agent, else the listing agent. The
      -- matcher's lock first: a batch in flight may have read the old agent for a match this update cannot see
      -- yet; waiting for it makes its matches visible here, and a later batch then reads the new agent.
      perform pg_advisory_xact_lock(hashtext('vic.matcher'));
      update public.portfolio_request_matches m
      set notified_agent_id = coalesce(n.assigned_agent, p.agent_id)
      from new_rows n
      join old_rows o on o.id = n.id and n.assigned_agent is distinct from o.assigned_agent
      cross join public.portfolios p
      where m.request_id = n.id and p.id = m.portfolio_id
        and m.notified_agent_id is distinct from coalesce(n.assigned_agent, p.agent_id);
      -- a request given to another agent: that agent sees its matched listings at partial level (the matches
      -- committed so far; the matcher grants the rest as it finds them, to the agent assigned then)
      perform private.share_matches(array_agg(m.portfolio_id), array_agg(n.assigned_agent))
      from new_rows n
      join old_rows o on o.id = n.id
      join public.portfolio_request_matches m on m.request_id = n.id
      where n.assigned_agent is distinct from o.assigned_agent;
    end if;
  end if;
  return null;
end
$$;
comment on function private.tg_requests__match() is 'Statement trigger: refreshes the match keys of new or changed requests and records one match event (the matcher records a new request''s demand signal); a reassigned request''s matches move to its new agent (notified_agent_id), who sees their listings at partial level.';

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
comment on trigger _900_match_insert on public.portfolios
  is 'New listings get their match keys and one match event per statement; the matcher (worker or pg_cron) turns the event into matches and notifications shortly after commit, keeping the insert cheap.';
create or replace trigger _900_match_update after update on public.portfolios
  referencing old table as old_rows new table as new_rows for each statement execute function private.tg_portfolios__match();
comment on trigger _900_match_update on public.portfolios
  is 'Changed listings get fresh match keys and one match event per statement, so the matcher adds, rescores or removes their matches after commit.';
create or replace trigger _900_match_insert after insert on public.requests
  referencing new table as new_rows for each statement execute function private.tg_requests__match();
comment on trigger _900_match_insert on public.requests
  is 'New requests get their match keys and one match event per statement; the matcher turns it into matches and the demand signal shortly after commit.';
create or replace trigger _900_match_update after update on public.requests
  referencing old table as old_rows new table as new_rows for each statement execute function private.tg_requests__match();
comment on trigger _900_match_update on public.requests
  is 'Changed requests get fresh match keys and one match event per statement; a newly assigned agent is shown the listings already matched.';
create or replace trigger _850_match_floor after insert or update of min_price or delete on public.portfolio_confidential
  for each row execute function private.tg_portfolio_confidential__match_floor();
comment on trigger _850_match_floor on public.portfolio_confidential
  is 'A floor price change is copied to the listing''s matching band (coarse, rounded down), which rematches the listing without revealing the floor.';

-- Section - RPCs

-- Every criterion of a pair with pass/fail and its points, whether it is a hard filter and whether it scores,
-- and the verdict it adds up to (the same on every row: matched, score, max_score, verdict naming the failed
-- hard filters); never a price. Only for a pair the caller is a party to (guard.readable_matches) and that
-- matches; staff and the bot any pair. Permission is checked first and a refusal reads the same whether the
-- listing, the request or the match exists or not. The rule (which criteria filter, which score) is stated
-- here once, beside the view; clients print what it returns.
create or replace function private.explain_match(p_portfolio_id text, p_request_id uuid)
  returns table (criterion text, hard_filter boolean, scored boolean, passed boolean, points integer,
                 matched boolean, score integer, max_score integer, verdict text)
  language plpgsql stable security definer
  set search_path = ''
as $$
begin
  if guard.is_api_user() and not guard.is_staff()
     and not exists (select 1 from guard.readable_matches v
                     where v.portfolio_id = p_portfolio_id and v.request_id = p_request_id) then
    raise exception using errcode = '42501', message = format('match of listing %s and request %s: not found or not yours', p_portfolio_id, p_request_id);
  end if;
  return query
    select y.criterion, y.hard, y.scored, y.passed, y.points,
           coalesce(bool_and(y.passed) filter (where y.hard) over w, true),
           (sum(y.points) over w)::integer,
           (count(*) filter (where y.scored) over w)::integer,
           case when coalesce(bool_and(y.passed) filter (where y.hard) over w, true) then 'match'
                else 'no match: ' || string_agg(y.criterion, ', ') filter (where y.hard and not y.passed) over w end
    from (select x.ord, x.criterion, x.hard, x.scored, x.passed, case when x.scored and x.passed then 1 else 0 end as points
          from private.pair_criteria c
          cross join lateral (values
            (1, 'open', c.open, true, false), (2, 'listing_type', c.listing_type_ok, true, false),
            (3, 'currency', c.currency_ok, true, false), (4, 'district', c.district_ok, true, true),
            (5, 'type', c.type_ok, true, true), (6, 'rooms', c.rooms_ok, false, true),
            (7, 'reachable_within_budget', c.reachable_ok, true, true),
            (8, 'within_budget_without_negotiation', c.within_budget_ok, false, true)
          ) as x (ord, criterion, passed, hard, scored)
          where c.portfolio_id = p_portfolio_id and c.request_id = p_request_id) as y
    window w as (order by y.ord rows between unbounded preceding and unbounded following)
    order by y.ord;
  if not found then
    perform guard.deny_or_missing(format('match of listing %s and request %s', p_portfolio_id, p_request_id));
  end if;
end
$$;
comment on function private.explain_match(text, uuid) is 'The criteria of a pair with pass/fail, points, which filter and which score, and the verdict, after checking the caller (a party to the match, staff, bot).';

create or replace function public.explain_match(p_portfolio_id text, p_request_id uuid)
  returns table (criterion text, hard_filter boolean, scored boolean, passed boolean, points integer,
                 matched boolean, score integer, max_score integer, verdict text)
  language plpgsql stable security definer
  set search_path = ''
as $$
begin
  perform guard.check_listing_id(p_portfolio_id);  -- the input alone: says nothing about any row
  return query select * from private.explain_match(p_portfolio_id, p_request_id);
end
$$;
comment on function public.explain_match(text, uuid) is 'Explain a match: one row per criterion (open, listing_type, currency, district, type, rooms, reachable_within_budget, within_budget_without_negotiation) with hard_filter (a pair failing it is no match), scored (1 point when passed), passed and points; every row also carries the verdict: matched, score (the sum of the points, the match score), max_score and verdict (''match'' or ''no match: '' and the failed hard filters). Never a price. Only a matching pair the caller is a party to: the request''s agent and its broker, the listing''s managers while the request is unassigned; staff and the bot any pair. A refusal (42501) is the same whether the pair exists or not.';

revoke execute on function public.explain_match(text, uuid) from public, anon;
grant execute on function guard.floor_band(bigint, bigint) to authenticated, service_role;
grant execute on function public.explain_match(text, uuid) to authenticated, service_role;
revoke execute on function public.process_match_events(integer) from public, anon, authenticated;
grant execute on function public.process_match_events(integer) to service_role;
revoke execute on function public.match_event_lag() from public, anon;
grant execute on function public.match_event_lag() to authenticated, service_role;
