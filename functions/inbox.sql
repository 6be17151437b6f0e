-- Inbox: the claim queue of inbound WhatsApp messages. Workers (the bot as service_role, or
-- staff) claim batches under a lease, acknowledge each message once handled (message_log.processed_at, the
-- claim column, is set then), or hand it back; an unacknowledged message whose lease has passed is handed out
-- again; a message that failed too often goes to the dead letters, which staff read and requeue.
--
-- Order per contact: a contact's messages are handed out oldest first (created_at = WhatsApp's timestamp) and
-- to one worker at a time. While any message of a contact is held under a live lease (claimed, neither
-- acknowledged nor handed back), none of that contact's messages is handed out, not even one that arrived
-- meanwhile; a batch may carry several messages of one contact (a burst), in order, to the one worker, which
-- handles them in that order. Different contacts go to different workers in parallel. A dead letter does not
-- hold its contact up (a poison message must not silence a customer); a requeued one is handed out before the
-- contact's later waiting messages.
--
-- Attempts: claim_attempts is +1 when a message is handed out. A failed attempt is a lease that expired or a
-- release with an error; a release without an error hands the message back untried (-1). A message that has
-- had p_max_attempts attempts is moved to the dead letters by the claim that would hand it out again.

-- Section - Input checks

create or replace function guard.check_worker(p_worker text) returns void
  language plpgsql immutable
  set search_path = ''
as $$
begin
  if p_worker is null or btrim(p_worker) = '' or length(p_worker) > 200 then
    raise exception using errcode = 'VC001', message = 'worker must be 1-200 characters (the name of the process that claims, e.g. bot-1)';
  end if;
end
$$;
comment on function guard.check_worker(text) is 'Raises VC001 naming the field when a worker name is empty or longer than 200 characters.';

-- Only the bot (service_role, or the database's own user) and staff work the inbox.
create or replace function guard.check_inbox_caller(p_action text) returns void
  language plpgsql stable
  set search_path = ''
as $$
begin
  if guard.is_api_user() and not guard.is_staff() then
    raise exception using errcode = '42501', message = format('%s: only the bot (service_role) and staff work the inbox', p_action);
  end if;
end
$$;
comment on function guard.check_inbox_caller(text) is 'Raises 42501 unless the caller is the bot (service_role), the database''s own user or staff.';

-- Section - Claim

-- Hand out up to p_batch waiting inbound messages to p_worker for p_lease. Read committed only: each statement
-- reads what is committed when it starts.
-- 0. messages whose lease has passed go back to the queue (lease_until null), the expiry kept in last_error.
-- 1. the contacts of the oldest waiting messages whose contact holds no live lease are locked, for no key update
--    skip locked (LIMIT counts rows after the skip, as pgmq's read: concurrent claimers take the next contacts
--    instead of colliding on the same ones). The lock is held to commit: one claimer per contact at a time.
-- 2. a new snapshot, taken once every claimer that held those contacts before has committed, so their leases are
--    visible: the contacts' waiting messages, oldest first, unless the contact holds a live lease, locked for
--    update skip locked; per contact only the run before the first row not locked is taken (a gap would break
--    the order). Each taken message is handed out (claimed_by, lease_until, attempts + 1) or, at p_max_attempts,
--    dead-lettered; in that case a further round fills the batch.
-- Indexes (migration 0017): statement 0 reads message_log_held_idx (leased messages only), statement 1
-- message_log_claim_idx (never leased or handed back, in created_at order: messages held by workers are not in
-- it, so they are never read past), statement 2 message_log_claim_contact_idx (a contact's waiting messages, in
-- order); processed history is never read. Whether a contact holds a live lease is one probe of
-- message_log_held_idx, however many messages the contact has waiting. Each scan has exactly one usable partial
-- index (the probe names no direction, which the queue indexes require; the per-contact scan does not state
-- lease_until is null, which the queue index requires), so stale statistics cannot send a scan to the wrong one:
-- after a burst of 100k messages, before any analyze, a probe that filtered all of message_log_claim_idx per
-- candidate took 1.5 s per claim. The probe is written `(select true where not exists (...)) is not null`, a
-- subplan per candidate row: as a plain NOT EXISTS the planner, which cannot see that the LIMIT stops the scan
-- after a few hundred rows, may make it an anti join over a scan of message_log, and `(...) is null` is estimated
-- at 0.5% of the rows, which costs the LIMIT as a scan of the whole queue (a sort of it can then look cheaper); IS
-- NOT NULL is estimated at 99.5%, so the plan stays an ordered index scan stopped by the LIMIT.
-- Measured: docs/inbox.md, Throughput.
create or replace function public.claim_messages(
  p_worker text,
  p_batch integer default 10,
  p_lease interval default '5 minutes',
  p_max_attempts integer default 5
) returns setof public.message_log
  language plpgsql security definer
  set search_path = ''
  -- planned once per session: planning custom plans took 0.6 of the 0.95 ms of a claim at batch 1. The generic
  -- plans stay index scans whatever the statistics say (one usable partial index per scan, above): at 30k waiting
  -- messages a claim of 100 takes 4 ms, and after a burst of 100k before any analyze 10 ms
  set plan_cache_mode = force_generic_plan
as $$
declare
  v_left integer;
  v_contacts uuid[];
  v_rows public.message_log[];
  v_handed integer;
begin
  perform guard.check_inbox_caller('claim_messages');
  perform guard.check_worker(p_worker);
  if p_batch is null or p_batch not between 1 and 1000 then
    raise exception using errcode = 'VC001', message = 'batch must be between 1 and 1000 messages';
  end if;
  if p_lease is null or p_lease < interval '1 second' or p_lease > interval '1 hour' then
    raise exception using errcode = 'VC001', message = 'lease must be between 1 second and 1 hour';
  end if;
  if p_max_attempts is null or p_max_attempts not between 1 and 100 then
    raise exception using errcode = 'VC001', message = 'max_attempts must be between 1 and 100';
  end if;
  if current_setting('transaction_isolation') <> 'read committed' then
    raise exception using errcode = 'VC001', message = 'claim_messages runs in a read committed transaction (each step reads what is committed)';
  end if;

  -- 0. passed leases go back to the queue, their expiry kept as the last failure (skip locked: another claim may
  -- be doing the same or handing one of them out)
  with passed as (
    select m.id from public.message_log m
    where m.lease_until <= now() and m.processed_at is null and m.dead_at is null
    for update skip locked
  )
  update public.message_log m
  set lease_until = null,
      last_error = format('the lease of worker %s expired at %s without an acknowledgement', m.claimed_by, m.lease_until)
  from passed p
  where p.id = m.id;

  v_left := p_batch;
  loop
    -- 1. lock the contacts of the oldest waiting messages (a contact appears once per message: the same lock)
    v_contacts := array(
      select c.id
      from public.message_log m
      join public.contacts c on c.id = m.from_contact
      where m.direction = 'inbound' and m.processed_at is null and m.dead_at is null and m.lease_until is null
        and (select true where not exists (
               select 1 from public.message_log h
               where h.from_contact = m.from_contact and h.lease_until > now()
                 and h.processed_at is null and h.dead_at is null)) is not null
      order by m.created_at, m.id
      limit v_left
      for no key update of c skip locked);
    exit when cardinality(v_contacts) = 0;

    -- 2. their messages, oldest first, as one unbroken run per contact
    with waiting as (
      select w.id, w.from_contact, w.created_at
      from (select distinct k.id from unnest(v_contacts) as k (id)) as k
      cross join lateral (
        select m.id, m.from_contact, m.created_at
        from public.message_log m
        where m.from_contact = k.id and m.direction = 'inbound' and m.processed_at is null and m.dead_at is null
        order by m.created_at, m.id
        limit v_left) as w
      where (select true where not exists (
               select 1 from public.message_log h
               where h.from_contact = k.id and h.lease_until > now()
                 and h.processed_at is null and h.dead_at is null)) is not null
      order by w.created_at, w.id
      limit v_left
    ),
    locked as (
      select m.id
      from public.message_log m
      where m.id in (select w.id from waiting w)
        and m.processed_at is null and m.dead_at is null and (m.lease_until is null or m.lease_until <= now())
      for update skip locked
    ),
    runs as (
      select w.id,
             bool_and(l.id is not null) over (partition by w.from_contact order by w.created_at, w.id) as unbroken
      from waiting w
      left join locked l on l.id = w.id
    ),
    taken as (
      update public.message_log m
      set claimed_by = case when m.claim_attempts < p_max_attempts then p_worker else m.claimed_by end,
          lease_until = case when m.claim_attempts < p_max_attempts then now() + p_lease end,
          claim_attempts = m.claim_attempts + case when m.claim_attempts < p_max_attempts then 1 else 0 end,
          dead_at = case when m.claim_attempts >= p_max_attempts then now() end
      from runs r
      where r.id = m.id and r.unbroken
      returning m.*
    )
    select array_agg(t order by t.created_at, t.id) into v_rows from taken t;

    v_handed := (select count(*) from unnest(v_rows) as r where r.dead_at is null);
    return query select * from unnest(v_rows) as r where r.dead_at is null;
    v_left := v_left - v_handed;
    -- another round only when dead letters took places in this one
    exit when v_left = 0 or v_handed = coalesce(cardinality(v_rows), 0);
  end loop;
end
$$;
comment on function public.claim_messages(text, integer, interval, integer) is 'Hand out up to p_batch (1-1000) waiting inbound messages to the worker p_worker (1-200 characters) for p_lease (1 second - 1 hour): a contact''s messages oldest first and only to one worker at a time (none while another of its messages is held), never one message to two live workers; each handed-out message gets claimed_by, lease_until and claim_attempts + 1. A message that has had p_max_attempts (1-100) attempts goes to the dead letters instead. Returns the handed-out messages, oldest first; read committed only. The bot (service_role) and staff.';

-- Section - Acknowledge, release

-- The message as the worker holding its live lease sees it; otherwise VC003 (no such inbound message) or VC004.
create or replace function private.inbox_refusal(p_message_id uuid, p_worker text) returns void
  language plpgsql stable
  set search_path = ''
as $$
declare
  v public.message_log;
begin
  select * into v from public.message_log m where m.id = p_message_id and m.direction = 'inbound';
  if not found then
    raise exception using errcode = 'VC003', message = format('inbound message %s not found', p_message_id);
  end if;
  raise exception using
    errcode = 'VC004',
    message = format('message %s is not held by worker %s', p_message_id, p_worker),
    detail = case when v.processed_at is not null then 'it was acknowledged already'
                  when v.dead_at is not null then 'it is a dead letter'
                  when v.lease_until is null then 'it is waiting to be claimed'
                  when v.lease_until <= now() then 'its lease expired'
                  else 'another worker holds it' end,
    hint = 'only the worker holding the live lease acknowledges or releases a message';
end
$$;
comment on function private.inbox_refusal(uuid, text) is 'Raises VC003 when no inbound message has this id, else VC004 saying why the worker does not hold it; called by the inbox doors after they checked the caller (the bot or staff).';

create or replace function public.ack_message(p_message_id uuid, p_worker text) returns setof public.message_log
  language plpgsql security definer
  set search_path = ''
as $$
begin
  perform guard.check_inbox_caller('ack_message');
  perform guard.check_worker(p_worker);
  return query
    update public.message_log m
    set processed_at = now(), lease_until = null
    where m.id = p_message_id and m.direction = 'inbound' and m.claimed_by = p_worker
      and m.lease_until > now() and m.processed_at is null and m.dead_at is null
    returning m.*;
  if not found then
    perform private.inbox_refusal(p_message_id, p_worker);
  end if;
end
$$;
comment on function public.ack_message(uuid, text) is 'Acknowledge a message as handled: processed_at = now(); it is never handed out again. Only the worker p_worker holding its live lease; anyone else VC004 (VC003: no such inbound message), and nothing changes. Returns the message. The bot (service_role) and staff.';

-- A worker's whole batch in one call (one transaction through the API: PostgREST runs each RPC in its own):
-- every listed message must be held by p_worker, else nothing changes. The rows are locked before they are
-- checked, so a claim racing an expiring lease cannot make it half done.
create or replace function public.ack_messages(p_message_ids uuid[], p_worker text) returns setof public.message_log
  language plpgsql security definer
  set search_path = ''
as $$
declare
  v_held integer;
  v_missing uuid;
begin
  perform guard.check_inbox_caller('ack_messages');
  perform guard.check_worker(p_worker);
  if p_message_ids is null or cardinality(p_message_ids) not between 1 and 1000 then
    raise exception using errcode = 'VC001', message = 'message_ids must hold 1-1000 message ids';
  end if;
  select count(*) into v_held
  from (select m.id from public.message_log m
        where m.id = any (p_message_ids) and m.direction = 'inbound' and m.claimed_by = p_worker
          and m.lease_until > now() and m.processed_at is null and m.dead_at is null
        for update) as h;
  if v_held < (select count(distinct x) from unnest(p_message_ids) as x) then
    select x into v_missing from unnest(p_message_ids) with ordinality as u (x, n)
    where not exists (select 1 from public.message_log m
                      where m.id = u.x and m.direction = 'inbound' and m.claimed_by = p_worker
                        and m.lease_until > now() and m.processed_at is null and m.dead_at is null)
    order by u.n limit 1;
    perform private.inbox_refusal(v_missing, p_worker);
  end if;
  return query
    update public.message_log m
    set processed_at = now(), lease_until = null
    where m.id = any (p_message_ids) and m.claimed_by = p_worker and m.lease_until > now()
      and m.processed_at is null and m.dead_at is null
    returning m.*;
end
$$;
comment on function public.ack_messages(uuid[], text) is 'Acknowledge a batch of handled messages in one call (1-1000 ids): processed_at = now() for each. Every one must be held by p_worker under a live lease; otherwise VC004 for the first that is not (VC003: no such inbound message) and nothing changes. Returns the messages. The bot (service_role) and staff.';

-- Hand a held message back at once. Its contact's later messages that the same worker holds go back with it,
-- untried: they must not be handled before it. With p_error the message's attempt counts as failed and the
-- error is kept; without, it is handed back untried (the attempt does not count).
create or replace function public.release_message(p_message_id uuid, p_worker text, p_error text default null)
  returns setof public.message_log
  language plpgsql security definer
  set search_path = ''
as $$
begin
  perform guard.check_inbox_caller('release_message');
  perform guard.check_worker(p_worker);
  if p_error is not null and (btrim(p_error) = '' or length(p_error) > 2000) then
    raise exception using errcode = 'VC001', message = 'error must be 1-2000 characters (leave it out to hand the message back untried)';
  end if;
  return query
    with target as (
      select m.id, m.from_contact, m.created_at
      from public.message_log m
      where m.id = p_message_id and m.direction = 'inbound' and m.claimed_by = p_worker
        and m.lease_until > now() and m.processed_at is null and m.dead_at is null
      for update
    ),
    released as (
      update public.message_log m
      set lease_until = null,
          claim_attempts = m.claim_attempts - case when m.id = t.id and p_error is not null then 0 else 1 end,
          last_error = case when m.id = t.id and p_error is not null then p_error else m.last_error end
      from target t
      where m.from_contact = t.from_contact and m.direction = 'inbound' and m.processed_at is null
        and m.dead_at is null and m.claimed_by = p_worker and m.lease_until > now()
        and (m.created_at, m.id) >= (t.created_at, t.id)
      returning m.*
    )
    select * from released r order by r.created_at, r.id;
  if not found then
    perform private.inbox_refusal(p_message_id, p_worker);
  end if;
end
$$;
comment on function public.release_message(uuid, text, text) is 'Hand a message held by p_worker back at once, with the same worker''s later held messages of that contact (untried). With p_error (1-2000 characters) the attempt counts as failed and the error is kept in last_error; without, the message goes back untried. Anyone but the holder VC004 (VC003: no such inbound message), and nothing changes. Returns the messages handed back, the given one first. The bot (service_role) and staff.';

-- Section - Dead letters

create or replace function public.dead_messages(p_limit integer default 50, p_offset integer default 0)
  returns setof public.message_log
  language plpgsql stable
  set search_path = ''
as $$
begin
  perform guard.check_inbox_caller('dead_messages');
  perform guard.check_page(p_limit, p_offset);
  return query
    select * from public.message_log m
    where m.dead_at is not null
    order by m.dead_at desc, m.id
    limit p_limit offset p_offset;
end
$$;
comment on function public.dead_messages(integer, integer) is 'The dead letters (messages that failed too often and are no longer handed out), newest first, with last_error and claim_attempts; p_limit 1-500, p_offset 0-100000. Staff and the bot.';

create or replace function public.requeue_message(p_message_id uuid) returns setof public.message_log
  language plpgsql security definer
  set search_path = ''
as $$
declare
  v public.message_log;
begin
  perform guard.check_inbox_caller('requeue_message');
  return query
    update public.message_log m
    set dead_at = null, lease_until = null, claim_attempts = 0
    where m.id = p_message_id and m.direction = 'inbound' and m.dead_at is not null
    returning m.*;
  if not found then
    select * into v from public.message_log m where m.id = p_message_id and m.direction = 'inbound';
    if not found then
      raise exception using errcode = 'VC003', message = format('inbound message %s not found', p_message_id);
    end if;
    raise exception using
      errcode = 'VC002',
      message = format('message %s is %s, not a dead letter: only a dead letter is requeued', p_message_id,
                       case when v.processed_at is not null then 'processed'
                            when v.lease_until > now() then 'held by a worker'
                            else 'waiting' end);
  end if;
end
$$;
comment on function public.requeue_message(uuid) is 'Put a dead letter back in the queue with its attempts at 0 (last_error is kept): it is handed out before its contact''s later waiting messages. A message that is not dead VC002, none VC003. Staff and the bot.';

revoke execute on function guard.check_worker(text), guard.check_inbox_caller(text) from public, anon;
grant execute on function guard.check_worker(text), guard.check_inbox_caller(text) to authenticated, service_role;
revoke execute on function private.inbox_refusal(uuid, text) from public, anon, authenticated, service_role;
revoke execute on function public.claim_messages(text, integer, interval, integer), public.ack_message(uuid, text),
  public.ack_messages(uuid[], text), public.release_message(uuid, text, text), public.dead_messages(integer, integer), public.requeue_message(uuid)
  from public, anon;
grant execute on function public.claim_messages(text, integer, interval, integer), public.ack_message(uuid, text),
  public.ack_messages(uuid[], text), public.release_message(uuid, text, text), public.dead_messages(integer, integer), public.requeue_message(uuid)
  to authenticated, service_role;
