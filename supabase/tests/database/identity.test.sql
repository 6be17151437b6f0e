-- Identity: contacts, agent_profiles, agent_visibility — the rules the schema itself enforces, and the lock-down.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(26);

-- Actors (fixed ids).
insert into public.contacts (id, phone, contact_type, display_name) values
  ('00000000-0000-0000-0000-0000000000a1', '+905321234567', 'agent', 'Ayşe Yılmaz'),
  ('00000000-0000-0000-0000-0000000000a2', '+905329876543', 'agent', 'Mehmet Öztürk');
insert into public.contacts (id, bsuid) values ('00000000-0000-0000-0000-0000000000c1', 'TR.bsuid.0001');

-- contacts: E.164 phone, at least one of phone / bsuid, unique identities, known categories.
select lives_ok($$insert into public.contacts (phone) values ('+12025550123')$$, 'a US E.164 phone is accepted');
select throws_ok($$insert into public.contacts (phone) values ('05321234567')$$, '23514',
  'new row for relation "contacts" violates check constraint "contacts_phone_e164_check"', 'a national-format phone is rejected');
select throws_ok($$insert into public.contacts (phone) values ('+90 532 123 45 67')$$, '23514',
  'new row for relation "contacts" violates check constraint "contacts_phone_e164_check"', 'a phone with spaces is rejected');
select throws_ok($$insert into public.contacts (phone) values ('+0532123456')$$, '23514',
  'new row for relation "contacts" violates check constraint "contacts_phone_e164_check"', 'a country code cannot start with 0');
select throws_ok($$insert into public.contacts (phone) values ('+9053212345678901')$$, '23514',
  'new row for relation "contacts" violates check constraint "contacts_phone_e164_check"', 'more than 15 digits is rejected');
select throws_ok($$insert into public.contacts (display_name) values ('Nobody')$$, '23514',
  'new row for relation "contacts" violates check constraint "contacts_phone_or_bsuid_check"', 'a contact needs a phone or a bsuid');
select throws_ok($$update public.contacts set bsuid = null where id = '00000000-0000-0000-0000-0000000000c1'$$, '23514',
  'new row for relation "contacts" violates check constraint "contacts_phone_or_bsuid_check"', 'the last identity cannot be removed');
select throws_ok($$insert into public.contacts (phone) values ('+905321234567')$$, '23505',
  'duplicate key value violates unique constraint "contacts_phone_key"', 'a phone belongs to one contact');
select throws_ok($$insert into public.contacts (bsuid) values ('TR.bsuid.0001')$$, '23505',
  'duplicate key value violates unique constraint "contacts_bsuid_key"', 'a bsuid belongs to one contact');
select throws_ok($$insert into public.contacts (phone, contact_type) values ('+905320000001', 'vip')$$, '23514',
  'new row for relation "contacts" violates check constraint "contacts_contact_type_check"', 'unknown contact_type is rejected');
select throws_ok($$insert into public.contacts (phone, onboarding_status) values ('+905320000002', 'done')$$, '23514',
  'new row for relation "contacts" violates check constraint "contacts_onboarding_status_check"', 'unknown onboarding_status is rejected');
select row_eq($$select contact_type, onboarding_status, consent_transfer, consent_training, consent_marketing
                from public.contacts where id = '00000000-0000-0000-0000-0000000000c1'$$,
  row('lead'::text, 'new'::text, false, false, false), 'a new contact is a lead in state new with no consent');

-- agent_profiles: one per contact, known roles.
insert into public.agent_profiles (contact_id, role, office) values
  ('00000000-0000-0000-0000-0000000000a1', 'agent', 'Moda Emlak');
select throws_ok($$insert into public.agent_profiles (contact_id, role) values ('00000000-0000-0000-0000-0000000000a2', 'manager')$$,
  '23514', 'new row for relation "agent_profiles" violates check constraint "agent_profiles_role_check"', 'unknown role is rejected');
select throws_ok($$insert into public.agent_profiles (contact_id) values ('00000000-0000-0000-0000-0000000000a1')$$,
  '23505', 'duplicate key value violates unique constraint "agent_profiles_pkey"', 'one profile per contact');
select throws_ok($$insert into public.agent_profiles (contact_id, target_monthly) values ('00000000-0000-0000-0000-0000000000a2', -1)$$,
  '23514', 'new row for relation "agent_profiles" violates check constraint "agent_profiles_target_monthly_check"', 'a negative target is rejected');
select throws_ok($$insert into public.agent_profiles (contact_id) values ('00000000-0000-0000-0000-0000000000ff')$$,
  '23503', null, 'a profile needs an existing contact');

-- agent_visibility: one level per (listing, agent), known levels.
insert into public.portfolios (id, agent_id, type, listing_type, title, district, rooms, listed_price)
values ('2026-001', '00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'Moda''da deniz manzaralı 3+1', 'Kadıköy', '3+1', 12500000);
insert into public.agent_visibility (portfolio_id, agent_id, visibility_level, granted_by)
values ('2026-001', '00000000-0000-0000-0000-0000000000a2', 'partial', '00000000-0000-0000-0000-0000000000a1');
select throws_ok($$insert into public.agent_visibility (portfolio_id, agent_id, visibility_level) values ('2026-001', '00000000-0000-0000-0000-0000000000a2', 'full')$$,
  '23505', 'duplicate key value violates unique constraint "agent_visibility_portfolio_id_agent_id_key"', 'one visibility row per listing and agent');
select throws_ok($$insert into public.agent_visibility (portfolio_id, agent_id, visibility_level) values ('2026-001', '00000000-0000-0000-0000-0000000000c1', 'secret')$$,
  '23514', 'new row for relation "agent_visibility" violates check constraint "agent_visibility_visibility_level_check"', 'unknown level is rejected');
select throws_ok($$insert into public.agent_visibility (portfolio_id, agent_id, visibility_level) values ('2099-001', '00000000-0000-0000-0000-0000000000c1', 'partial')$$,
  '23503', null, 'visibility needs an existing listing');

-- anon reaches nothing; a token that names no contact writes nothing (the access matrix covers every actor).
set local role anon;
select throws_ok(format('select 1 from public.%I', t), '42501', format('permission denied for table %s', t), format('anon cannot read %s', t))
from unnest(array['contacts', 'agent_profiles', 'agent_visibility']) as t;
reset role;
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-00000000dead", "role": "authenticated"}', true);
select throws_ok(format('insert into public.%I default values', t), '42501', null, format('a stranger cannot write %s', t))
from unnest(array['contacts', 'agent_profiles', 'agent_visibility']) as t;
reset role;
set local role service_role;
select is((select count(*)::int from public.contacts), 4, 'service_role reads every contact');
reset role;

select * from finish();
rollback;
