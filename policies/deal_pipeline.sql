-- Deal pipeline: grants and row-level security policies (re-applied after every migrate).
-- docs/access.md is the specification. "A deal of M": a deal whose listing or buying agent the caller manages.
-- Agents write deals and showings only for a customer they already see (not for any contact id they can
-- name); a buying agent only on a listing it sees at least at partial level (a match or a grant). A showing
-- of a deal the caller reads, for that deal's customer, is allowed too: the listing agent of a co-broking
-- deal does not see the buying agent's customer, yet schedules and marks the deal's showings.
revoke all on table public.deals, public.showings, public.deal_confirmations, public.deal_negotiations,
  public.platform_commissions from anon, authenticated, service_role;
grant select, insert, update, delete on table public.deals, public.showings, public.deal_confirmations,
  public.deal_negotiations, public.platform_commissions to authenticated, service_role;

-- Section - deals
drop policy if exists "Customers and the deal's agents read deals" on public.deals;
create policy "Customers and the deal's agents read deals" on public.deals
  for select to authenticated
  using (customer_id = (select auth.uid())
         or listing_agent_id in (select guard.managed_agent_ids())
         or buying_agent_id in (select guard.managed_agent_ids())
         or (select guard.is_staff()));

drop policy if exists "The deal's agents open deals" on public.deals;
create policy "The deal's agents open deals" on public.deals
  for insert to authenticated
  with check ((exists (select 1 from public.contacts c where c.id = customer_id)
               and (listing_agent_id in (select guard.managed_agent_ids())
                    or (buying_agent_id in (select guard.managed_agent_ids())
                        and guard.visibility_of(portfolio_id, buying_agent_id) in ('partial', 'full'))))
              or (select guard.is_staff()));

drop policy if exists "The deal's agents update deals" on public.deals;
create policy "The deal's agents update deals" on public.deals
  for update to authenticated
  using (listing_agent_id in (select guard.managed_agent_ids())
         or buying_agent_id in (select guard.managed_agent_ids())
         or (select guard.is_staff()))
  -- no customer check: a deal's customer never changes (a trigger), and the listing side of a co-broking
  -- deal does not see the other agent's customer
  with check (listing_agent_id in (select guard.managed_agent_ids())
              or (buying_agent_id in (select guard.managed_agent_ids())
                  and guard.visibility_of(portfolio_id, buying_agent_id) in ('partial', 'full'))
              or (select guard.is_staff()));

drop policy if exists "Staff delete deals" on public.deals;
create policy "Staff delete deals" on public.deals
  for delete to authenticated using ((select guard.is_staff()));

-- Section - showings
drop policy if exists "Customers and the showing's agents read showings" on public.showings;
create policy "Customers and the showing's agents read showings" on public.showings
  for select to authenticated
  using (customer_id = (select auth.uid())
         or agent_id in (select guard.managed_agent_ids())
         or buying_agent_id in (select guard.managed_agent_ids())
         or (select guard.is_staff()));

drop policy if exists "The showing's agents schedule showings" on public.showings;
create policy "The showing's agents schedule showings" on public.showings
  for insert to authenticated
  with check (((exists (select 1 from public.contacts c where c.id = customer_id)
                or deal_id in (select d.id from public.deals d where d.customer_id = showings.customer_id))
               and (agent_id in (select guard.managed_agent_ids())
                    or (buying_agent_id in (select guard.managed_agent_ids())
                        and guard.visibility_of(portfolio_id, buying_agent_id) in ('partial', 'full'))))
              or (select guard.is_staff()));

drop policy if exists "The showing's agents update showings" on public.showings;
create policy "The showing's agents update showings" on public.showings
  for update to authenticated
  using (agent_id in (select guard.managed_agent_ids())
         or buying_agent_id in (select guard.managed_agent_ids())
         or (select guard.is_staff()))
  with check (((exists (select 1 from public.contacts c where c.id = customer_id)
                or deal_id in (select d.id from public.deals d where d.customer_id = showings.customer_id))
               and (agent_id in (select guard.managed_agent_ids())
                    or (buying_agent_id in (select guard.managed_agent_ids())
                        and guard.visibility_of(portfolio_id, buying_agent_id) in ('partial', 'full'))))
              or (select guard.is_staff()));

drop policy if exists "Staff delete showings" on public.showings;
create policy "Staff delete showings" on public.showings
  for delete to authenticated using ((select guard.is_staff()));

-- Section - deal_confirmations
drop policy if exists "The deal's agents read confirmations" on public.deal_confirmations;
create policy "The deal's agents read confirmations" on public.deal_confirmations
  for select to authenticated
  using (deal_id in (select d.id from public.deals d
                     where d.listing_agent_id in (select guard.managed_agent_ids())
                        or d.buying_agent_id in (select guard.managed_agent_ids()))
         or (select guard.is_staff()));

-- Nobody inserts confirmations: entering closing creates them (functions/closing.sql, as the definer).
drop policy if exists "The deal's agents create confirmations" on public.deal_confirmations;
revoke insert on table public.deal_confirmations from authenticated, service_role;

drop policy if exists "Agents confirm their own side" on public.deal_confirmations;
create policy "Agents confirm their own side" on public.deal_confirmations
  for update to authenticated
  using (agent_id = (select auth.uid()) or (select guard.is_staff()))
  with check (agent_id = (select auth.uid()) or (select guard.is_staff()));

drop policy if exists "Staff delete confirmations" on public.deal_confirmations;
create policy "Staff delete confirmations" on public.deal_confirmations
  for delete to authenticated using ((select guard.is_staff()));

-- Section - deal_negotiations
drop policy if exists "The parties read offers" on public.deal_negotiations;
create policy "The parties read offers" on public.deal_negotiations
  for select to authenticated
  using (from_contact_id = (select auth.uid()) or to_contact_id = (select auth.uid())
         or deal_id in (select d.id from public.deals d
                        where d.listing_agent_id in (select guard.managed_agent_ids())
                           or d.buying_agent_id in (select guard.managed_agent_ids()))
         or (select guard.is_staff()));

drop policy if exists "Parties make offers in their own name" on public.deal_negotiations;
create policy "Parties make offers in their own name" on public.deal_negotiations
  for insert to authenticated
  with check ((from_contact_id = (select auth.uid()) and deal_id in (select d.id from public.deals d))
              or (select guard.is_staff()));

drop policy if exists "The parties answer offers" on public.deal_negotiations;
create policy "The parties answer offers" on public.deal_negotiations
  for update to authenticated
  using (from_contact_id = (select auth.uid()) or to_contact_id = (select auth.uid()) or (select guard.is_staff()))
  with check (from_contact_id = (select auth.uid()) or to_contact_id = (select auth.uid()) or (select guard.is_staff()));

drop policy if exists "Staff delete offers" on public.deal_negotiations;
create policy "Staff delete offers" on public.deal_negotiations
  for delete to authenticated using ((select guard.is_staff()));

-- Section - platform_commissions: written by the closing (and staff)
drop policy if exists "Payees and the deal's agents read commissions" on public.platform_commissions;
create policy "Payees and the deal's agents read commissions" on public.platform_commissions
  for select to authenticated
  using (contact_id = (select auth.uid())
         or deal_id in (select d.id from public.deals d
                        where d.listing_agent_id in (select guard.managed_agent_ids())
                           or d.buying_agent_id in (select guard.managed_agent_ids()))
         or (select guard.is_staff()));

drop policy if exists "Staff write commissions" on public.platform_commissions;
create policy "Staff write commissions" on public.platform_commissions
  for insert to authenticated with check ((select guard.is_staff()));
drop policy if exists "Staff update commissions" on public.platform_commissions;
create policy "Staff update commissions" on public.platform_commissions
  for update to authenticated using ((select guard.is_staff())) with check ((select guard.is_staff()));
drop policy if exists "Staff delete commissions" on public.platform_commissions;
create policy "Staff delete commissions" on public.platform_commissions
  for delete to authenticated using ((select guard.is_staff()));
