-- Identity: grants and row-level security policies (re-applied after every migrate). docs/access.md
-- is the specification; tests/access_matrix.csv checks every table x actor x action.
-- Supabase grants every public table to the API roles by default: revoke (service_role too), then grant exactly.
-- service_role bypasses row-level security, as on every Supabase project; anon gets nothing.

-- Functions: anon calls nothing; the API roles execute nothing in private (only triggers and security
-- definer RPCs reach it) and only what functions/ grants in public and guard.
revoke execute on all functions in schema private, public, guard from public, anon;
revoke execute on all functions in schema private from authenticated, service_role;
revoke usage on schema private from authenticated, service_role;

revoke all on table public.contacts, public.agent_profiles, public.agent_visibility from anon, authenticated, service_role;
grant select, insert, update, delete on table public.contacts, public.agent_profiles, public.agent_visibility
  to authenticated, service_role;

-- Section - contacts
drop policy if exists "Contacts read themselves, their agents' customers and colleagues; staff all" on public.contacts;
create policy "Contacts read themselves, their agents' customers and colleagues; staff all" on public.contacts
  for select to authenticated
  using (id = (select auth.uid()) or (select guard.is_staff()) or id in (select guard.related_contact_ids()));
comment on policy "Contacts read themselves, their agents' customers and colleagues; staff all" on public.contacts
  is 'Signed-in users see their own contact; an agent also sees the agents it manages and its own customers (never the other agent of a co-broking deal nor that agent''s customer, who could be gone around); staff see everyone.';

drop policy if exists "Staff register contacts" on public.contacts;
create policy "Staff register contacts" on public.contacts
  for insert to authenticated
  with check ((select guard.is_staff()));
comment on policy "Staff register contacts" on public.contacts
  is 'Only staff (admins and owners) add contacts through the API; the bot registers WhatsApp senders as service_role or through ingest_message.';

drop policy if exists "Contacts update themselves; staff all" on public.contacts;
create policy "Contacts update themselves; staff all" on public.contacts
  for update to authenticated
  using (id = (select auth.uid()) or (select guard.is_staff()))
  with check (id = (select auth.uid()) or (select guard.is_staff()));
comment on policy "Contacts update themselves; staff all" on public.contacts
  is 'A contact edits its own row (display name, consents) and staff edit any; a trigger keeps type, onboarding status, phone and bsuid for staff and the bot.';

drop policy if exists "Staff delete contacts" on public.contacts;
create policy "Staff delete contacts" on public.contacts
  for delete to authenticated
  using ((select guard.is_staff()));
comment on policy "Staff delete contacts" on public.contacts
  is 'Only staff (admins and owners) delete contacts; nobody else removes a person through the API.';

-- Section - agent_profiles
drop policy if exists "Agents read their own profile, brokers their office's; staff all" on public.agent_profiles;
create policy "Agents read their own profile, brokers their office's; staff all" on public.agent_profiles
  for select to authenticated
  using (contact_id = (select auth.uid()) or contact_id in (select guard.managed_agent_ids()) or (select guard.is_staff()));
comment on policy "Agents read their own profile, brokers their office's; staff all" on public.agent_profiles
  is 'An agent sees its own profile, a broker the profiles of its office''s agents, staff all; customers see none.';

drop policy if exists "Staff create agent profiles" on public.agent_profiles;
create policy "Staff create agent profiles" on public.agent_profiles
  for insert to authenticated
  with check ((select guard.is_staff()));
comment on policy "Staff create agent profiles" on public.agent_profiles
  is 'Only staff make a contact an agent: an agent profile is what gives agent rights.';

drop policy if exists "Agents update their own profile; staff all" on public.agent_profiles;
create policy "Agents update their own profile; staff all" on public.agent_profiles
  for update to authenticated
  using (contact_id = (select auth.uid()) or (select guard.is_staff()))
  with check (contact_id = (select auth.uid()) or (select guard.is_staff()));
comment on policy "Agents update their own profile; staff all" on public.agent_profiles
  is 'An agent edits its own specialty, territory and monthly target; staff edit any profile. A trigger keeps role, office and active for staff, so nobody promotes themselves.';

drop policy if exists "Staff delete agent profiles" on public.agent_profiles;
create policy "Staff delete agent profiles" on public.agent_profiles
  for delete to authenticated
  using ((select guard.is_staff()));
comment on policy "Staff delete agent profiles" on public.agent_profiles
  is 'Only staff remove an agent profile, which takes away that contact''s agent rights at once.';

-- Section - agent_visibility
-- "A readable listing": the portfolios policy decides (its agent is managed by the caller, or staff). As a
-- correlated exists: one primary-key probe per row, never the set of every listing the caller may read.
drop policy if exists "Agents read their grants; listing managers read the listing's grants" on public.agent_visibility;
create policy "Agents read their grants; listing managers read the listing's grants" on public.agent_visibility
  for select to authenticated
  -- an anonymous grant tells its holder nothing (not even who granted it)
  using ((agent_id = (select auth.uid()) and visibility_level <> 'anonymous')
         or exists (select 1 from public.portfolios p where p.id = portfolio_id));
comment on policy "Agents read their grants; listing managers read the listing's grants" on public.agent_visibility
  is 'An agent sees the partial or full grants it holds (an anonymous one tells it nothing, not even who granted it); the listing''s agent, its broker and staff see every grant on the listing.';

drop policy if exists "Listing managers grant visibility in their own name" on public.agent_visibility;
create policy "Listing managers grant visibility in their own name" on public.agent_visibility
  for insert to authenticated
  with check (exists (select 1 from public.portfolios p where p.id = portfolio_id) and granted_by = (select auth.uid()));
comment on policy "Listing managers grant visibility in their own name" on public.agent_visibility
  is 'Only who manages the listing (its agent, that agent''s broker, staff) shows it to another agent, and the grant is recorded in the caller''s own name.';

drop policy if exists "Listing managers raise visibility" on public.agent_visibility;
create policy "Listing managers raise visibility" on public.agent_visibility
  for update to authenticated
  using (exists (select 1 from public.portfolios p where p.id = portfolio_id))
  with check (exists (select 1 from public.portfolios p where p.id = portfolio_id));
comment on policy "Listing managers raise visibility" on public.agent_visibility
  is 'Only who manages the listing changes a grant on it; a trigger refuses lowering a level, so a grant an agent relies on does not shrink.';

drop policy if exists "Listing managers revoke visibility" on public.agent_visibility;
create policy "Listing managers revoke visibility" on public.agent_visibility
  for delete to authenticated
  using (exists (select 1 from public.portfolios p where p.id = portfolio_id));
comment on policy "Listing managers revoke visibility" on public.agent_visibility
  is 'Only who manages the listing removes a grant on it (the other agent falls back to the anonymous card).';
