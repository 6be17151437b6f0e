-- Agents: who may change a profile's authority, set_agent_role, update_agent_profile, and an inactive
-- profile losing agent rights at once.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(17);
\ir fixtures/helpers.psql

insert into public.contacts (id, phone, contact_type) values
  ('00000000-0000-0000-0000-0000000000a1', '+905321110001', 'agent'),
  ('00000000-0000-0000-0000-0000000000b1', '+905321110009', 'agent'),
  ('00000000-0000-0000-0000-0000000000ad', '+905320000001', 'staff'),
  ('00000000-0000-0000-0000-0000000000ff', '+905320000002', 'staff'),
  ('00000000-0000-0000-0000-0000000000c1', '+905551112233', 'customer');
insert into public.agent_profiles (contact_id, role, office) values
  ('00000000-0000-0000-0000-0000000000a1', 'agent', 'Moda Emlak'),
  ('00000000-0000-0000-0000-0000000000b1', 'broker', 'Moda Emlak'),
  ('00000000-0000-0000-0000-0000000000ad', 'admin', null),
  ('00000000-0000-0000-0000-0000000000ff', 'owner', null);
insert into public.portfolios (id, agent_id, type, listing_type, title, district, rooms, listed_price)
values ('2026-001', '00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'Moda 3+1', 'Kadıköy', '3+1', 12500000);


-- An agent edits its own specialty, territory and target, and nothing that gives authority.
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select row_eq($$select authority, office from public.whoami()$$, row('agent'::text, 'Moda Emlak'::text), 'whoami: an agent of Moda Emlak');
select is((select territory from public.update_agent_profile(p_territory => 'Kadıköy, Üsküdar', p_target_monthly => 3)),
  'Kadıköy, Üsküdar', 'an agent sets its own territory');
select throws_ok($$select public.update_agent_profile(p_target_monthly => -1)$$, 'VC001', 'target_monthly must be between 0 and 1000',
  'a negative target is rejected by name');
select throws_ok($$update public.agent_profiles set role = 'broker' where contact_id = auth.uid()$$, '42501',
  'only admins and owners may change agent_profiles.role', 'an agent cannot promote itself');
select throws_ok($$update public.agent_profiles set active = true, office = 'Boğaziçi' where contact_id = auth.uid()$$, '42501',
  'only admins and owners may change agent_profiles.office', 'an agent cannot change office');
select throws_ok($$select public.set_agent_role('00000000-0000-0000-0000-0000000000c1', 'agent')$$, '42501',
  'only admins and owners may set agent roles', 'an agent cannot make agents');
reset role;

-- A broker manages the office's work but not roles.
select pg_temp.act_as('00000000-0000-0000-0000-0000000000b1');
select results_eq($$select guard.managed_agent_ids() order by 1$$,
  $$values ('00000000-0000-0000-0000-0000000000a1'::uuid), ('00000000-0000-0000-0000-0000000000b1'::uuid)$$,
  'a broker manages itself and its office''s agents');
select throws_ok($$select public.set_agent_role('00000000-0000-0000-0000-0000000000a1', 'broker')$$, '42501',
  'only admins and owners may set agent roles', 'a broker cannot promote an agent');
reset role;

-- Admins set roles; only owners touch the owner role.
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select row_eq($$select role, office, active from public.set_agent_role('00000000-0000-0000-0000-0000000000c1', 'agent', 'Moda Emlak')$$,
  row('agent'::text, 'Moda Emlak'::text, true), 'an admin makes a customer an agent of an office');
select is((select contact_type from public.contacts where id = '00000000-0000-0000-0000-0000000000c1'), 'agent',
  'the contact becomes an agent');
select throws_ok($$select public.set_agent_role('00000000-0000-0000-0000-0000000000c1', 'owner')$$, '42501',
  'only an owner may grant or change the owner role', 'an admin cannot make an owner');
select throws_ok($$select public.set_agent_role('00000000-0000-0000-0000-0000000000c1', 'manager')$$, 'VC001',
  'role manager is not one of agent, broker, admin, owner', 'an unknown role is rejected by name');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ff');
select is((select role from public.set_agent_role('00000000-0000-0000-0000-0000000000ad', 'owner')), 'owner', 'an owner makes an owner');
reset role;

-- Deactivated: agent rights go at once.
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select is((select count(*)::int from public.portfolios), 1, 'an active agent reads its listing');
reset role;
update public.agent_profiles set active = false where contact_id = '00000000-0000-0000-0000-0000000000a1';
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select is((select authority from public.whoami()), 'customer', 'an inactive agent acts as a plain contact');
select is_empty($$select 1 from public.portfolios$$, 'an inactive agent reads no listing, its own included');
select is_empty($$select 1 from public.portfolio_cards()$$, 'an inactive agent gets no cards');
reset role;

select * from finish();
rollback;
