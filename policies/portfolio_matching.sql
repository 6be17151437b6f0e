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

drop policy if exists "Agents list for themselves, brokers for their office" on public.portfolios;
create policy "Agents list for themselves, brokers for their office" on public.portfolios
  for insert to authenticated
  with check (agent_id in (select guard.managed_agent_ids()) or (select guard.is_staff()));

drop policy if exists "Listing managers update listings" on public.portfolios;
create policy "Listing managers update listings" on public.portfolios
  for update to authenticated
  using (agent_id in (select guard.managed_agent_ids()) or (select guard.is_staff()))
  with check (agent_id in (select guard.managed_agent_ids()) or (select guard.is_staff()));

drop policy if exists "Staff delete listings" on public.portfolios;
create policy "Staff delete listings" on public.portfolios
  for delete to authenticated
  using ((select guard.is_staff()));

-- Section - portfolio_confidential, portfolio_media: whoever reads the listing in full, and nobody else
drop policy if exists "Listing managers read confidential data" on public.portfolio_confidential;
create policy "Listing managers read confidential data" on public.portfolio_confidential
  for select to authenticated using (exists (select 1 from public.portfolios p where p.id = portfolio_id));
drop policy if exists "Listing managers add confidential data" on public.portfolio_confidential;
create policy "Listing managers add confidential data" on public.portfolio_confidential
  for insert to authenticated with check (exists (select 1 from public.portfolios p where p.id = portfolio_id));
drop policy if exists "Listing managers update confidential data" on public.portfolio_confidential;
create policy "Listing managers update confidential data" on public.portfolio_confidential
  for update to authenticated
  using (exists (select 1 from public.portfolios p where p.id = portfolio_id))
  with check (exists (select 1 from public.portfolios p where p.id = portfolio_id));
drop policy if exists "Listing managers delete confidential data" on public.portfolio_confidential;
create policy "Listing managers delete confidential data" on public.portfolio_confidential
  for delete to authenticated using (exists (select 1 from public.portfolios p where p.id = portfolio_id));

drop policy if exists "Listing managers read media" on public.portfolio_media;
create policy "Listing managers read media" on public.portfolio_media
  for select to authenticated using (exists (select 1 from public.portfolios p where p.id = portfolio_id));
drop policy if exists "Listing managers add media" on public.portfolio_media;
create policy "Listing managers add media" on public.portfolio_media
  for insert to authenticated with check (exists (select 1 from public.portfolios p where p.id = portfolio_id));
drop policy if exists "Listing managers update media" on public.portfolio_media;
create policy "Listing managers update media" on public.portfolio_media
  for update to authenticated
  using (exists (select 1 from public.portfolios p where p.id = portfolio_id))
  with check (exists (select 1 from public.portfolios p where p.id = portfolio_id));
drop policy if exists "Listing managers delete media" on public.portfolio_media;
create policy "Listing managers delete media" on public.portfolio_media
  for delete to authenticated using (exists (select 1 from public.portfolios p where p.id = portfolio_id));

-- Section - portfolio_history: readers of the listing (who are exactly the readers of its confidential
-- row, so confidential history rows stay with them)
drop policy if exists "Listing managers read history" on public.portfolio_history;
create policy "Listing managers read history" on public.portfolio_history
  for select to authenticated using (exists (select 1 from public.portfolios p where p.id = portfolio_id));

-- Section - requests
-- Access follows the current assignment: a match that once notified an agent opens nothing.
drop policy if exists "Customers, their agents and brokers read requests" on public.requests;
create policy "Customers, their agents and brokers read requests" on public.requests
  for select to authenticated
  using (customer_id = (select auth.uid())
         or assigned_agent in (select guard.managed_agent_ids())
         or (select guard.is_staff())
         or (assigned_agent is null and (select guard.authority()) = 'broker'));

-- An agent files requests only for a customer it already sees (not for any contact id it can name); the
-- parties trigger (functions/requests.sql) then requires a customer it serves and judges assigned_agent.
drop policy if exists "Customers and their agents create requests" on public.requests;
create policy "Customers and their agents create requests" on public.requests
  for insert to authenticated
  with check (customer_id = (select auth.uid())
              or (assigned_agent in (select guard.managed_agent_ids()) and exists (select 1 from public.contacts c where c.id = customer_id))
              or (select guard.is_staff()));

drop policy if exists "Customers and their agents update requests" on public.requests;
create policy "Customers and their agents update requests" on public.requests
  for update to authenticated
  using (customer_id = (select auth.uid()) or assigned_agent in (select guard.managed_agent_ids())
         or (select guard.is_staff()))
  with check (customer_id = (select auth.uid())
              or (assigned_agent in (select guard.managed_agent_ids()) and exists (select 1 from public.contacts c where c.id = customer_id))
              or (select guard.is_staff()));

drop policy if exists "Staff delete requests" on public.requests;
create policy "Staff delete requests" on public.requests
  for delete to authenticated using ((select guard.is_staff()));

-- Section - market_signals: raw rows (customer ids, criteria of every office) for staff only; brokers read
-- aggregates through unmet_demand. Nobody inserts: the database records them.
drop policy if exists "Staff and brokers read market signals" on public.market_signals;
drop policy if exists "Staff read market signals" on public.market_signals;
create policy "Staff read market signals" on public.market_signals
  for select to authenticated using ((select guard.is_staff()));
drop policy if exists "Contacts record their own signals" on public.market_signals;
drop policy if exists "Staff delete market signals" on public.market_signals;
create policy "Staff delete market signals" on public.market_signals
  for delete to authenticated using ((select guard.is_staff()));

-- Section - portfolio_request_matches: a pair the caller is a party to (guard.readable_matches, probed per
-- row by id: a page of 20 costs 20 index probes, not the caller's whole book), staff. `offset 0` keeps the
-- probe a per-row subplan: without it the planner may hash the whole view once per statement.
drop policy if exists "Parties read their matches" on public.portfolio_request_matches;
create policy "Parties read their matches" on public.portfolio_request_matches
  for select to authenticated
  using ((select guard.is_staff())
         or exists (select 1 from guard.readable_matches v where v.id = portfolio_request_matches.id offset 0));
