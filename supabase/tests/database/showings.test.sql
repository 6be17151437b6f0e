-- Showings (docs/deals.md): the slot (ends_at by default one hour later, kept on reschedule, never
-- in the past, never overlapping another showing of the listing: VC004 from the RPCs, 23P01 from a direct
-- write; adjacent slots and cancelled slots are free), the status machine scheduled -> shown | cancelled
-- (VC002 naming both states, shown only once the slot has begun), the deal it moves (matched -> showing,
-- last_activity_at; no slot for a closing, closed or cancelled deal), the certificate issued once with the
-- parties, listing and slot and nothing confidential, and who may do what.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(104);
\ir fixtures/helpers.psql

-- Moda Emlak: listing agent a1, broker b1. Boğaziçi: buying agent a2, broker b2. Kuzey Emlak: agent a3,
-- broker b3 (another office). Admin ad. Customers c1 (a2's) and c2 (a1's).
insert into public.contacts (id, phone, contact_type, display_name) values
  ('00000000-0000-0000-0000-0000000000a1', '+905321110001', 'agent', 'Ayşe Yılmaz'),
  ('00000000-0000-0000-0000-0000000000b1', '+905321110009', 'agent', 'Kemal Aydın'),
  ('00000000-0000-0000-0000-0000000000a2', '+905322220001', 'agent', 'Can Demir'),
  ('00000000-0000-0000-0000-0000000000b2', '+905322220009', 'agent', 'Selin Kara'),
  ('00000000-0000-0000-0000-0000000000a3', '+905323330001', 'agent', 'Elif Şahin'),
  ('00000000-0000-0000-0000-0000000000b3', '+905323330009', 'agent', 'Murat Koç'),
  ('00000000-0000-0000-0000-0000000000ad', '+905320000001', 'staff', 'Deniz Aksoy'),
  ('00000000-0000-0000-0000-0000000000c1', '+905551112233', 'customer', 'Zehra Polat'),
  ('00000000-0000-0000-0000-0000000000c2', '+905551112244', 'customer', 'Ahmet Yıldız');
insert into public.agent_profiles (contact_id, role, office) values
  ('00000000-0000-0000-0000-0000000000a1', 'agent', 'Moda Emlak'),
  ('00000000-0000-0000-0000-0000000000b1', 'broker', 'Moda Emlak'),
  ('00000000-0000-0000-0000-0000000000a2', 'agent', 'Boğaziçi Gayrimenkul'),
  ('00000000-0000-0000-0000-0000000000b2', 'broker', 'Boğaziçi Gayrimenkul'),
  ('00000000-0000-0000-0000-0000000000a3', 'agent', 'Kuzey Emlak'),
  ('00000000-0000-0000-0000-0000000000b3', 'broker', 'Kuzey Emlak'),
  ('00000000-0000-0000-0000-0000000000ad', 'admin', null);
insert into public.portfolios (id, agent_id, type, listing_type, title, district, rooms, listed_price) values
  ('2026-001', '00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'Moda''da deniz manzaralı 3+1', 'Kadıköy', '3+1', 12500000),
  ('2026-002', '00000000-0000-0000-0000-0000000000a1', 'villa', 'sale', 'Çengelköy''de bahçeli villa', 'Üsküdar', '5+2', 40000000);
insert into public.portfolio_confidential (portfolio_id, owner_name, owner_phone, min_price, commission_rate, private_notes) values
  ('2026-001', 'Hasan Kaya', '+905301110001', 11800000, 2.50, 'Mal sahibi acele satmak istiyor'),
  ('2026-002', 'Nur Ateş', '+905301110002', 38000000, 2.00, null);
insert into public.agent_visibility (portfolio_id, agent_id, visibility_level, granted_by)
values ('2026-001', '00000000-0000-0000-0000-0000000000a2', 'partial', '00000000-0000-0000-0000-0000000000a1');
insert into public.requests (id, customer_id, assigned_agent, request_type, criteria) values
  ('00000000-0000-0000-0000-0000000000e1', '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a2', 'buy', '{}'),
  ('00000000-0000-0000-0000-0000000000e2', '00000000-0000-0000-0000-0000000000c2', '00000000-0000-0000-0000-0000000000a1', 'buy', '{}');
-- d1: co-broking (a1 lists, a2 brings c1). d2, d3: a1 alone with c2. d4: co-broking on the villa.
insert into public.deals (id, portfolio_id, customer_id, listing_agent_id, buying_agent_id, request_id) values
  ('00000000-0000-0000-0000-0000000000d1', '2026-001', '00000000-0000-0000-0000-0000000000c1',
   '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-0000000000e1'),
  ('00000000-0000-0000-0000-0000000000d2', '2026-001', '00000000-0000-0000-0000-0000000000c2',
   '00000000-0000-0000-0000-0000000000a1', null, '00000000-0000-0000-0000-0000000000e2'),
  ('00000000-0000-0000-0000-0000000000d3', '2026-002', '00000000-0000-0000-0000-0000000000c2',
   '00000000-0000-0000-0000-0000000000a1', null, null),
  ('00000000-0000-0000-0000-0000000000d4', '2026-002', '00000000-0000-0000-0000-0000000000c1',
   '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a2', null);
update public.deals set last_activity_at = now() - interval '10 days';

-- Showing and document ids by name, for the file.
create temporary table t_id (k text primary key, id uuid);
grant select, insert on t_id to anon, authenticated, service_role;
create function pg_temp.id(p_k text) returns uuid language sql as $$ select id from t_id where k = p_k $$;
create function pg_temp.slot(p_k text) returns interval language sql as $$
  select s.ends_at - s.scheduled_at from public.showings s where s.id = pg_temp.id(p_k)
$$;
create function pg_temp.status(p_k text) returns text language sql as $$
  select s.status from public.showings s where s.id = pg_temp.id(p_k)
$$;

-- ===================================================================================== scheduling
-- The listing agent of a co-broking deal schedules, though it cannot read the buying agent's customer.
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
insert into t_id select 's1', id from public.schedule_showing('00000000-0000-0000-0000-0000000000d1', now() + interval '1 day');
reset role;
select row_eq($$select portfolio_id, customer_id, agent_id, buying_agent_id, request_id, status, ends_at - scheduled_at
                from public.showings where id = pg_temp.id('s1')$$,
  row('2026-001'::text, '00000000-0000-0000-0000-0000000000c1'::uuid, '00000000-0000-0000-0000-0000000000a1'::uuid,
      '00000000-0000-0000-0000-0000000000a2'::uuid, '00000000-0000-0000-0000-0000000000e1'::uuid, 'scheduled'::text,
      interval '1 hour'),
  'schedule_showing takes listing, customer, request and buying agent from the deal; one hour by default');
select is((select status from public.deals where id = '00000000-0000-0000-0000-0000000000d1'), 'showing',
  'scheduling a showing moves a matched deal to showing');
select is((select last_activity_at from public.deals where id = '00000000-0000-0000-0000-0000000000d1'), now(),
  'scheduling a showing moves the deal''s last_activity_at');

select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select throws_ok($$select public.schedule_showing('00000000-0000-0000-0000-0000000000d2', now() - interval '1 minute')$$,
  'VC001', 'scheduled_at cannot be in the past', 'schedule_showing: not in the past');
select throws_ok($$select public.schedule_showing('00000000-0000-0000-0000-0000000000d2', null)$$,
  'VC001', 'scheduled_at is required', 'schedule_showing: scheduled_at is required');
select throws_ok($$select public.schedule_showing('00000000-0000-0000-0000-0000000000d2', now() + interval '2 days', interval '10 minutes')$$,
  'VC001', 'duration must be between 15 minutes and 8 hours', 'schedule_showing: at least 15 minutes');
select throws_ok($$select public.schedule_showing('00000000-0000-0000-0000-0000000000d2', now() + interval '2 days', interval '8 hours 1 minute')$$,
  'VC001', 'duration must be between 15 minutes and 8 hours', 'schedule_showing: at most 8 hours');
select throws_ok($$select public.schedule_showing('00000000-0000-0000-0000-0000000000d2', now() + interval '2 days', null)$$,
  'VC001', 'duration must be between 15 minutes and 8 hours', 'schedule_showing: a duration is required');
-- now() is the transaction's start: a showing starting now is not in the past (nor does it overlap s1).
insert into t_id select 'now2', id from public.schedule_showing('00000000-0000-0000-0000-0000000000d3', now(), interval '15 minutes');
reset role;
select is(pg_temp.slot('now2'), interval '15 minutes', 'a showing may start now(), for 15 minutes');
select throws_ok($$insert into public.showings (portfolio_id, agent_id, customer_id, scheduled_at) values ('2026-002', '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000c2', now() - interval '1 second')$$,
  'VC001', 'scheduled_at cannot be in the past', 'a direct insert in the past is rejected too');
select throws_ok(format($$update public.showings set scheduled_at = now() - interval '1 hour' where id = %L$$, pg_temp.id('s1')),
  'VC001', 'scheduled_at cannot be in the past', 'a direct reschedule into the past is rejected too');
with i as (
  insert into public.showings (portfolio_id, agent_id, customer_id, scheduled_at)
  values ('2026-002', '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000c2', now() + interval '10 days')
  returning id)
insert into t_id select 'direct', id from i;
select is(pg_temp.slot('direct'), interval '1 hour', 'a direct insert without ends_at lasts one hour');
update public.showings set scheduled_at = scheduled_at + interval '2 hours', ends_at = ends_at + interval '150 minutes'
where id = pg_temp.id('direct');
select is(pg_temp.slot('direct'), interval '90 minutes', 'a direct reschedule that gives ends_at keeps it');
update public.showings set scheduled_at = scheduled_at + interval '1 day' where id = pg_temp.id('direct');
select is(pg_temp.slot('direct'), interval '90 minutes', 'a direct reschedule without ends_at keeps the duration');

-- ===================================================================================== overlap
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select matches(pg_temp.err($$select public.schedule_showing('00000000-0000-0000-0000-0000000000d2', now() + interval '1 day 30 minutes')$$),
  '^VC004: listing 2026-001 already has a showing overlapping \d{4}-\d\d-\d\d \d\d:\d\d - \d\d:\d\d$',
  'another party''s overlapping slot is a VC004 naming the listing and the slot');
select matches(pg_temp.err($$select public.schedule_showing('00000000-0000-0000-0000-0000000000d2', now() + interval '23 hours', interval '8 hours')$$),
  '^VC004: ', 'a slot enclosing another is a VC004');
reset role;
select throws_ok($$insert into public.showings (portfolio_id, agent_id, customer_id, scheduled_at, ends_at) values ('2026-001', '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000c2', now() + interval '1 day 59 minutes', now() + interval '1 day 2 hours')$$,
  '23P01', null, 'a direct overlapping insert hits the exclusion constraint (23P01)');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
insert into t_id select 'after', id from public.schedule_showing('00000000-0000-0000-0000-0000000000d2', now() + interval '1 day 1 hour');
insert into t_id select 'before', id from public.schedule_showing('00000000-0000-0000-0000-0000000000d2', now() + interval '1 day' - interval '30 minutes', interval '30 minutes');
reset role;
select is((select count(*)::integer from public.showings where portfolio_id = '2026-001' and status = 'scheduled'), 3,
  'adjacent slots (ending as s1 starts, starting as it ends) are not overlaps');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select matches(pg_temp.err(format($$select public.reschedule_showing(%L, now() + interval '1 day 15 minutes')$$, pg_temp.id('after'))),
  '^VC004: listing 2026-001 already has a showing overlapping ', 'rescheduling into another party''s slot is a VC004');
select is(pg_temp.slot('after'), interval '1 hour', 'the refused reschedule changed nothing');
-- The buying agent cancels s1: the slot is free again.
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select is((select status from public.cancel_showing(pg_temp.id('s1'))), 'cancelled', 'the buying agent cancels its deal''s showing');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select lives_ok(format($$select public.reschedule_showing(%L, now() + interval '1 day')$$, pg_temp.id('after')),
  'a cancelled slot is free again');
select is(pg_temp.slot('after'), interval '1 hour', 'reschedule_showing without a duration keeps it');
select lives_ok(format($$select public.reschedule_showing(%L, now() + interval '3 days', interval '90 minutes')$$, pg_temp.id('before')),
  'reschedule_showing with a duration');
select is(pg_temp.slot('before'), interval '90 minutes', 'reschedule_showing with a duration sets it');
select throws_ok(format($$select public.reschedule_showing(%L, now() - interval '1 day')$$, pg_temp.id('before')),
  'VC001', 'scheduled_at cannot be in the past', 'reschedule_showing: not in the past');
select throws_ok(format($$select public.reschedule_showing(%L, now() + interval '4 days', interval '9 hours')$$, pg_temp.id('before')),
  'VC001', 'duration must be between 15 minutes and 8 hours', 'reschedule_showing: duration bounds');
reset role;

-- ===================================================================================== status machine
select throws_ok(format($$update public.showings set status = 'scheduled' where id = %L$$, pg_temp.id('s1')),
  'VC002', 'showing status cannot move from cancelled to scheduled', 'cancelled is final (scheduled)');
select throws_ok(format($$update public.showings set status = 'shown' where id = %L$$, pg_temp.id('s1')),
  'VC002', 'showing status cannot move from cancelled to shown', 'cancelled is final (shown)');
select throws_ok(format($$update public.showings set scheduled_at = now() + interval '5 days' where id = %L$$, pg_temp.id('s1')),
  'VC002', 'a cancelled showing cannot be rescheduled', 'a cancelled showing is not rescheduled, even directly');
select throws_ok($$insert into public.showings (portfolio_id, agent_id, customer_id, scheduled_at, status) values ('2026-002', '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000c2', now() + interval '20 days', 'shown')$$,
  'VC002', 'showing status cannot start at shown', 'a showing starts scheduled, not shown');
select throws_ok($$insert into public.showings (portfolio_id, agent_id, customer_id, scheduled_at, status) values ('2026-002', '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000c2', now() + interval '20 days', 'cancelled')$$,
  'VC002', 'showing status cannot start at cancelled', 'a showing starts scheduled, not cancelled');
select throws_ok(format($$update public.showings set status = 'shown', scheduled_at = now() + interval '6 days' where id = %L$$, pg_temp.id('direct')),
  'VC002', 'a showing cannot be rescheduled and moved from scheduled to shown at once', 'no reschedule while leaving scheduled');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select throws_ok(format($$select public.cancel_showing(%L)$$, pg_temp.id('s1')),
  'VC002', 'showing status cannot move from cancelled to cancelled', 'cancel_showing: not twice');
select throws_ok(format($$select public.mark_shown(%L)$$, pg_temp.id('s1')),
  'VC002', 'showing status cannot move from cancelled to shown', 'mark_shown: not a cancelled showing');
select throws_ok(format($$select public.reschedule_showing(%L, now() + interval '5 days')$$, pg_temp.id('s1')),
  'VC002', 'a cancelled showing cannot be rescheduled', 'reschedule_showing: not a cancelled showing');
select matches(pg_temp.err(format($$select public.mark_shown(%L)$$, pg_temp.id('after'))),
  '^VC002: showing status cannot move from scheduled to shown before its slot begins at \d{4}-\d\d-\d\d \d\d:\d\d$',
  'mark_shown: not before the slot begins');
select is(pg_temp.status('after'), 'scheduled', 'the refused mark_shown changed nothing');
-- now2 began at now() (before clock_timestamp()): it can be marked shown.
select is((select status from public.mark_shown(pg_temp.id('now2'))), 'shown', 'mark_shown once the slot has begun');
select throws_ok(format($$select public.mark_shown(%L)$$, pg_temp.id('now2')),
  'VC002', 'showing status cannot move from shown to shown', 'mark_shown: not twice');
select throws_ok(format($$select public.cancel_showing(%L)$$, pg_temp.id('now2')),
  'VC002', 'showing status cannot move from shown to cancelled', 'cancel_showing: not a shown showing');
select throws_ok(format($$select public.reschedule_showing(%L, now() + interval '5 days')$$, pg_temp.id('now2')),
  'VC002', 'a shown showing cannot be rescheduled', 'reschedule_showing: not a shown showing');
reset role;
select throws_ok(format($$update public.showings set status = 'scheduled' where id = %L$$, pg_temp.id('now2')),
  'VC002', 'showing status cannot move from shown to scheduled', 'shown is final (scheduled)');
select throws_ok(format($$update public.showings set status = 'cancelled' where id = %L$$, pg_temp.id('now2')),
  'VC002', 'showing status cannot move from shown to cancelled', 'shown is final (cancelled)');
select throws_ok(format($$update public.showings set status = 'shown' where id = %L$$, pg_temp.id('direct')),
  'VC002', null, 'even the dashboard cannot mark a future showing shown');

-- ===================================================================================== the deal
-- d3 had its showing: showing. Moved on to closing, it takes no new slot.
select is((select status from public.deals where id = '00000000-0000-0000-0000-0000000000d3'), 'showing',
  'the first showing moved d3 to showing');
update public.deals set status = 'negotiating' where id = '00000000-0000-0000-0000-0000000000d2';
-- an accepted offer moves d3 to negotiating, then agreed
insert into public.deal_negotiations (id, deal_id, from_contact_id, to_contact_id, amount) values
  ('00000000-0000-0000-0000-0000000000f3', '00000000-0000-0000-0000-0000000000d3', '00000000-0000-0000-0000-0000000000c2',
   '00000000-0000-0000-0000-0000000000a1', 39000000);
update public.deal_negotiations set status = 'accepted' where id = '00000000-0000-0000-0000-0000000000f3';
update public.deals set status = 'closing', closing_price = 39000000 where id = '00000000-0000-0000-0000-0000000000d3';
update public.deals set status = 'cancelled', cancel_reason = 'Müşteri vazgeçti' where id = '00000000-0000-0000-0000-0000000000d4';
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select throws_ok($$select public.schedule_showing('00000000-0000-0000-0000-0000000000d3', now() + interval '5 days')$$,
  'VC002', 'deal status closing does not allow scheduling a showing', 'no showing for a closing deal');
select throws_ok($$select public.schedule_showing('00000000-0000-0000-0000-0000000000d4', now() + interval '5 days')$$,
  'VC002', 'deal status cancelled does not allow scheduling a showing', 'no showing for a cancelled deal');
insert into t_id select 'neg', id from public.schedule_showing('00000000-0000-0000-0000-0000000000d2', now() + interval '6 days');
reset role;
select is((select status from public.deals where id = '00000000-0000-0000-0000-0000000000d2'), 'negotiating',
  'a negotiating deal keeps its status when a showing is scheduled');
update public.deals set last_activity_at = now() - interval '3 days' where id = '00000000-0000-0000-0000-0000000000d2';
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select lives_ok(format($$select public.reschedule_showing(%L, now() + interval '7 days')$$, pg_temp.id('neg')), 'reschedule');
reset role;
select is((select last_activity_at from public.deals where id = '00000000-0000-0000-0000-0000000000d2'), now(),
  'rescheduling moves the deal''s last_activity_at');
select throws_ok($$insert into public.showings (portfolio_id, agent_id, customer_id, deal_id, scheduled_at) values ('2026-002', '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000c2', '00000000-0000-0000-0000-0000000000d3', now() + interval '8 days')$$,
  'VC002', 'deal status closing does not allow scheduling a showing', 'a direct insert for a closing deal is rejected too');
select throws_ok($$insert into public.showings (portfolio_id, agent_id, customer_id, deal_id, scheduled_at) values ('2026-001', '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000c2', '00000000-0000-0000-0000-0000000000d1', now() + interval '8 days')$$,
  'VC001', 'deal_id 00000000-0000-0000-0000-0000000000d1 is not a deal of this showing''s listing, customer and buying agent',
  'a showing names a deal of its own listing, customer and buying agent');

-- ===================================================================================== certificate
-- The buying agent schedules a showing of d1 starting now; the listing agent marks it shown.
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
insert into t_id select 'now1', id from public.schedule_showing('00000000-0000-0000-0000-0000000000d1', now(), interval '45 minutes');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
insert into t_id select 'cert1', certificate_id from public.mark_shown(pg_temp.id('now1'));
reset role;
select isnt(pg_temp.id('cert1'), null, 'mark_shown returns the certificate id');
select is((select count(*)::integer from public.documents where showing_id = pg_temp.id('now1')), 1,
  'exactly one document for the shown showing');
select row_eq(format($$select id, type, contact_id, portfolio_id, agent_id, deal_id from public.documents where showing_id = %L$$, pg_temp.id('now1')),
  row(pg_temp.id('cert1'), 'certificate'::text, '00000000-0000-0000-0000-0000000000c1'::uuid, '2026-001'::text,
      '00000000-0000-0000-0000-0000000000a1'::uuid, '00000000-0000-0000-0000-0000000000d1'::uuid),
  'the certificate concerns the customer, listing, listing agent and deal');
select is((select template_data -> 'customer' from public.documents where id = pg_temp.id('cert1')),
  '{"id": "00000000-0000-0000-0000-0000000000c1", "name": "Zehra Polat"}'::jsonb, 'template_data: the customer');
select is((select template_data -> 'listing_agent' from public.documents where id = pg_temp.id('cert1')),
  '{"id": "00000000-0000-0000-0000-0000000000a1", "name": "Ayşe Yılmaz", "office": "Moda Emlak"}'::jsonb,
  'template_data: the listing agent');
select is((select template_data -> 'buying_agent' from public.documents where id = pg_temp.id('cert1')),
  '{"id": "00000000-0000-0000-0000-0000000000a2", "name": "Can Demir", "office": "Boğaziçi Gayrimenkul"}'::jsonb,
  'template_data: the buying agent');
select is((select template_data -> 'listing' from public.documents where id = pg_temp.id('cert1')),
  '{"id": "2026-001", "title": "Moda''da deniz manzaralı 3+1", "city": "İstanbul", "district": "Kadıköy", "type": "daire", "listing_type": "sale", "rooms": "3+1"}'::jsonb,
  'template_data: the listing, its public fields only');
select is((select template_data -> 'slot' ->> 'date' from public.documents where id = pg_temp.id('cert1')),
  to_char(now() at time zone 'Europe/Istanbul', 'YYYY-MM-DD'), 'template_data: the date (Istanbul)');
select is((select (template_data -> 'slot' ->> 'scheduled_at')::timestamptz from public.documents where id = pg_temp.id('cert1')),
  now(), 'template_data: the slot');
select doesnt_match((select template_data::text from public.documents where id = pg_temp.id('cert1')),
  '11800000|11\.800\.000|Hasan|Kaya|\+90|acele|min_price|commission|owner|phone|notes',
  'template_data holds no floor price, owner, commission, note or phone number');
select is((select template_data -> 'buying_agent' from public.documents d join t_id on t_id.id = d.showing_id where t_id.k = 'now2'),
  'null'::jsonb, 'a single-agent showing''s certificate has no buying agent');
select throws_ok(format($$insert into public.documents (type, showing_id) values ('certificate', %L)$$, pg_temp.id('now1')),
  '23505', null, 'a second certificate for the same showing is refused');
-- Visible to the customer and the deal's sides, no one else.
select isnt_empty(format('select 1 from public.documents where id = %L', pg_temp.id('cert1')),
  format('%s reads the certificate', c))
from unnest(array['00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a2',
                  '00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000b2', '00000000-0000-0000-0000-0000000000ad']) c,
     lateral pg_temp.act_as(c) a;
select is_empty(format('select 1 from public.documents where id = %L', pg_temp.id('cert1')),
  format('%s does not read the certificate', c))
from unnest(array['00000000-0000-0000-0000-0000000000a3', '00000000-0000-0000-0000-0000000000b3', '00000000-0000-0000-0000-0000000000c2']) c,
     lateral pg_temp.act_as(c) a;
reset role;

-- ===================================================================================== who may act
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
insert into t_id select 'sa', id from public.schedule_showing('00000000-0000-0000-0000-0000000000d1', now() + interval '4 days');
-- Another office's agent and broker, and the customer, may do nothing on it; nothing leaks whether it exists.
select throws_ok(format('select public.%s', f), '42501', m, format('%s: %s is refused', c, f))
from unnest(array['00000000-0000-0000-0000-0000000000a3', '00000000-0000-0000-0000-0000000000b3', '00000000-0000-0000-0000-0000000000c1']) c,
     lateral pg_temp.act_as(c) a,
     lateral (values
       ($$schedule_showing('00000000-0000-0000-0000-0000000000d1', now() + interval '5 days')$$, 'deal 00000000-0000-0000-0000-0000000000d1: not found or not yours'),
       (format('reschedule_showing(%L, now() + interval ''5 days'')', pg_temp.id('sa')), format('showing %s: not found or not yours', pg_temp.id('sa'))),
       (format('cancel_showing(%L)', pg_temp.id('sa')), format('showing %s: not found or not yours', pg_temp.id('sa'))),
       (format('mark_shown(%L)', pg_temp.id('sa')), format('showing %s: not found or not yours', pg_temp.id('sa')))) as v(f, m);
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a3');
select throws_ok($$select public.cancel_showing('00000000-0000-0000-0000-00000000ffff')$$, '42501',
  'showing 00000000-0000-0000-0000-00000000ffff: not found or not yours', 'a missing showing looks the same to an outsider');
select is_empty(format($$update public.showings set status = 'cancelled' where id = %L returning id$$, pg_temp.id('sa')),
  'another agent''s direct update reaches nothing');
select throws_ok($$insert into public.showings (portfolio_id, agent_id, customer_id, buying_agent_id, deal_id, scheduled_at) values ('2026-001', '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a3', '00000000-0000-0000-0000-0000000000d1', now() + interval '9 days')$$,
  '42501', null, 'another agent cannot insert a showing into the deal');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select isnt_empty(format('select 1 from public.showings where id = %L', pg_temp.id('sa')), 'the customer reads its showing');
select is_empty(format($$update public.showings set status = 'cancelled' where id = %L returning id$$, pg_temp.id('sa')),
  'the customer''s direct update reaches nothing');
select throws_ok($$insert into public.showings (portfolio_id, agent_id, customer_id, deal_id, scheduled_at) values ('2026-001', '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000d1', now() + interval '9 days')$$,
  '42501', null, 'the customer cannot insert a showing');
reset role;
set local role anon;
select throws_ok($$select public.schedule_showing('00000000-0000-0000-0000-0000000000d1', now() + interval '5 days')$$,
  '42501', null, 'anon cannot schedule');
select throws_ok(format('select public.mark_shown(%L)', pg_temp.id('sa')), '42501', null, 'anon cannot mark shown');
reset role;
select is(pg_temp.status('sa'), 'scheduled', 'the refused writes changed nothing');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select throws_ok($$select public.cancel_showing('00000000-0000-0000-0000-00000000ffff')$$, 'VC003',
  'showing 00000000-0000-0000-0000-00000000ffff not found', 'staff learn that a showing is missing');
-- The brokers of both sides, staff and the bot act.
select pg_temp.act_as('00000000-0000-0000-0000-0000000000b1');
select lives_ok(format($$select public.reschedule_showing(%L, now() + interval '4 days 2 hours')$$, pg_temp.id('sa')),
  'the listing agent''s broker reschedules');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000b2');
select is((select status from public.cancel_showing(pg_temp.id('sa'))), 'cancelled', 'the buying agent''s broker cancels');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select lives_ok($$select public.schedule_showing('00000000-0000-0000-0000-0000000000d1', now() + interval '11 days')$$, 'staff schedule');
select pg_temp.act_as_bot();
select lives_ok($$select public.schedule_showing('00000000-0000-0000-0000-0000000000d1', now() + interval '12 days')$$, 'the bot schedules');
reset role;

-- ===================================================================================== a deal that ends
select is((select count(*)::integer from public.showings where deal_id = '00000000-0000-0000-0000-0000000000d2' and status = 'scheduled'),
  3, 'd2 has three future showings');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select lives_ok($$select public.cancel_deal('00000000-0000-0000-0000-0000000000d2', 'Müşteri başka bir daire aldı')$$, 'd2 is cancelled');
reset role;
select is((select array_agg(distinct status) from public.showings where deal_id = '00000000-0000-0000-0000-0000000000d2'),
  array['cancelled'], 'a cancelled deal''s future showings are cancelled: their slots are free');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select lives_ok($$select public.schedule_showing('00000000-0000-0000-0000-0000000000d1', now() + interval '7 days')$$,
  'another party takes a freed slot');
reset role;

select * from finish();
rollback;
