-- Stale work and tasks: the task status machine pending -> done | cancelled, and the RPCs stale_deals,
-- open_followups, complete_task, cancel_task (docs/deals.md).

-- Section - Triggers

-- pending -> done | cancelled; done and cancelled are final. completed_at is the database's: set when a task
-- leaves pending, never written by hand.
create or replace function private.tg_tasks__status() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    -- an unknown status is left to tasks_status_check
    if new.status in ('done', 'cancelled') then
      raise exception using errcode = 'VC002', message = format('task status cannot start at %s', new.status),
        hint = 'a task starts pending; complete or cancel it afterwards';
    elsif new.completed_at is not null then
      raise exception using errcode = 'VC001', message = 'completed_at is set by the database when a task is done or cancelled';
    elsif new.task_type in ('followup', 'reminder') and current_user in ('anon', 'authenticated', 'service_role') then
      -- follow-ups and reminders are the database's (open_followups, security definer, runs as the owner): one
      -- forged by an agent would switch off the other side's reminders
      raise exception using errcode = '42501',
        message = format('tasks of type %s are opened by the database (open_followups)', new.task_type);
    elsif guard.is_api_user() and not guard.is_staff() and new.deal_id is not null
          and not guard.can_act_on_deal(new.deal_id) then
      raise exception using errcode = '42501', message = 'deal_id: not found or not yours';
    end if;
    return new;
  end if;
  if guard.is_api_user() and not guard.is_staff()
     and (new.task_type, new.agent_id, new.deal_id) is distinct from (old.task_type, old.agent_id, old.deal_id) then
    raise exception using errcode = '42501', message = 'a task''s task_type, agent_id and deal_id are changed only by staff';
  end if;
  if new.status is distinct from old.status then
    if old.status <> 'pending' or new.status not in ('done', 'cancelled') then
      raise exception using errcode = 'VC002',
        message = format('task status cannot move from %s to %s', old.status, new.status),
        hint = 'pending -> done or cancelled; done and cancelled are final';
    end if;
    new.completed_at := now();
  elsif new.completed_at is distinct from old.completed_at then
    raise exception using errcode = 'VC001', message = 'completed_at is set by the database when a task is done or cancelled';
  end if;
  return new;
end
$$;
comment on function private.tg_tasks__status() is 'Trigger: task status pending -> done or cancelled, final; completed_at set when leaving pending and never by hand; followup and reminder tasks are opened by the database only (open_followups), a task names only a deal its agent acts on, and its type, agent and deal never change.';

create or replace trigger _210_status before insert or update on public.tasks
  for each row execute function private.tg_tasks__status();
comment on trigger _210_status on public.tasks
  is 'A task moves pending -> done or cancelled, final, with completed_at set by the database; follow-ups and reminders are opened only by the database, a task names only a deal its agent acts on, and type, agent and deal never change.';

-- Section - RPCs

-- Open deals the caller sees (row-level security decides) idle for longer than p_idle (7 days unless given, as
-- open_followups), the idlest first.
create or replace function public.stale_deals(p_idle interval default interval '7 days') returns setof public.deals
  language plpgsql stable
  set search_path = ''
as $$
begin
  if p_idle is null or p_idle <= interval '0' then
    raise exception using errcode = 'VC001', message = 'idle must be a positive interval';
  end if;
  perform guard.check_range(p_idle, 'idle', interval '0', interval '365 days');
  return query
    -- commission_total is not the API's to read (policies/deal_pipeline.sql); an open deal has none anyway
    select d.id, d.portfolio_id, d.customer_id, d.listing_agent_id, d.buying_agent_id, d.is_cross_agent,
              d.match_id, d.request_id, d.created_by, d.status, d.offer_price, d.closing_price,
              null::bigint as commission_total, d.cancel_reason, d.last_activity_at, d.closed_at, d.created_at,
              d.updated_at
    from public.deals d
    where d.status not in ('closed', 'cancelled') and d.last_activity_at < now() - p_idle
    order by d.last_activity_at, d.id;
end
$$;
comment on function public.stale_deals(interval) is 'Open deals (not closed or cancelled) the caller sees whose last activity is older than p_idle (default 7 days), idlest first. Agents their deals, brokers their office''s, staff and the bot all.';

-- One follow-up task per stale open deal and idle period, one reminder per unconfirmed closing side.
--
-- Many workers may run it at once (a cron on each node, a retry). Each pass takes the candidate rows with
-- FOR NO KEY UPDATE SKIP LOCKED (a worker skips what another is handling; no key lock, so showings, offers
-- and tasks referencing the deal are not blocked), then re-checks in a second statement, whose fresh
-- snapshot (READ COMMITTED, the default and PostgREST's) sees the tasks of a worker that held the lock and
-- committed before this one took it. A single statement would not: its snapshot predates that commit, and a
-- lock taken on an unmodified row re-checks nothing. Reminders also flip reminder_sent in the same statement
-- that creates them. Set-based throughout: one statement per step whatever the number of deals.
create or replace function public.open_followups(
  p_idle interval default interval '7 days',
  p_remind_after interval default interval '1 day'
) returns table (task_id uuid, task_type text, deal_id uuid, agent_id uuid)
  language plpgsql security definer  -- follow-ups and reminders are the database's (private.tg_tasks__status)
  set search_path = ''
as $$
declare
  v_deals uuid[];
  v_confirmations uuid[];
begin
  if guard.is_api_user() and not guard.is_staff() then
    raise exception using errcode = '42501', message = 'only staff and the bot open follow-up tasks';
  end if;
  if p_idle is null or p_idle <= interval '0' then
    raise exception using errcode = 'VC001', message = 'idle must be a positive interval';
  elsif p_remind_after is null or p_remind_after < interval '0' then
    raise exception using errcode = 'VC001', message = 'remind_after must not be a negative interval';
  end if;
  perform guard.check_range(p_idle, 'idle', interval '0', interval '365 days');
  perform guard.check_range(p_remind_after, 'remind_after', interval '0', interval '365 days');

  -- Follow-ups: lock the stale open deals without a follow-up since their last activity ...
  select coalesce(array_agg(c.id), '{}') into v_deals
  from (select d.id from public.deals d
        where d.status not in ('closed', 'cancelled') and d.last_activity_at < now() - p_idle
          and not exists (select 1 from public.tasks t
                          where t.deal_id = d.id and t.task_type = 'followup' and t.created_at >= d.last_activity_at)
        order by d.id
        for no key update of d skip locked) c;
  -- ... and, under the lock, with a fresh snapshot, open one for each that still needs it.
  return query
    insert into public.tasks as t (agent_id, task_type, title, related_contact, related_portfolio, deal_id, due_at)
    select d.listing_agent_id, 'followup',
           format('Takip: %s ilanındaki görüşme %s gündür hareketsiz, müşteriyi arayın', d.portfolio_id,
                  greatest(extract(day from now() - d.last_activity_at)::integer, 1)),
           d.customer_id, d.portfolio_id, d.id, now()
    from public.deals d
    where d.id = any(v_deals)
      and d.status not in ('closed', 'cancelled') and d.last_activity_at < now() - p_idle
      and not exists (select 1 from public.tasks x
                      where x.deal_id = d.id and x.task_type = 'followup' and x.created_at >= d.last_activity_at)
    returning t.id, t.task_type, t.deal_id, t.agent_id;

  -- Reminders: lock the unconfirmed sides of closing deals due a reminder ...
  select coalesce(array_agg(c.id), '{}') into v_confirmations
  from (select dc.id from public.deal_confirmations dc
        join public.deals d on d.id = dc.deal_id
        where d.status = 'closing' and not dc.confirmed and not dc.reminder_sent
          and dc.created_at < now() - p_remind_after
        order by dc.id
        for no key update of dc skip locked) c;
  -- ... and flip reminder_sent with the reminder, in one statement, re-checked under the lock.
  return query
    with reminded as (
      update public.deal_confirmations dc set reminder_sent = true
      from public.deals d
      where dc.id = any(v_confirmations) and d.id = dc.deal_id
        and d.status = 'closing' and not dc.confirmed and not dc.reminder_sent
        and dc.created_at < now() - p_remind_after
      returning dc.agent_id, dc.role, d.id as deal_id, d.portfolio_id, d.customer_id
    )
    insert into public.tasks as t (agent_id, task_type, title, related_contact, related_portfolio, deal_id, due_at)
    select r.agent_id, 'reminder',
           format('Hatırlatma: %s ilanının kapanışını onaylayın (%s tarafı)', r.portfolio_id,
                  case r.role when 'listing' then 'satıcı' else 'alıcı' end),
           r.customer_id, r.portfolio_id, r.deal_id, now()
    from reminded r
    returning t.id, t.task_type, t.deal_id, t.agent_id;
end
$$;
comment on function public.open_followups(interval, interval) is 'Open one follow-up task (for the listing agent) per open deal idle longer than p_idle that has none since its last activity, and one reminder task per unconfirmed side of a closing deal older than p_remind_after (marking reminder_sent); never twice, also when many workers run it at once. Returns the tasks created. Staff and the bot.';

-- Move a task the caller manages (its agent, the agent's broker, staff, the bot) out of pending.
create or replace function guard.set_task_status(p_task_id uuid, p_status text) returns setof public.tasks
  language plpgsql
  set search_path = ''
as $$
declare
  v_status text;
begin
  select t.status into v_status from public.tasks t where t.id = p_task_id for update;
  if not found then
    perform guard.deny_or_missing(format('task %s', p_task_id));
  end if;
  if v_status <> 'pending' then
    raise exception using errcode = 'VC002', message = format('task status cannot move from %s to %s', v_status, p_status),
      hint = 'pending -> done or cancelled; done and cancelled are final';
  end if;
  return query update public.tasks t set status = p_status where t.id = p_task_id returning t.*;
end
$$;
comment on function guard.set_task_status(uuid, text) is 'Moves a task the caller manages from pending to done or cancelled (row-level security and the status trigger apply).';

create or replace function public.complete_task(p_task_id uuid) returns setof public.tasks
  language sql
  set search_path = ''
as $$
  select * from guard.set_task_status(p_task_id, 'done')
$$;
comment on function public.complete_task(uuid) is 'Mark a pending task done (completed_at = now). Its agent, the agent''s broker, staff, bot.';

create or replace function public.cancel_task(p_task_id uuid) returns setof public.tasks
  language sql
  set search_path = ''
as $$
  select * from guard.set_task_status(p_task_id, 'cancelled')
$$;
comment on function public.cancel_task(uuid) is 'Cancel a pending task (completed_at = now). Its agent, the agent''s broker, staff, bot.';

revoke execute on function public.stale_deals(interval), public.open_followups(interval, interval),
  public.complete_task(uuid), public.cancel_task(uuid) from public, anon;
grant execute on function public.stale_deals(interval), public.open_followups(interval, interval),
  public.complete_task(uuid), public.cancel_task(uuid) to authenticated, service_role;
revoke execute on function guard.set_task_status(uuid, text) from public, anon;
grant execute on function guard.set_task_status(uuid, text) to authenticated, service_role;
