-- Operations: grants and row-level security policies (re-applied after every migrate).
-- docs/access.md is the specification.
revoke all on table public.tasks, public.documents from anon, authenticated, service_role;
grant select, insert, update, delete on table public.tasks to authenticated, service_role;
-- documents (certificates, contracts) are evidence the database issues (functions/showings.sql, closing.sql):
-- no API role inserts or deletes them; only file_url is set, once (functions/history.sql)
grant select on table public.documents to authenticated, service_role;
grant update (file_url) on table public.documents to authenticated, service_role;

-- Section - tasks
drop policy if exists "Agents read their tasks, brokers their office's" on public.tasks;
create policy "Agents read their tasks, brokers their office's" on public.tasks
  for select to authenticated using (agent_id in (select guard.managed_agent_ids()) or (select guard.is_staff()));
comment on policy "Agents read their tasks, brokers their office's" on public.tasks
  is 'An agent reads its own tasks, a broker its office''s agents'' tasks, staff all.';
drop policy if exists "Agents add their tasks, brokers their office's" on public.tasks;
create policy "Agents add their tasks, brokers their office's" on public.tasks
  for insert to authenticated with check (agent_id in (select guard.managed_agent_ids()) or (select guard.is_staff()));
comment on policy "Agents add their tasks, brokers their office's" on public.tasks
  is 'An agent adds tasks for itself and a broker for its office''s agents; follow-ups and closing reminders are opened by the database only (a trigger).';
drop policy if exists "Agents update their tasks, brokers their office's" on public.tasks;
create policy "Agents update their tasks, brokers their office's" on public.tasks
  for update to authenticated
  using (agent_id in (select guard.managed_agent_ids()) or (select guard.is_staff()))
  with check (agent_id in (select guard.managed_agent_ids()) or (select guard.is_staff()));
comment on policy "Agents update their tasks, brokers their office's" on public.tasks
  is 'An agent completes or cancels its own tasks, a broker its office''s; a trigger keeps a task''s type, agent and deal.';
drop policy if exists "Agents delete their tasks, brokers their office's" on public.tasks;
create policy "Agents delete their tasks, brokers their office's" on public.tasks
  for delete to authenticated using (agent_id in (select guard.managed_agent_ids()) or (select guard.is_staff()));
comment on policy "Agents delete their tasks, brokers their office's" on public.tasks
  is 'An agent deletes its own tasks, a broker its office''s, staff any.';

-- Section - documents
drop policy if exists "Customers, agents and the deal's agents read documents" on public.documents;
create policy "Customers, agents and the deal's agents read documents" on public.documents
  for select to authenticated
  using (contact_id = (select auth.uid())
         or agent_id in (select guard.managed_agent_ids())
         or deal_id in (select d.id from public.deals d
                        where d.listing_agent_id in (select guard.managed_agent_ids())
                           or d.buying_agent_id in (select guard.managed_agent_ids()))
         or (select guard.is_staff()));
comment on policy "Customers, agents and the deal's agents read documents" on public.documents
  is 'A document (showing certificate, contract) is read by the contact it concerns, its agent, the deal''s agents (and their brokers) and staff.';
drop policy if exists "Agents update their documents" on public.documents;
-- the file's address, once rendered (a column grant: nothing else)
create policy "Agents update their documents" on public.documents
  for update to authenticated
  using (agent_id in (select guard.managed_agent_ids()) or (select guard.is_staff()))
  with check (agent_id in (select guard.managed_agent_ids()) or (select guard.is_staff()));
comment on policy "Agents update their documents" on public.documents
  is 'A document''s agent and staff set its rendered file address once; the document itself is evidence issued by the database and never changes (a column grant and a trigger).';
