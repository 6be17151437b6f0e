-- Deal pipeline: grants and row-level security policies (re-applied after every migrate).
-- docs/access.md is the specification. "A deal of M": a deal whose listing or buying agent the caller manages.
-- Agents write deals and showings only for a customer they already see (not for any contact id they can
-- name); a buying agent only on a listing it sees at least at partial level (a match or a grant). A showing
-- of a deal the caller reads, for that deal's customer, is allowed too: the listing agent of a co-broking
-- deal does not see the buying agent's customer, yet schedules and marks the deal's showings.
revoke all on table public.deals, public.showings, public.deal_confirmations, public.deal_negotiations,
  public.platform_commissions from anon, authenticated, service_role;
grant select, insert, update, delete on table public.deal_confirmations, public.deal_negotiations,
  public.platform_commissions to authenticated, service_role;
-- deals (docs/deals.md, "Doors"): opened through open_deal only (its checks are many, and it reads what the
-- caller may not); updated only in the columns a status step takes (cancel_deal, start_closing; the status
-- trigger decides the rest); last_activity_at, prices and the commission are the database's. commission_total
-- is not readable through the API by anyone but the bot: closing_price / commission_total is the listing's
-- confidential commission rate (the listing side reads the split rows, platform_commissions).
grant select (id, portfolio_id, customer_id, listing_agent_id, buying_agent_id, is_cross_agent, match_id, request_id,
              created_by, status, offer_price, closing_price, cancel_reason, last_activity_at, closed_at, created_at,
              updated_at)
  on table public.deals to authenticated;
grant update (status, cancel_reason, closing_price) on table public.deals to authenticated, service_role;
grant delete on table public.deals to authenticated;
grant select, insert, delete on table public.deals to service_role;
-- showings: scheduled directly or by schedule_showing (the triggers hold every rule); afterwards only the slot
-- and the status change (who, what and which deal never do; request_id is the deal's, a trigger sets it).
grant select, insert, delete on table public.showings to authenticated, service_role;
grant update (scheduled_at, ends_at, status, request_id) on table public.showings to authenticated, service_role;

-- Section - deals
drop policy if exists "Customers and the deal's agents read deals" on public.deals;
create policy "Customers and the deal's agents read deals" on public.deals
  for select to authenticated
  using (customer_id = (select auth.uid())
         or listing_agent_id in (select guard.managed_agent_ids())
         or buying_agent_id in (select guard.managed_agent_ids())
         or (select guard.is_staff()));
comment on policy "Customers and the deal's agents read deals" on public.deals
  is 'A deal is read by its customer, its listing and buying agents (and their brokers) and staff; the commission total is kept out by a column grant because it reveals the confidential rate.';

-- no insert policy: open_deal (security definer) is the only door

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
comment on policy "The deal's agents update deals" on public.deals
  is 'The deal''s agents and staff move a deal (status, cancel reason, closing price); a buying agent only on a listing it sees at partial level or above. Deals are opened only through open_deal.';

drop policy if exists "Staff delete deals" on public.deals;
create policy "Staff delete deals" on public.deals
  for delete to authenticated using ((select guard.is_staff()));
comment on policy "Staff delete deals" on public.deals
  is 'Only staff delete deals; agents cancel them instead.';

-- Section - showings
drop policy if exists "Customers and the showing's agents read showings" on public.showings;
create policy "Customers and the showing's agents read showings" on public.showings
  for select to authenticated
  using (customer_id = (select auth.uid())
         or agent_id in (select guard.managed_agent_ids())
         or buying_agent_id in (select guard.managed_agent_ids())
         or (select guard.is_staff()));
comment on policy "Customers and the showing's agents read showings" on public.showings
  is 'A showing is read by its customer, its listing and buying agents (and their brokers) and staff.';

drop policy if exists "The showing's agents schedule showings" on public.showings;
create policy "The showing's agents schedule showings" on public.showings
  for insert to authenticated
  with check (((exists (select 1 from public.contacts c where c.id = customer_id)
                or deal_id in (select d.id from public.deals d where d.customer_id = showings.customer_id))
               and (agent_id in (select guard.managed_agent_ids())
                    or (buying_agent_id in (select guard.managed_agent_ids())
                        and guard.visibility_of(portfolio_id, buying_agent_id) in ('partial', 'full'))))
              or (select guard.is_staff()));
comment on policy "The showing's agents schedule showings" on public.showings
  is 'A deal''s agents schedule showings only for a customer they see or the deal''s own customer, and a buying agent only on a listing it sees at partial level or above; triggers check the slot and keep the showing on its deal.';

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
comment on policy "The showing's agents update showings" on public.showings
  is 'A showing''s agents and staff reschedule, cancel or mark it shown, under the same conditions as scheduling; who, what and which deal never change.';

drop policy if exists "Staff delete showings" on public.showings;
create policy "Staff delete showings" on public.showings
  for delete to authenticated using ((select guard.is_staff()));
comment on policy "Staff delete showings" on public.showings
  is 'Only staff delete showings; agents cancel them instead.';

-- Section - deal_confirmations
drop policy if exists "The deal's agents read confirmations" on public.deal_confirmations;
create policy "The deal's agents read confirmations" on public.deal_confirmations
  for select to authenticated
  using (deal_id in (select d.id from public.deals d
                     where d.listing_agent_id in (select guard.managed_agent_ids())
                        or d.buying_agent_id in (select guard.managed_agent_ids()))
         or (select guard.is_staff()));
comment on policy "The deal's agents read confirmations" on public.deal_confirmations
  is 'A deal''s closing confirmations are read by its listing and buying agents (and their brokers) and staff.';

-- Nobody inserts confirmations: entering closing creates them (functions/closing.sql, as the definer).
revoke insert on table public.deal_confirmations from authenticated, service_role;

drop policy if exists "Agents confirm their own side" on public.deal_confirmations;
create policy "Agents confirm their own side" on public.deal_confirmations
  for update to authenticated
  using (agent_id = (select auth.uid()) or (select guard.is_staff()))
  with check (agent_id = (select auth.uid()) or (select guard.is_staff()));
comment on policy "Agents confirm their own side" on public.deal_confirmations
  is 'Each agent confirms only its own side of a closing (staff may edit other columns, but a trigger lets only the side''s own agent set confirmed); the deal closes when every side has confirmed.';

drop policy if exists "Staff delete confirmations" on public.deal_confirmations;
create policy "Staff delete confirmations" on public.deal_confirmations
  for delete to authenticated using ((select guard.is_staff()));
comment on policy "Staff delete confirmations" on public.deal_confirmations
  is 'Only staff delete closing confirmations; the database creates them when a deal enters closing.';

-- Section - deal_negotiations
drop policy if exists "The parties read offers" on public.deal_negotiations;
create policy "The parties read offers" on public.deal_negotiations
  for select to authenticated
  using (from_contact_id = (select auth.uid()) or to_contact_id = (select auth.uid())
         or deal_id in (select d.id from public.deals d
                        where d.listing_agent_id in (select guard.managed_agent_ids())
                           or d.buying_agent_id in (select guard.managed_agent_ids()))
         or (select guard.is_staff()));
comment on policy "The parties read offers" on public.deal_negotiations
  is 'An offer is read by who made it, who it is addressed to, the deal''s agents (and their brokers) and staff.';

drop policy if exists "Parties make offers in their own name" on public.deal_negotiations;
create policy "Parties make offers in their own name" on public.deal_negotiations
  for insert to authenticated
  with check ((from_contact_id = (select auth.uid()) and deal_id in (select d.id from public.deals d))
              or (select guard.is_staff()));
comment on policy "Parties make offers in their own name" on public.deal_negotiations
  is 'An offer is made only in the caller''s own name on a deal the caller reads (or by staff); a trigger keeps one pending offer at a time between the deal''s parties.';

drop policy if exists "The parties answer offers" on public.deal_negotiations;
create policy "The parties answer offers" on public.deal_negotiations
  for update to authenticated
  using (from_contact_id = (select auth.uid()) or to_contact_id = (select auth.uid()) or (select guard.is_staff()))
  with check (from_contact_id = (select auth.uid()) or to_contact_id = (select auth.uid()) or (select guard.is_staff()));
comment on policy "The parties answer offers" on public.deal_negotiations
  is 'Only the parties of an offer and staff touch it; a trigger lets only the addressee accept, reject or counter it.';

drop policy if exists "Staff delete offers" on public.deal_negotiations;
create policy "Staff delete offers" on public.deal_negotiations
  for delete to authenticated using ((select guard.is_staff()));
comment on policy "Staff delete offers" on public.deal_negotiations
  is 'Only staff delete offers: the offer history is the record of the negotiation.';

-- Section - platform_commissions: written by the closing (and staff)
drop policy if exists "Payees and the deal's agents read commissions" on public.platform_commissions;
create policy "Payees and the deal's agents read commissions" on public.platform_commissions
  for select to authenticated
  -- the buying side reads only its own row (what it is paid); the rows of a deal add up to commission_total,
  -- which with closing_price gives the listing's confidential rate: only the listing side reads them all
  using (contact_id = (select auth.uid()) or contact_id in (select guard.managed_agent_ids())
         or deal_id in (select d.id from public.deals d where d.listing_agent_id in (select guard.managed_agent_ids()))
         or (select guard.is_staff()));
comment on policy "Payees and the deal's agents read commissions" on public.platform_commissions
  is 'A payee reads its own commission row and the listing side reads all of a deal''s rows; the buying side sees only its own, because the rows together reveal the listing''s confidential rate.';

drop policy if exists "Staff write commissions" on public.platform_commissions;
create policy "Staff write commissions" on public.platform_commissions
  for insert to authenticated with check ((select guard.is_staff()));
comment on policy "Staff write commissions" on public.platform_commissions
  is 'Only staff add commission rows by hand; the closing of a deal writes the split itself.';
drop policy if exists "Staff update commissions" on public.platform_commissions;
create policy "Staff update commissions" on public.platform_commissions
  for update to authenticated using ((select guard.is_staff())) with check ((select guard.is_staff()));
comment on policy "Staff update commissions" on public.platform_commissions
  is 'Only staff invoice and mark commissions paid; a trigger keeps the amounts and payees unchanged.';
drop policy if exists "Staff delete commissions" on public.platform_commissions;
create policy "Staff delete commissions" on public.platform_commissions
  for delete to authenticated using ((select guard.is_staff()));
comment on policy "Staff delete commissions" on public.platform_commissions
  is 'Only staff delete commission rows.';
