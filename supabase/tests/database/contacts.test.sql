-- Contacts: the onboarding state machine, consent timestamps, who may change what, and the RPCs
-- upsert_contact, record_consent, set_onboarding_status.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(45);
\ir fixtures/helpers.psql

insert into public.contacts (id, phone, contact_type, display_name) values
  ('00000000-0000-0000-0000-0000000000c1', '+905551112233', 'customer', 'Selin'),
  ('00000000-0000-0000-0000-0000000000c2', '+905551112244', 'customer', 'Emre'),
  ('00000000-0000-0000-0000-0000000000ad', '+905320000001', 'staff', 'Admin');
insert into public.agent_profiles (contact_id, role) values ('00000000-0000-0000-0000-0000000000ad', 'admin');


-- Section - the onboarding state machine (enforced for everyone, the dashboard's postgres included)
update public.contacts set consent_transfer = true where id = '00000000-0000-0000-0000-0000000000c1';  -- active needs it
select lives_ok(format($$update public.contacts set onboarding_status = %L where id = '00000000-0000-0000-0000-0000000000c1'$$, s),
                format('onboarding -> %s is allowed (step %s)', s, n))
from unnest(array['consent_pending', 'profiling', 'active', 'opted_out', 'consent_pending', 'blocked', 'opted_out'])
  with ordinality as t (s, n);
select lives_ok($$update public.contacts set onboarding_status = onboarding_status$$, 'staying in the same state is allowed');

-- Each forbidden move from a contact created in the starting state.
insert into public.contacts (bsuid, onboarding_status, consent_transfer)
select 'bad-' || f || '-' || t, f, true
from (values ('new', 'profiling'), ('new', 'active'), ('consent_pending', 'active'), ('consent_pending', 'new'),
             ('profiling', 'consent_pending'), ('profiling', 'new'), ('active', 'new'), ('active', 'profiling'),
             ('opted_out', 'active'), ('blocked', 'active'), ('blocked', 'consent_pending')) as v (f, t);
select throws_ok(
  format($$update public.contacts set onboarding_status = %L where bsuid = %L$$, split_part(bsuid, '-', 3), bsuid),
  'VC002', format('onboarding_status cannot move from %s to %s', split_part(bsuid, '-', 2), split_part(bsuid, '-', 3)),
  format('%s -> %s is rejected', split_part(bsuid, '-', 2), split_part(bsuid, '-', 3)))
from public.contacts where bsuid like 'bad-%' order by bsuid;

-- Section - consents are timestamped when they change
update public.contacts set consent_marketing = true where id = '00000000-0000-0000-0000-0000000000c2';
select isnt((select consent_marketing_at from public.contacts where id = '00000000-0000-0000-0000-0000000000c2'), null,
  'granting marketing consent timestamps it');
select is((select consent_training_at from public.contacts where id = '00000000-0000-0000-0000-0000000000c2'), null,
  'an untouched consent has no timestamp');
update public.contacts set consent_marketing_at = '2000-01-01' where id = '00000000-0000-0000-0000-0000000000c2';
select isnt((select consent_marketing_at from public.contacts where id = '00000000-0000-0000-0000-0000000000c2'), '2000-01-01'::timestamptz,
  'the timestamp is the database''s: a written value is ignored, the dashboard''s too (evidence)');

-- Section - record_consent: the contact itself, staff or the bot
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c2');
select is((select consent_transfer from public.record_consent('transfer', true)), true, 'a contact records its own KVKK consent');
select isnt((select consent_transfer_at from public.contacts where id = '00000000-0000-0000-0000-0000000000c2'), null,
  'recording a consent timestamps it');
select throws_ok($$select public.record_consent('transfer', true, '00000000-0000-0000-0000-0000000000c1')$$,
  '42501', 'contact 00000000-0000-0000-0000-0000000000c1: not found or not yours', 'a contact cannot record another''s consent');
select throws_ok($$select public.record_consent('newsletter', true)$$,
  'VC001', 'kind newsletter is not one of transfer, training, marketing', 'an unknown consent kind is rejected');
select throws_ok($$update public.contacts set onboarding_status = 'active' where id = '00000000-0000-0000-0000-0000000000c2'$$,
  '42501', 'only admins, owners and the bot may change contacts.onboarding_status', 'a contact cannot activate itself');
select throws_ok($$update public.contacts set contact_type = 'agent' where id = '00000000-0000-0000-0000-0000000000c2'$$,
  '42501', 'only admins and owners may change contacts.contact_type', 'a contact cannot make itself an agent');
select lives_ok($$update public.contacts set display_name = 'Emre Aydın' where id = '00000000-0000-0000-0000-0000000000c2'$$,
  'a contact renames itself');
select is_empty($$update public.contacts set display_name = 'x' where id = '00000000-0000-0000-0000-0000000000c1' returning 1$$,
  'a contact cannot touch another contact');
select throws_ok($$select public.set_onboarding_status('00000000-0000-0000-0000-0000000000c2', 'active')$$,
  '42501', 'only admins, owners and the bot may change contacts.onboarding_status', 'set_onboarding_status is not for customers');
select throws_ok($$select public.upsert_contact('+905559998877')$$,
  '42501', 'only admins, owners and the bot may register contacts', 'customers do not register contacts');
reset role;

-- Section - upsert_contact and set_onboarding_status as staff
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select is((select contact_type from public.upsert_contact(p_phone => '+905559998877', p_display_name => 'Yeni Müşteri')),
  'lead', 'staff register a new contact, a lead by default');
select is((select count(*)::int from public.contacts where phone = '+905559998877'), 1, 'it exists once');
select is((select id from public.upsert_contact(p_phone => '+905559998877', p_bsuid => 'TR.new.1')),
  (select id from public.contacts where phone = '+905559998877'), 'the same phone finds the same contact');
select is((select bsuid from public.contacts where phone = '+905559998877'), 'TR.new.1', 'and adds the bsuid it lacked');
select is((select phone from public.upsert_contact(p_bsuid => 'TR.new.1')), '+905559998877', 'the bsuid finds it too');
select is((select display_name from public.upsert_contact(p_phone => '+905559998877')), 'Yeni Müşteri',
  'a missing name does not erase the known one');
select throws_ok($$select public.upsert_contact(p_phone => '+905559998877', p_bsuid => (select bsuid from public.contacts where bsuid like 'bad-new-active'))$$,
  'VC004', 'phone and bsuid belong to two different contacts', 'a phone and a bsuid of two contacts are not merged');
select throws_ok($$select public.upsert_contact(p_phone => '0555 999 88 77')$$,
  'VC001', 'phone must be in E.164 form', 'a national phone format is rejected by name');
select throws_ok($$select public.upsert_contact()$$, 'VC001', 'phone or bsuid is required', 'an identity is required');
select throws_ok($$select public.upsert_contact(p_phone => '+905559998800', p_contact_type => 'vip')$$,
  'VC001', 'contact_type vip is not one of lead, customer, property_owner, agent, staff', 'an unknown category is rejected by name');
select is((select onboarding_status from public.set_onboarding_status('00000000-0000-0000-0000-0000000000c2', 'consent_pending')),
  'consent_pending', 'staff move a contact along');
select throws_ok($$select public.set_onboarding_status('00000000-0000-0000-0000-0000000000c2', 'active')$$,
  'VC002', 'onboarding_status cannot move from consent_pending to active', 'staff too follow the state machine');
select throws_ok($$select public.set_onboarding_status('00000000-0000-0000-0000-0000000000ff', 'active')$$,
  'VC003', 'contact 00000000-0000-0000-0000-0000000000ff not found', 'staff learn that a contact is missing');
reset role;

select * from finish();
rollback;
