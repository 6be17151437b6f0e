-- Conversation: grants and row-level security policies (re-applied after every migrate).
-- docs/access.md is the specification. The bot (service_role) writes conversations; contacts read their own.
revoke all on table public.sessions, public.message_log, public.interaction_tracker, public.pending_notifications
  from anon, authenticated, service_role;
grant select, insert, update, delete on table public.sessions to authenticated;
grant select, delete on table public.message_log, public.pending_notifications to authenticated;
grant select on table public.interaction_tracker to authenticated;
grant select, insert, update, delete on table public.sessions, public.message_log, public.interaction_tracker,
  public.pending_notifications to service_role;
-- interaction_tracker is the database's (triggers on message_log and contacts, claim_nudges); the bot
-- reads it, writes nothing itself (functions/window.sql).
revoke insert, update, delete on table public.interaction_tracker from service_role;

-- Section - sessions
drop policy if exists "Contacts read their own sessions; staff all" on public.sessions;
create policy "Contacts read their own sessions; staff all" on public.sessions
  for select to authenticated using (contact_id = (select auth.uid()) or (select guard.is_staff()));
comment on policy "Contacts read their own sessions; staff all" on public.sessions
  is 'A contact reads its own bot conversations (sessions); staff read all.';
drop policy if exists "Staff create sessions" on public.sessions;
create policy "Staff create sessions" on public.sessions
  for insert to authenticated with check ((select guard.is_staff()));
comment on policy "Staff create sessions" on public.sessions
  is 'Only staff open sessions through the API; the bot opens them as service_role or through ingest_message.';
drop policy if exists "Staff update sessions" on public.sessions;
create policy "Staff update sessions" on public.sessions
  for update to authenticated using ((select guard.is_staff())) with check ((select guard.is_staff()));
comment on policy "Staff update sessions" on public.sessions
  is 'Only staff change sessions through the API (the bot as service_role); triggers keep the status machine and the qualifying slots.';
drop policy if exists "Staff delete sessions" on public.sessions;
create policy "Staff delete sessions" on public.sessions
  for delete to authenticated using ((select guard.is_staff()));
comment on policy "Staff delete sessions" on public.sessions
  is 'Only staff delete sessions.';

-- Section - message_log
drop policy if exists "Contacts read their own messages; staff all" on public.message_log;
create policy "Contacts read their own messages; staff all" on public.message_log
  for select to authenticated
  using (from_contact = (select auth.uid()) or to_contact = (select auth.uid()) or (select guard.is_staff()));
comment on policy "Contacts read their own messages; staff all" on public.message_log
  is 'A contact reads the WhatsApp messages it sent or received; staff read all. Messages are written by the bot and ingest_message only.';
drop policy if exists "Staff delete messages" on public.message_log;
create policy "Staff delete messages" on public.message_log
  for delete to authenticated using ((select guard.is_staff()));
comment on policy "Staff delete messages" on public.message_log
  is 'Only staff delete logged messages; the bot and clients never do.';

-- Section - interaction_tracker
drop policy if exists "Contacts read their own window; staff all" on public.interaction_tracker;
create policy "Contacts read their own window; staff all" on public.interaction_tracker
  for select to authenticated using (contact_id = (select auth.uid()) or (select guard.is_staff()));
comment on policy "Contacts read their own window; staff all" on public.interaction_tracker
  is 'A contact reads its own 24-hour messaging window; staff read all; the database alone keeps the tracker.';

-- Section - pending_notifications
drop policy if exists "Contacts read their own notifications; staff all" on public.pending_notifications;
create policy "Contacts read their own notifications; staff all" on public.pending_notifications
  for select to authenticated using (contact_id = (select auth.uid()) or (select guard.is_staff()));
comment on policy "Contacts read their own notifications; staff all" on public.pending_notifications
  is 'A contact reads the notifications waiting for it; staff read all. The bot delivers them as service_role.';
drop policy if exists "Staff delete notifications" on public.pending_notifications;
create policy "Staff delete notifications" on public.pending_notifications
  for delete to authenticated using ((select guard.is_staff()));
comment on policy "Staff delete notifications" on public.pending_notifications
  is 'Only staff delete waiting notifications.';
