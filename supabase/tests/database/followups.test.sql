-- Stale work and tasks (docs/deals.md): stale_deals lists the open deals the caller sees, idle for
-- longer than p_idle; open_followups opens one follow-up per stale open deal and idle period and one reminder
-- per unconfirmed closing side (reminder_sent), never twice; the task status machine pending -> done |
-- cancelled (VC002 naming both states, completed_at the database's); and who may do what.
-- (tests/test_followups_concurrency.py runs open_followups from many sessions at once.)
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(55);
\ir fixtures/helpers.psql

-- Moda Emlak: agent a1, broker b1. Boğaziçi: agent a2. Kuzey Emlak: agent a3. Admin ad. Customers c1, c2.
insert into public.contacts (id, phone, contact_type, display_name) values
  ('00000000-0000-0000-0000-0000000000a1', '+905321110001', 'agent', 'Ayşe Yılmaz'),
  ('00000000-0000-0000-0000-0000000000b1', '+905321110009', 'agent', 'Kemal Aydın'),
  ('00000000-0000-0000-0000-0000000000a2', '+905322220001', 'agent', 'Can Demir'),
  ('00000000-0000-0000-0000-0000000000a3', '+905323330001', 'agent', 'Elif Şahin'),
  ('00000000-0000-0000-0000-0000000000ad', '+905320000001', 'staff', 'Deniz Aksoy'),
  ('00000000-0000-0000-0000-0000000000c1', '+905551112233', 'customer', 'Zehra Polat'),
  ('00000000-0000-0000-0000-0000000000c2', '+905551112244', 'customer', 'Ahmet Yıldız');
insert into public.agent_profiles (contact_id, role, office) values
  ('00000000-0000-0000-0000-0000000000a1', 'agent', 'Moda Emlak'),
  ('00000000-0000-0000-0000-0000000000b1', 'broker', 'Moda Emlak'),
  ('00000000-0000-0000-0000-0000000000a2', 'agent', 'Boğaziçi Gayrimenkul'),
  ('00000000-0000-0000-0000-0000000000a3', 'agent', 'Kuzey Emlak'),
  ('00000000-0000-0000-0000-0000000000ad', 'admin', null);
insert into public.portfolios (id, agent_id, type, listing_type, title, district, rooms, listed_price) values
  ('2026-001', '00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'Moda''da 3+1', 'Kadıköy', '3+1', 12500000),
  ('2026-002', '00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'Fenerbahçe''de 2+1', 'Kadıköy', '2+1', 9500000),
  ('2026-003', '00000000-0000-0000-0000-0000000000a2', 'daire', 'sale', 'Bebek''te 4+1', 'Beşiktaş', '4+1', 30000000);
insert into public.portfolio_confidential (portfolio_id, commission_rate)
select id, 2.00 from public.portfolios;
-- d1 stale (10 days), d2 fresh (2 days), d3 stale but cancelled, d4 stale and closing (a1 alone),
-- d5 closing co-broking (a2 lists, a1 brings c1), idle 1 day; d6 was closing, then cancelled (fresh).
insert into public.deals (id, portfolio_id, customer_id, listing_agent_id, buying_agent_id) values
  ('00000000-0000-0000-0000-0000000000d1', '2026-001', '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a1', null),
  ('00000000-0000-0000-0000-0000000000d2', '2026-002', '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a1', null),
  ('00000000-0000-0000-0000-0000000000d3', '2026-003', '00000000-0000-0000-0000-0000000000c2', '00000000-0000-0000-0000-0000000000a2', null),
  ('00000000-0000-0000-0000-0000000000d4', '2026-001', '00000000-0000-0000-0000-0000000000c2', '00000000-0000-0000-0000-0000000000a1', null),
  ('00000000-0000-0000-0000-0000000000d5', '2026-003', '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a2',
   '00000000-0000-0000-0000-0000000000a1'),
  ('00000000-0000-0000-0000-0000000000d6', '2026-002', '00000000-0000-0000-0000-0000000000c2', '00000000-0000-0000-0000-0000000000a1', null);
update public.deals set status = 'cancelled', cancel_reason = 'Müşteri vazgeçti' where id = '00000000-0000-0000-0000-0000000000d3';
-- d4, d5, d6 to closing, one legal step at a time: showing, an accepted offer (negotiating, agreed), closing.
update public.deals set status = 'showing' where id in ('00000000-0000-0000-0000-0000000000d4', '00000000-0000-0000-0000-0000000000d5', '00000000-0000-0000-0000-0000000000d6');
insert into public.deal_negotiations (deal_id, from_contact_id, to_contact_id, amount)
select id, case when is_cross_agent then buying_agent_id else customer_id end, listing_agent_id, 9000000 from public.deals
where id in ('00000000-0000-0000-0000-0000000000d4', '00000000-0000-0000-0000-0000000000d5', '00000000-0000-0000-0000-0000000000d6');
update public.deal_negotiations set status = 'accepted';
update public.deals set status = 'closing' where id in ('00000000-0000-0000-0000-0000000000d4', '00000000-0000-0000-0000-0000000000d5', '00000000-0000-0000-0000-0000000000d6');
-- Entering closing creates the sides (functions/closing.sql); written here too for databases without it.
insert into public.deal_confirmations (deal_id, agent_id, role) values
  ('00000000-0000-0000-0000-0000000000d4', '00000000-0000-0000-0000-0000000000a1', 'listing'),
  ('00000000-0000-0000-0000-0000000000d5', '00000000-0000-0000-0000-0000000000a2', 'listing'),
  ('00000000-0000-0000-0000-0000000000d5', '00000000-0000-0000-0000-0000000000a1', 'buying'),
  ('00000000-0000-0000-0000-0000000000d6', '00000000-0000-0000-0000-0000000000a1', 'listing')
on conflict (deal_id, role) do nothing;
-- d4's side is 2 hours old; d5's buying side 3 days old and unconfirmed, its listing side confirmed.
update public.deal_confirmations set created_at = now() - interval '2 hours' where deal_id = '00000000-0000-0000-0000-0000000000d4';
update public.deal_confirmations set created_at = now() - interval '3 days' where deal_id = '00000000-0000-0000-0000-0000000000d5';
update public.deal_confirmations set confirmed = true, confirmed_at = now()
where deal_id = '00000000-0000-0000-0000-0000000000d5' and role = 'listing';
update public.deal_confirmations set created_at = now() - interval '5 days' where deal_id = '00000000-0000-0000-0000-0000000000d6';
update public.deals set status = 'cancelled', cancel_reason = 'Tapu iptal' where id = '00000000-0000-0000-0000-0000000000d6';
update public.deals d set last_activity_at = now() - v.idle
from (values ('00000000-0000-0000-0000-0000000000d1'::uuid, interval '10 days'), ('00000000-0000-0000-0000-0000000000d2', interval '2 days'),
             ('00000000-0000-0000-0000-0000000000d3', interval '20 days'), ('00000000-0000-0000-0000-0000000000d4', interval '30 days'),
             ('00000000-0000-0000-0000-0000000000d5', interval '1 day')) as v(id, idle)
where d.id = v.id;

create function pg_temp.stale(p_idle text) returns uuid[] language sql as $$
  select coalesce(array_agg(id order by id), '{}') from public.stale_deals(p_idle::interval)
$$;
-- What each open_followups run created, by run.
create temporary table t_run (run integer, task_id uuid, task_type text, deal_id uuid, agent_id uuid);
grant select, insert on t_run to anon, authenticated, service_role;
create function pg_temp.run(p_run integer) returns text[] language sql as $$
  select coalesce(array_agg(format('%s %s %s', task_type, right(deal_id::text, 2), right(agent_id::text, 2))
                            order by task_type, deal_id), '{}')
  from t_run where run = p_run
$$;

-- ===================================================================================== stale_deals
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select is(pg_temp.stale('7 days'), array['00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000d4']::uuid[],
  'the listing agent''s open deals idle for over 7 days (not the cancelled one)');
select is(pg_temp.stale('12 hours'), array['00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000d2',
  '00000000-0000-0000-0000-0000000000d4', '00000000-0000-0000-0000-0000000000d5']::uuid[],
  'over 12 hours: the buying side''s co-broking deal too');
select is((select array_agg(id) from public.stale_deals('7 days')),
  array['00000000-0000-0000-0000-0000000000d4', '00000000-0000-0000-0000-0000000000d1']::uuid[], 'idlest first');
select throws_ok($$select public.stale_deals('0 seconds')$$, 'VC001', 'idle must be a positive interval', 'idle 0 is refused');
select throws_ok($$select public.stale_deals('-1 day')$$, 'VC001', 'idle must be a positive interval', 'a negative idle is refused');
select throws_ok($$select public.stale_deals(null)$$, 'VC001', 'idle must be a positive interval', 'idle is required');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000b1');
select is(pg_temp.stale('7 days'), array['00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000d4']::uuid[],
  'the broker sees its office''s stale deals');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select is(pg_temp.stale('7 days'), '{}'::uuid[], 'another office''s agent: its cancelled deal is not stale, the rest are not its own');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a3');
select is(pg_temp.stale('1 second'), '{}'::uuid[], 'an agent with no deal sees none');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select is(pg_temp.stale('7 days'), array['00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000d4']::uuid[],
  'staff see every stale open deal');
reset role;
set local role anon;
select throws_ok($$select public.stale_deals('7 days')$$, '42501', null, 'anon cannot list stale deals');
reset role;

-- ===================================================================================== open_followups
select throws_ok('select public.open_followups()', '42501', 'only staff and the bot open follow-up tasks',
  format('%s cannot open follow-ups', c))
from unnest(array['00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000c1']) c,
     lateral pg_temp.act_as(c) a;
reset role;
set local role anon;
select throws_ok($$select public.open_followups()$$, '42501', null, 'anon cannot open follow-ups');
reset role;
select is((select count(*)::integer from public.tasks), 0, 'the refused calls opened nothing');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select throws_ok($$select public.open_followups(p_idle => '0 days')$$, 'VC001', 'idle must be a positive interval', 'open_followups: idle > 0');
select throws_ok($$select public.open_followups(p_remind_after => '-1 hour')$$, 'VC001', 'remind_after must not be a negative interval',
  'open_followups: remind_after >= 0');
insert into t_run select 1, * from public.open_followups();
reset role;
select is(pg_temp.run(1), array['followup d1 a1', 'followup d4 a1', 'reminder d5 a1'],
  'staff: a follow-up per stale open deal (listing agent), a reminder per unconfirmed side older than a day of a closing deal');
select row_eq($$select t.agent_id, t.task_type, t.related_contact, t.related_portfolio, t.deal_id, t.due_at, t.status, t.completed_at
                from public.tasks t where t.deal_id = '00000000-0000-0000-0000-0000000000d1'$$,
  row('00000000-0000-0000-0000-0000000000a1'::uuid, 'followup'::text, '00000000-0000-0000-0000-0000000000c1'::uuid, '2026-001'::text,
      '00000000-0000-0000-0000-0000000000d1'::uuid, now(), 'pending'::text, null::timestamptz),
  'the follow-up names the agent, customer, listing and deal, due now');
select matches((select title from public.tasks where deal_id = '00000000-0000-0000-0000-0000000000d1'),
  '^Takip: 2026-001 ilanındaki görüşme 10 gündür hareketsiz', 'the follow-up''s title says what to do, in Turkish');
select matches((select title from public.tasks where deal_id = '00000000-0000-0000-0000-0000000000d5'),
  '^Hatırlatma: 2026-003 ilanının kapanışını onaylayın', 'the reminder''s title says what to do, in Turkish');
select is((select array_agg(format('%s %s', role, reminder_sent) order by role) from public.deal_confirmations
           where deal_id = '00000000-0000-0000-0000-0000000000d5'),
  array['buying t', 'listing f'], 'the reminded side is marked reminder_sent; the confirmed side is not reminded');
select is((select count(*)::integer from public.tasks where deal_id = '00000000-0000-0000-0000-0000000000d3'), 0,
  'a cancelled deal gets no follow-up');
select pg_temp.act_as_bot();
insert into t_run select 2, * from public.open_followups();
reset role;
select is(pg_temp.run(2), '{}'::text[], 'a second run opens nothing');
select pg_temp.act_as_bot();
insert into t_run select 3, * from public.open_followups(p_remind_after => '1 hour');
reset role;
select is(pg_temp.run(3), array['reminder d4 a1'], 'a shorter remind_after reminds the younger side, once');
select pg_temp.act_as_bot();
insert into t_run select 4, * from public.open_followups(p_remind_after => '1 hour');
reset role;
select is(pg_temp.run(4), '{}'::text[], 'and not again');
-- d1 had activity after its follow-up and went idle again: a new idle period, a new follow-up.
update public.tasks set created_at = now() - interval '20 days' where deal_id = '00000000-0000-0000-0000-0000000000d1';
update public.deals set last_activity_at = now() - interval '9 days' where id = '00000000-0000-0000-0000-0000000000d1';
select pg_temp.act_as_bot();
insert into t_run select 5, * from public.open_followups(p_idle => '1 day');
reset role;
select is(pg_temp.run(5), array['followup d1 a1', 'followup d2 a1'],
  'a deal idle again after new activity gets a new follow-up; a shorter idle reaches d2');
select is((select count(*)::integer from public.tasks where task_type = 'followup'), 4, 'four follow-ups in all');

-- ===================================================================================== task status machine
select throws_ok($$insert into public.tasks (agent_id, task_type, title, status) values ('00000000-0000-0000-0000-0000000000a1', 'call', 'Ara', 'done')$$,
  'VC002', 'task status cannot start at done', 'a task starts pending, not done');
select throws_ok($$insert into public.tasks (agent_id, task_type, title, status) values ('00000000-0000-0000-0000-0000000000a1', 'call', 'Ara', 'cancelled')$$,
  'VC002', 'task status cannot start at cancelled', 'a task starts pending, not cancelled');
select throws_ok($$insert into public.tasks (agent_id, task_type, title, completed_at) values ('00000000-0000-0000-0000-0000000000a1', 'call', 'Ara', now())$$,
  'VC001', 'completed_at is set by the database when a task is done or cancelled', 'completed_at is not given on insert');
insert into public.tasks (id, agent_id, task_type, title) values
  ('00000000-0000-0000-0000-0000000000f1', '00000000-0000-0000-0000-0000000000a1', 'call', 'Zehra Hanım''ı ara'),
  ('00000000-0000-0000-0000-0000000000f2', '00000000-0000-0000-0000-0000000000a1', 'document', 'Tapu fotokopisini iste'),
  ('00000000-0000-0000-0000-0000000000f3', '00000000-0000-0000-0000-0000000000a1', 'showing_prep', 'Anahtarı al'),
  ('00000000-0000-0000-0000-0000000000f4', '00000000-0000-0000-0000-0000000000a1', 'call', 'Ahmet Bey''i ara'),
  ('00000000-0000-0000-0000-0000000000f5', '00000000-0000-0000-0000-0000000000a1', 'call', 'Mal sahibini ara');
select throws_ok($$update public.tasks set completed_at = now() where id = '00000000-0000-0000-0000-0000000000f1'$$,
  'VC001', 'completed_at is set by the database when a task is done or cancelled', 'completed_at is not set by hand');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select row_eq($$select status, completed_at from public.complete_task('00000000-0000-0000-0000-0000000000f1')$$,
  row('done'::text, now()), 'the agent completes its task: done, completed_at now');
select throws_ok($$select public.complete_task('00000000-0000-0000-0000-0000000000f1')$$,
  'VC002', 'task status cannot move from done to done', 'complete_task: not twice');
select throws_ok($$select public.cancel_task('00000000-0000-0000-0000-0000000000f1')$$,
  'VC002', 'task status cannot move from done to cancelled', 'cancel_task: not a done task');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000b1');
select row_eq($$select status, completed_at from public.cancel_task('00000000-0000-0000-0000-0000000000f2')$$,
  row('cancelled'::text, now()), 'the agent''s broker cancels its task: cancelled, completed_at now');
select throws_ok($$select public.complete_task('00000000-0000-0000-0000-0000000000f2')$$,
  'VC002', 'task status cannot move from cancelled to done', 'complete_task: not a cancelled task');
reset role;
select throws_ok($$update public.tasks set status = 'pending' where id = '00000000-0000-0000-0000-0000000000f1'$$,
  'VC002', 'task status cannot move from done to pending', 'done is final (pending)');
select throws_ok($$update public.tasks set status = 'cancelled' where id = '00000000-0000-0000-0000-0000000000f1'$$,
  'VC002', 'task status cannot move from done to cancelled', 'done is final (cancelled)');
select throws_ok($$update public.tasks set status = 'pending' where id = '00000000-0000-0000-0000-0000000000f2'$$,
  'VC002', 'task status cannot move from cancelled to pending', 'cancelled is final (pending)');
select throws_ok($$update public.tasks set status = 'done' where id = '00000000-0000-0000-0000-0000000000f2'$$,
  'VC002', 'task status cannot move from cancelled to done', 'cancelled is final (done)');
select throws_ok($$update public.tasks set completed_at = null where id = '00000000-0000-0000-0000-0000000000f1'$$,
  'VC001', 'completed_at is set by the database when a task is done or cancelled', 'a done task''s completed_at stays');
update public.tasks set status = 'done', completed_at = '2020-01-01' where id = '00000000-0000-0000-0000-0000000000f3';
select is((select completed_at from public.tasks where id = '00000000-0000-0000-0000-0000000000f3'), now(),
  'leaving pending, completed_at is the database''s time whatever was sent');

-- ===================================================================================== who may act on tasks
select throws_ok(format('select public.%s(''00000000-0000-0000-0000-0000000000f4'')', f), '42501',
  'task 00000000-0000-0000-0000-0000000000f4: not found or not yours', format('%s: %s is refused', c, f))
from unnest(array['00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-0000000000c1']) c,
     lateral pg_temp.act_as(c) a,
     unnest(array['complete_task', 'cancel_task']) f;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select throws_ok($$select public.complete_task('00000000-0000-0000-0000-00000000ffff')$$, '42501',
  'task 00000000-0000-0000-0000-00000000ffff: not found or not yours', 'a missing task looks the same to an outsider');
select is_empty($$update public.tasks set status = 'done' where id = '00000000-0000-0000-0000-0000000000f4' returning id$$,
  'another office''s agent''s direct update reaches nothing');
reset role;
set local role anon;
select throws_ok($$select public.complete_task('00000000-0000-0000-0000-0000000000f4')$$, '42501', null, 'anon cannot complete a task');
reset role;
select is((select status from public.tasks where id = '00000000-0000-0000-0000-0000000000f4'), 'pending', 'the refused calls changed nothing');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select throws_ok($$select public.cancel_task('00000000-0000-0000-0000-00000000ffff')$$, 'VC003',
  'task 00000000-0000-0000-0000-00000000ffff not found', 'staff learn that a task is missing');
select is((select status from public.complete_task('00000000-0000-0000-0000-0000000000f4')), 'done', 'staff complete any task');
select pg_temp.act_as_bot();
select is((select status from public.cancel_task('00000000-0000-0000-0000-0000000000f5')), 'cancelled', 'the bot cancels a task');
reset role;

select * from finish();
rollback;
