-- Portföy & Matching: grants and row-level security policies (re-applied after every migrate).
-- docs/access.md is the specification. Other agents never read listings as rows: portfolio_cards.
revoke all on table public.portfolios, public.portfolio_confidential, public.portfolio_media, public.portfolio_history,
  public.requests, public.market_signals, public.portfolio_request_matches from anon, authenticated, service_role;
grant select, insert, update, delete on table public.portfolios, public.portfolio_confidential, public.portfolio_media,
  public.requests to authenticated, service_role;
-- History is written by triggers only, the bot included; matches by the matcher (and the bot's delivery
-- flags); signals are recorded, never edited.
grant select on table public.portfolio_history, public.portfolio_request_matches to authenticated, service_role;
-- market_signals: written by the database only (request trigger, search_portfolios as definer)
grant select, delete on table public.market_signals to authenticated;
grant select, insert, update, delete on table public.market_signals, public.portfolio_request_matches to service_role;

-- Section - portfolios
drop policy if exists "Listing managers read listings" on public.portfolios;
create policy "Listing managers read listings" on public.portfolios
  for select to authenticated
  using (agent_id in (select guard.managed_agent_ids()) or (select guard.is_staff()));
comment on policy "Listing managers read listings" on public.portfolios
  is 'An agent reads its own listings as rows, a broker its office''s, staff all; other agents never read listing rows, only cards at their visibility level (portfolio_cards).';

drop policy if exists "Agents list for themselves, brokers for their office" on public.portfolios;
create policy "Agents list for themselves, brokers for their office" on public.portfolios
  for insert to authenticated
  with check (agent_id in (select guard.managed_agent_ids()) or (select guard.is_staff()));
comment on policy "Agents list for themselves, brokers for their office" on public.portfolios
  is 'An agent adds listings only under its own name and a broker only for its office''s agents, so nobody files a listing in another agent''s name.';

drop policy if exists "Listing managers update listings" on public.portfolios;
create policy "Listing managers update listings" on public.portfolios
  for update to authenticated
  using (agent_id in (select guard.managed_agent_ids()) or (select guard.is_staff()))
  with check (agent_id in (select guard.managed_agent_ids()) or (select guard.is_staff()));
comment on policy "Listing managers update listings" on public.portfolios
  is 'The listing''s agent, its broker and staff edit a listing and may not hand it to an agent they do not manage; triggers keep the id, district spelling, floor, status and commission cap.';

drop policy if exists "Staff delete listings" on public.portfolios;
create policy "Staff delete listings" on public.portfolios
  for delete to authenticated
  using ((select guard.is_staff()));
comment on policy "Staff delete listings" on public.portfolios
  is 'Only staff delete a listing; an agent deactivates it instead, which keeps its history.';

-- Section - portfolio_confidential, portfolio_media: whoever reads the listing in full, and nobody else
drop policy if exists "Listing managers read confidential data" on public.portfolio_confidential;
create policy "Listing managers read confidential data" on public.portfolio_confidential
  for select to authenticated using (exists (select 1 from public.portfolios p where p.id = portfolio_id));
comment on policy "Listing managers read confidential data" on public.portfolio_confidential
  is 'The owner''s name and phone, the floor price and the commission rate are read only by whoever manages the listing (its agent, that agent''s broker, staff); other agents never, at any visibility level.';
drop policy if exists "Listing managers add confidential data" on public.portfolio_confidential;
create policy "Listing managers add confidential data" on public.portfolio_confidential
  for insert to authenticated with check (exists (select 1 from public.portfolios p where p.id = portfolio_id));
comment on policy "Listing managers add confidential data" on public.portfolio_confidential
  is 'Only whoever manages the listing records its owner, floor price and commission; triggers keep the floor at or below the listed price and the rate within the legal cap.';
drop policy if exists "Listing managers update confidential data" on public.portfolio_confidential;
create policy "Listing managers update confidential data" on public.portfolio_confidential
  for update to authenticated
  using (exists (select 1 from public.portfolios p where p.id = portfolio_id))
  with check (exists (select 1 from public.portfolios p where p.id = portfolio_id));
comment on policy "Listing managers update confidential data" on public.portfolio_confidential
  is 'Only whoever manages the listing changes its owner, floor price or commission; each change is audited in the listing''s history.';
drop policy if exists "Listing managers delete confidential data" on public.portfolio_confidential;
create policy "Listing managers delete confidential data" on public.portfolio_confidential
  for delete to authenticated using (exists (select 1 from public.portfolios p where p.id = portfolio_id));
comment on policy "Listing managers delete confidential data" on public.portfolio_confidential
  is 'Only whoever manages the listing removes its confidential row (audited in the listing''s history).';

drop policy if exists "Listing managers read media" on public.portfolio_media;
create policy "Listing managers read media" on public.portfolio_media
  for select to authenticated using (exists (select 1 from public.portfolios p where p.id = portfolio_id));
comment on policy "Listing managers read media" on public.portfolio_media
  is 'A listing''s media rows are read by whoever manages the listing; other agents get media on cards at partial level or above.';
drop policy if exists "Listing managers add media" on public.portfolio_media;
create policy "Listing managers add media" on public.portfolio_media
  for insert to authenticated with check (exists (select 1 from public.portfolios p where p.id = portfolio_id));
comment on policy "Listing managers add media" on public.portfolio_media
  is 'Only whoever manages the listing adds its photos and videos.';
drop policy if exists "Listing managers update media" on public.portfolio_media;
create policy "Listing managers update media" on public.portfolio_media
  for update to authenticated
  using (exists (select 1 from public.portfolios p where p.id = portfolio_id))
  with check (exists (select 1 from public.portfolios p where p.id = portfolio_id));
comment on policy "Listing managers update media" on public.portfolio_media
  is 'Only whoever manages the listing reorders or edits its media.';
drop policy if exists "Listing managers delete media" on public.portfolio_media;
create policy "Listing managers delete media" on public.portfolio_media
  for delete to authenticated using (exists (select 1 from public.portfolios p where p.id = portfolio_id));
comment on policy "Listing managers delete media" on public.portfolio_media
  is 'Only whoever manages the listing removes its media.';

-- Section - portfolio_history: readers of the listing (who are exactly the readers of its confidential
-- row, so confidential history rows stay with them)
drop policy if exists "Listing managers read history" on public.portfolio_history;
create policy "Listing managers read history" on public.portfolio_history
  for select to authenticated using (exists (select 1 from public.portfolios p where p.id = portfolio_id));
comment on policy "Listing managers read history" on public.portfolio_history
  is 'A listing''s audit trail is read by exactly those who read its confidential row, because history rows carry confidential changes; nobody writes history but the triggers.';

-- Section - requests
-- Access follows the current assignment: a match that once notified an agent opens nothing.
drop policy if exists "Customers, their agents and brokers read requests" on public.requests;
create policy "Customers, their agents and brokers read requests" on public.requests
  for select to authenticated
  using (customer_id = (select auth.uid())
         or assigned_agent in (select guard.managed_agent_ids())
         or (select guard.is_staff())
         or (assigned_agent is null and (select guard.authority()) = 'broker'));
comment on policy "Customers, their agents and brokers read requests" on public.requests
  is 'A customer sees its own requests, the assigned agent and its broker see them, brokers also see unassigned ones to hand out, staff all. Access follows the current assignment: an agent once notified keeps nothing.';

-- An agent files requests only for a customer it already sees (not for any contact id it can name); the
-- parties trigger (functions/requests.sql) then requires a customer it serves and judges assigned_agent.
drop policy if exists "Customers and their agents create requests" on public.requests;
create policy "Customers and their agents create requests" on public.requests
  for insert to authenticated
  with check (customer_id = (select auth.uid())
              or (assigned_agent in (select guard.managed_agent_ids()) and exists (select 1 from public.contacts c where c.id = customer_id))
              or (select guard.is_staff()));
comment on policy "Customers and their agents create requests" on public.requests
  is 'A customer files requests for itself, an agent only for a customer it already sees and serves (a trigger checks it), staff for anyone: nobody files a request for an arbitrary contact to watch a listing''s floor.';

drop policy if exists "Customers and their agents update requests" on public.requests;
create policy "Customers and their agents update requests" on public.requests
  for update to authenticated
  using (customer_id = (select auth.uid()) or assigned_agent in (select guard.managed_agent_ids())
         or (select guard.is_staff()))
  with check (customer_id = (select auth.uid())
              or (assigned_agent in (select guard.managed_agent_ids()) and exists (select 1 from public.contacts c where c.id = customer_id))
              or (select guard.is_staff()));
comment on policy "Customers and their agents update requests" on public.requests
  is 'The customer, its assigned agent (and broker) and staff change a request; triggers validate the criteria, limit budget changes to three a day and let only brokers and staff reassign.';

drop policy if exists "Staff delete requests" on public.requests;
create policy "Staff delete requests" on public.requests
  for delete to authenticated using ((select guard.is_staff()));
comment on policy "Staff delete requests" on public.requests
  is 'Only staff delete requests; customers and agents close them instead.';

-- Section - market_signals: raw rows (customer ids, criteria of every office) for staff only; brokers read
-- aggregates through unmet_demand. Nobody inserts: the database records them.
drop policy if exists "Staff read market signals" on public.market_signals;
create policy "Staff read market signals" on public.market_signals
  for select to authenticated using ((select guard.is_staff()));
comment on policy "Staff read market signals" on public.market_signals
  is 'Raw demand signals (customer ids, criteria of every office) are for staff only; brokers read them as counts through unmet_demand. Nobody inserts signals: the database records them.';
drop policy if exists "Staff delete market signals" on public.market_signals;
create policy "Staff delete market signals" on public.market_signals
  for delete to authenticated using ((select guard.is_staff()));
comment on policy "Staff delete market signals" on public.market_signals
  is 'Only staff delete demand signals (they hold customer ids and every office''s criteria).';

-- Section - portfolio_request_matches: a pair the caller is a party to (notified_agent_id, kept = the request's
-- agent, else the listing agent, is one the caller manages: guard.readable_matches states it), staff. A test of
-- the row against the caller's agents, computed once per statement; the row test comes first, so an agent
-- reading its own matches never asks whether it is staff.
drop policy if exists "Parties read their matches" on public.portfolio_request_matches;
create policy "Parties read their matches" on public.portfolio_request_matches
  for select to authenticated
  using (notified_agent_id = any (array(select guard.managed_agent_ids())) or (select guard.is_staff()));
comment on policy "Parties read their matches" on public.portfolio_request_matches
  is 'A match is read by the agent it concerns (the request''s current agent, else the listing''s agent) and that agent''s broker, and by staff; nobody writes matches but the matcher.';
