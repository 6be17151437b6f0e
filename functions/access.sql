-- Access: who is acting and with what authority (docs/access.md). The helpers are security definer so
-- that policies can ask them without recursing into row-level security; they read only the caller's
-- own profile and the rows of the caller's own work.

-- True when the session acts through the API as a user (PostgREST's anon/authenticated roles): only
-- then do triggers and RPCs check authority. service_role (the bot) and postgres (the dashboard) are
-- trusted. Reads the `role` setting, not current_user, which a security definer function replaces
-- with its owner.
create or replace function guard.is_api_user() returns boolean
  language sql stable
  set search_path = ''
as $$
  select current_setting('role') in ('anon', 'authenticated')
$$;
comment on function guard.is_api_user() is 'True when the session acts as anon or authenticated (triggers then check authority).';

-- The acting contact's authority: owner, admin, broker or agent (an active profile), customer (any other
-- contact, inactive agents included), or NULL when the token names no contact.
create or replace function guard.authority() returns text
  language sql stable security definer
  set search_path = ''
as $$
  select coalesce(
    (select p.role from public.agent_profiles p where p.contact_id = auth.uid() and p.active),
    (select 'customer' from public.contacts c where c.id = auth.uid()))
$$;
comment on function guard.authority() is 'Authority of auth.uid(): owner, admin, broker, agent, customer, or NULL for no contact.';

-- Platform staff: an active admin or owner.
create or replace function guard.is_staff() returns boolean
  language sql stable security definer
  set search_path = ''
as $$
  select coalesce(guard.authority() in ('admin', 'owner'), false)
$$;
comment on function guard.is_staff() is 'True when auth.uid() is an active admin or owner.';

-- The agents whose work the caller manages: the caller (an active agent or broker) and, for a broker,
-- every agent of the same office.
create or replace function guard.managed_agent_ids() returns setof uuid
  language sql stable security definer
  rows 10  -- a planner estimate (not 1000): policies then use the indexes of what they join
  set search_path = ''
as $$
  select p.contact_id
  from public.agent_profiles me
  join public.agent_profiles p
    on p.contact_id = me.contact_id or (me.role = 'broker' and p.office = me.office)
  where me.contact_id = auth.uid() and me.active and me.role in ('agent', 'broker')
$$;
comment on function guard.managed_agent_ids() is 'Agents whose work auth.uid() manages: itself, and its office''s agents when a broker.';

-- The contacts the caller works with as an agent: the managed agents and their own customers (of their
-- requests, and of their deals and showings on the buying side or with no other agent). Never the other
-- agent of a co-broking deal, nor that agent's customer: either could be gone around.
create or replace function guard.related_contact_ids() returns setof uuid
  language sql stable security definer
  rows 100  -- a planner estimate (not 1000): policies then use the indexes of what they join
  set search_path = ''
as $$
  with m as (select guard.managed_agent_ids() as id)
  select id from m
  union
  select r.customer_id from public.requests r where r.assigned_agent in (select id from m)
  union
  select d.customer_id from public.deals d
  where d.buying_agent_id in (select id from m) or (d.buying_agent_id is null and d.listing_agent_id in (select id from m))
  union
  select s.customer_id from public.showings s
  where s.buying_agent_id in (select id from m) or (s.buying_agent_id is null and s.agent_id in (select id from m))
$$;
comment on function guard.related_contact_ids() is 'Contacts auth.uid() works with as an agent: managed agents and their own customers (never a co-broker or its customer).';

-- Is this one contact among guard.related_contact_ids()? The same four branches, each probed by the contact's
-- index: a trigger or RPC asking about one customer then costs a few lookups, not the caller's whole book
-- (which grows with the platform). tests/attacks and access.test.sql check it agrees with the set.
create or replace function guard.is_related_contact(p_contact_id uuid) returns boolean
  language sql stable security definer
  set search_path = ''
as $$
  with m as (select array(select guard.managed_agent_ids()) as ids)
  select p_contact_id = any (m.ids)
      or exists (select 1 from public.requests r
                 where r.customer_id = p_contact_id and r.assigned_agent = any (m.ids))
      or exists (select 1 from public.deals d
                 where d.customer_id = p_contact_id
                   and (d.buying_agent_id = any (m.ids) or (d.buying_agent_id is null and d.listing_agent_id = any (m.ids))))
      or exists (select 1 from public.showings s
                 where s.customer_id = p_contact_id
                   and (s.buying_agent_id = any (m.ids) or (s.buying_agent_id is null and s.agent_id = any (m.ids))))
  from m
$$;
comment on function guard.is_related_contact(uuid) is 'True when the contact is one auth.uid() works with as an agent (guard.related_contact_ids(), probed for one contact).';

-- The matches the caller may read: the request's current side (its assigned agent and that agent's brokers),
-- and the listing side only while the request is unassigned. Never a listing agent against another office's
-- assigned request: moving its own listed price it would learn that request's budget. That side is the
-- match's notified_agent_id, which the database keeps equal to coalesce(request's agent, listing agent) on
-- every path (the matcher writes it; a reassigned request or a listing given to another agent rewrites it in
-- the same statement: functions/matching.sql), so who may read a match is a test of the row itself: one
-- lookup of the caller's agents per statement, nothing per row. Staff read every match through the policy.
-- This view states the rule for explain_match; the matches policy states the same test (tests/
-- test_guard_probes.py proves both list the same rows for every actor).
create or replace view guard.readable_matches with (security_barrier) as
  select m.id, m.portfolio_id, m.request_id
  from public.portfolio_request_matches m
  where m.notified_agent_id = any (array(select guard.managed_agent_ids()));  -- an init plan: once per statement
comment on view guard.readable_matches is 'Matches auth.uid() is a party to (staff aside): notified_agent_id, kept = the request''s agent, else the listing agent, is one of the caller''s managed agents.';
revoke all on guard.readable_matches from public, anon;
grant select on guard.readable_matches to authenticated, service_role;

-- May the caller manage this listing (read and write it in full)? Its agent is managed, or staff.
create or replace function guard.can_manage_portfolio(p_portfolio_id text) returns boolean
  language sql stable security definer
  set search_path = ''
as $$
  select guard.is_staff()
      or exists (select 1 from public.portfolios p
                 where p.id = p_portfolio_id and p.agent_id in (select guard.managed_agent_ids()))
$$;
comment on function guard.can_manage_portfolio(text) is 'True when auth.uid() manages the listing (its agent, a broker of its office, staff).';

-- Raise the error an RPC gives when a row is missing or not the caller's: staff and trusted sessions
-- learn it is missing (VC003); anyone else gets 42501 without learning whether it exists.
create or replace function guard.deny_or_missing(p_what text) returns void
  language plpgsql stable
  set search_path = ''
as $$
begin
  if not guard.is_api_user() or guard.is_staff() then
    raise exception using errcode = 'VC003', message = format('%s not found', p_what);
  end if;
  raise exception using errcode = '42501', message = format('%s: not found or not yours', p_what);
end
$$;
comment on function guard.deny_or_missing(text) is 'Raises VC003 (trusted callers) or 42501 (others) for a row that is missing or not the caller''s.';

grant usage on schema guard to authenticated, service_role;
grant execute on function guard.is_api_user(), guard.authority(), guard.is_staff(), guard.managed_agent_ids(),
  guard.related_contact_ids(), guard.is_related_contact(uuid), guard.can_manage_portfolio(text),
  guard.deny_or_missing(text)
  to authenticated, service_role;

-- Who is acting, with what authority and office (the API's "whoami").
create or replace function public.whoami()
  returns table (contact_id uuid, authority text, office text)
  language sql stable
  set search_path = ''
as $$
  select auth.uid(),
         case when current_setting('role') = 'service_role' then 'service_role'
              when not guard.is_api_user() then 'database'
              else guard.authority() end,
         (select p.office from public.agent_profiles p where p.contact_id = auth.uid())
$$;
comment on function public.whoami() is 'The acting contact (auth.uid()), its authority (owner, admin, broker, agent, customer; service_role; database; NULL for a token naming no contact) and office.';
revoke execute on function public.whoami() from public, anon;
grant execute on function public.whoami() to authenticated, service_role;
