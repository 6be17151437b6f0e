-- Delivery: pending notifications go out through the WhatsApp Cloud API only inside the contact's 24-hour
-- window, proactive ones only with marketing consent, each once (docs/delivery.md).
--
-- Two steps, because the send is an HTTP call the database cannot wrap in its transaction:
--   1. claim_notifications(batch, lease) hands a batch to a worker under a lease (claimed_until) and counts
--      the attempt; nothing is delivered yet.
--   2. notification_sent(id, wa_message_id), called once the Cloud API answered with the message id, logs the
--      send in message_log (outbound, to the contact, with that id) and sets delivered_at, in one transaction.
-- A worker that dies between the two loses nothing: the lease expires and the notification is handed out
-- again (at most 5 times; then it stays, undelivered, for staff to see). delivered_at and wa_message_id are
-- written once, by notification_sent only.
--
-- The window is public.window_open's rule (functions/window.sql): interaction_tracker.last_inbound > now() - 24
-- hours, read here from the column, set-based. A notification is handed out only while the window stays open for the
-- whole lease, so a worker that sends within its lease never sends into a closed window.

-- Section - Triggers

-- The delivery columns are the database's: no client (anon, authenticated, service_role) sets delivered_at,
-- wa_message_id, the claim or match_id on insert or changes them afterwards (claim_notifications,
-- notification_sent and share_listing run as the owner); a delivered notification is evidence and never
-- changes, for anyone (match_id may only be cleared, by its foreign key when the match goes).
create or replace function private.tg_pending_notifications__delivery() returns trigger
  language plpgsql
  set search_path = ''
as $$
declare
  v_client constant boolean := current_user in ('anon', 'authenticated', 'service_role');
begin
  if tg_op = 'INSERT' then
    if v_client and (new.delivered_at is not null or new.wa_message_id is not null or new.claimed_until is not null
                     or new.claim_attempts <> 0 or new.match_id is not null) then
      raise exception using errcode = '42501',
        message = 'pending_notifications: delivered_at, wa_message_id, the claim and match_id are the database''s',
        hint = 'queue the notification only; claim_notifications and notification_sent deliver it, share_listing names a match';
    end if;
    return new;
  end if;
  if old.delivered_at is not null
     and ((new.contact_id, new.kind, new.body, new.buttons, new.delivered_at, new.wa_message_id, new.claimed_until,
           new.claim_attempts, new.created_at)
          is distinct from (old.contact_id, old.kind, old.body, old.buttons, old.delivered_at, old.wa_message_id,
                            old.claimed_until, old.claim_attempts, old.created_at)
          or new.match_id is distinct from old.match_id and new.match_id is not null) then
    raise exception using errcode = 'VC002',
      message = format('notification %s was delivered: a delivered notification never changes', old.id);
  end if;
  if v_client and ((new.delivered_at, new.wa_message_id, new.claimed_until, new.claim_attempts, new.match_id)
                   is distinct from (old.delivered_at, old.wa_message_id, old.claimed_until, old.claim_attempts, old.match_id)) then
    raise exception using errcode = '42501',
      message = 'pending_notifications: delivered_at, wa_message_id, the claim and match_id are the database''s',
      hint = 'claim_notifications hands a notification out, notification_sent marks it delivered';
  end if;
  return new;
end
$$;
comment on function private.tg_pending_notifications__delivery() is 'Trigger: delivered_at, wa_message_id, the claim (claimed_until, claim_attempts) and match_id are written by the database only (42501 for clients); a delivered notification never changes (VC002).';

create or replace trigger _200_delivery before insert or update on public.pending_notifications
  for each row execute function private.tg_pending_notifications__delivery();
comment on trigger _200_delivery on public.pending_notifications
  is 'Delivery columns (delivered_at, wa_message_id, the claim, match_id) are written by the database only (42501 for clients), and a delivered notification never changes (VC002): delivery is evidence.';

-- A reminder task for an unconfirmed closing side (open_followups) also goes to its agent on WhatsApp: one
-- reminder notification per task, in the statement that opened the tasks.
create or replace function private.tg_tasks__notify_reminder() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  -- only the database opens reminders (tasks' _210_status); an agent's own tasks reach no insert here, which
  -- its role could not run
  if not exists (select 1 from new_rows n where n.task_type = 'reminder') then
    return null;
  end if;
  insert into public.pending_notifications (contact_id, kind, body, buttons)
  select n.agent_id, 'reminder', n.title,
         case when n.deal_id is not null then
           jsonb_build_array(jsonb_build_object('id', 'confirm_closing:' || n.deal_id, 'title', 'Kapanışı onayla'))
         end
  from new_rows n
  where n.task_type = 'reminder';
  return null;
end
$$;
comment on function private.tg_tasks__notify_reminder() is 'Statement trigger: each new reminder task (an unconfirmed closing side) queues one reminder notification for its agent.';

create or replace trigger _900_notify_reminder after insert on public.tasks
  referencing new table as new_rows for each statement execute function private.tg_tasks__notify_reminder();
comment on trigger _900_notify_reminder on public.tasks
  is 'Each new closing reminder task queues one reminder notification for its agent.';

-- Section - RPCs

-- Hand out up to p_batch pending notifications, oldest first, each under a lease of p_lease.
--
-- Claiming: one statement, as pgmq's read: the candidates (undelivered; lease free or expired; fewer than 5
-- attempts; the contact's window open for the whole lease; not opted out or blocked; proactive only with
-- marketing consent) ordered by created_at, limit p_batch, FOR UPDATE OF the notification SKIP LOCKED, then
-- the lease and attempt written in the same statement. A row another worker claimed or marked sent after
-- this statement's snapshot is re-checked under its lock (READ COMMITTED re-evaluates the conditions on the
-- newest version), so no notification is handed to two live workers. The open windows drive the plan
-- (interaction_tracker_last_inbound_idx), each probing the undelivered notifications of its contact
-- (pending_notifications_claim_idx): notifications waiting for a closed window are never read.
create or replace function public.claim_notifications(
  p_batch integer default 50,
  p_lease interval default interval '5 minutes'
) returns table (
    id uuid, contact_id uuid, phone text, bsuid text, kind text, body text, buttons jsonb, created_at timestamptz,
    claim_attempts integer, claimed_until timestamptz
  )
  language plpgsql security definer
  set search_path = ''
as $$
#variable_conflict use_column
begin
  if guard.is_api_user() and not guard.is_staff() then
    raise exception using errcode = '42501', message = 'claim_notifications: only the bot (service_role) and staff hand out notifications';
  end if;
  if p_batch is null or p_batch not between 1 and 500 then
    raise exception using errcode = 'VC001', message = 'batch must be between 1 and 500';
  end if;
  if p_lease is null or p_lease not between interval '1 second' and interval '1 hour' then
    raise exception using errcode = 'VC001', message = 'lease must be between 1 second and 1 hour';
  end if;

  return query
    with claimable as materialized (
      select n.id
      from public.interaction_tracker t
      join public.pending_notifications n on n.contact_id = t.contact_id
      join public.contacts c on c.id = n.contact_id
      where t.last_inbound > now() - interval '24 hours' + p_lease
        and n.delivered_at is null
        and (n.claimed_until is null or n.claimed_until <= clock_timestamp())
        and n.claim_attempts < 5
        and c.onboarding_status not in ('opted_out', 'blocked')
        and (n.kind <> 'proactive' or c.consent_marketing)
      order by n.created_at, n.id
      limit p_batch
      for update of n skip locked
    ),
    claimed as (
      update public.pending_notifications n
      set claimed_until = clock_timestamp() + p_lease, claim_attempts = n.claim_attempts + 1
      from claimable k
      where n.id = k.id
      returning n.id, n.contact_id, n.kind, n.body, n.buttons, n.created_at, n.claim_attempts, n.claimed_until
    )
    select k.id, k.contact_id, c.phone, c.bsuid, k.kind, k.body, k.buttons, k.created_at, k.claim_attempts,
           k.claimed_until
    from claimed k
    join public.contacts c on c.id = k.contact_id
    order by k.created_at, k.id;
end
$$;
comment on function public.claim_notifications(integer, interval) is 'Hand out up to p_batch (1-500) pending notifications, oldest first, each under a lease of p_lease (1 second - 1 hour): only to contacts whose 24-hour window stays open for the lease, never opted out or blocked, proactive ones only with marketing consent; never one to two live workers. Returns what the sender needs (phone or bsuid, body, buttons). Send each, then call notification_sent; a notification not marked sent is handed out again when its lease expires (5 attempts at most). The bot (service_role) and staff.';

revoke execute on function public.claim_notifications(integer, interval) from public, anon;
grant execute on function public.claim_notifications(integer, interval) to authenticated, service_role;

-- Record that a claimed notification went out: WhatsApp accepted it as p_wa_message_id. Logs the send in
-- message_log (outbound, to the contact, with the notification's text, in the contact's active session as
-- ingest_message files an outbound message; the tracker trigger moves last_outbound) and sets delivered_at, in one
-- transaction under the notification's row lock. The same id again returns the
-- delivery unchanged (a retried call); another id for a delivered notification is a Conflict (it was sent twice:
-- a lease expired under a slow worker). A message the bot already logged with this id (ingest_message) is
-- linked, not logged twice.
create or replace function public.notification_sent(p_notification_id uuid, p_wa_message_id text)
  returns table (id uuid, contact_id uuid, kind text, delivered_at timestamptz, wa_message_id text, message_id uuid)
  language plpgsql security definer
  set search_path = ''
as $$
#variable_conflict use_column
declare
  v_n public.pending_notifications;
  v_message uuid;
  v_found record;
begin
  if guard.is_api_user() and not guard.is_staff() then
    raise exception using errcode = '42501', message = 'notification_sent: only the bot (service_role) and staff record a delivery';
  end if;
  if p_wa_message_id is null or length(btrim(p_wa_message_id)) = 0 then
    raise exception using errcode = 'VC001', message = 'wa_message_id is required (the id the WhatsApp Cloud API returned)';
  end if;
  perform guard.check_text(p_wa_message_id, 'wa_message_id', 256);

  select * into v_n from public.pending_notifications n where n.id = p_notification_id for update;
  if not found then
    raise exception using errcode = 'VC003', message = format('notification %s not found', p_notification_id);
  end if;
  if v_n.delivered_at is not null then
    if v_n.wa_message_id = p_wa_message_id then
      return query
        select v_n.id, v_n.contact_id, v_n.kind, v_n.delivered_at, v_n.wa_message_id,
               (select m.id from public.message_log m where m.wa_message_id = v_n.wa_message_id);
      return;
    end if;
    raise exception using errcode = 'VC004',
      message = format('notification %s was already delivered with another WhatsApp id', v_n.id),
      hint = 'it was sent twice (a lease expired before notification_sent); log the extra send with ingest_message';
  end if;
  if v_n.claimed_until is null then
    raise exception using errcode = 'VC002',
      message = format('notification %s cannot move from pending to delivered: it was never handed out', v_n.id),
      hint = 'claim it with claim_notifications (which checks the window and consent), send it, then mark it sent';
  end if;

  -- in the contact's active session, as ingest_message files a message (opened when there is none)
  insert into public.message_log as m (to_contact, direction, message_type, content, wa_message_id, session_id)
  values (v_n.contact_id, 'outbound',
          case when jsonb_array_length(coalesce(v_n.buttons, '[]')) > 0 then 'interactive' else 'text' end,
          v_n.body, p_wa_message_id, private.touch_session(v_n.contact_id, now()))
  on conflict (wa_message_id) do nothing
  returning m.id into v_message;
  if v_message is null then
    -- already logged (ingest_message of the bot's own send): it must be this send
    select m.id, m.direction, m.to_contact into v_found from public.message_log m where m.wa_message_id = p_wa_message_id;
    if v_found.direction <> 'outbound' or v_found.to_contact is distinct from v_n.contact_id
       or exists (select 1 from public.pending_notifications o where o.wa_message_id = p_wa_message_id) then
      raise exception using errcode = 'VC004',
        message = format('wa_message_id %s is another message''s', p_wa_message_id);
    end if;
    v_message := v_found.id;
  end if;

  return query
    update public.pending_notifications n
    set delivered_at = now(), wa_message_id = p_wa_message_id
    where n.id = v_n.id
    returning n.id, n.contact_id, n.kind, n.delivered_at, n.wa_message_id, v_message;
end
$$;
comment on function public.notification_sent(uuid, text) is 'Mark a claimed notification delivered once the WhatsApp Cloud API accepted it as p_wa_message_id (1-256 characters): logs the send in message_log (outbound, with that id) and sets delivered_at, once. The same id again returns the delivery unchanged; another id is a Conflict; a notification never claimed is an InvalidTransition. The bot (service_role) and staff.';

revoke execute on function public.notification_sent(uuid, text) from public, anon;
grant execute on function public.notification_sent(uuid, text) to authenticated, service_role;

-- The request's agent sends its customer a listing card: the listing of a match of the request, with only the
-- fields that agent sees at its level (guard.listing_cards, the cards of portfolio_cards; the level also
-- through guard.visibility_of, so a card read as service_role is cut to the agent's level too). Never the
-- owner, the floor price or the commission: a card has none of them.
--
-- Who: the request's current assigned agent only, acting as itself (the dashboard, or the bot with the agent's
-- token: auth.uid() = the agent). Not its broker, not staff: the card speaks for the customer's own agent at
-- that agent's level. A refusal is the same 42501 whether the match exists or not; trusted callers (service_role,
-- the owner) learn that a match is missing (VC003).
--
-- Kind match: a listing that matches the customer's own request, sent inside the window the customer opened, is
-- a service message (no marketing consent needed; claim_notifications still needs the window open). Shared again
-- before it went out, the pending notification is returned (is_new false), not queued twice.
create or replace function public.share_listing(p_match_id uuid)
  returns table (
    notification_id uuid, customer_id uuid, portfolio_id text, visibility_level text, body text, buttons jsonb,
    created_at timestamptz, is_new boolean
  )
  language plpgsql security definer
  set search_path = ''
as $$
#variable_conflict use_column
declare
  v_found boolean;
  v_pid text;
  v_customer uuid;
  v_agent uuid;
  v_request_status text;
  v_listing_status text;
  v_listing_agent uuid;
  v_customer_status text;
  v_level text;
  v_card record;
  v_body text;
  v_buttons jsonb;
  v_id uuid;
  v_created timestamptz;
  v_media integer;
begin
  select m.portfolio_id, r.customer_id, r.assigned_agent, r.status, l.status, l.agent_id
  into v_pid, v_customer, v_agent, v_request_status, v_listing_status, v_listing_agent
  from public.portfolio_request_matches m
  join public.requests r on r.id = m.request_id
  join public.portfolios l on l.id = m.portfolio_id
  where m.id = p_match_id;
  v_found := found;
  -- permission first: the request's current agent, an active one; the same refusal for a missing match
  if not v_found and not guard.is_api_user() then
    perform guard.deny_or_missing(format('match %s', p_match_id));  -- trusted callers: VC003
  end if;
  if not v_found or v_agent is distinct from auth.uid() or not guard.is_active_agent(auth.uid()) then
    raise exception using errcode = '42501', message = format('share_listing: match %s: not found or not yours', p_match_id),
      hint = 'only the request''s assigned agent shares a listing with its customer';
  end if;
  if v_request_status = 'closed' or v_listing_status <> 'active' then
    raise exception using errcode = 'VC002',
      message = format('listing %s cannot be shared: the request is %s and the listing %s', v_pid, v_request_status, v_listing_status);
  end if;
  select c.onboarding_status into v_customer_status from public.contacts c where c.id = v_customer;
  if v_customer_status in ('opted_out', 'blocked') then
    raise exception using errcode = 'VC002',
      message = format('listing %s cannot be shared: the customer is %s', v_pid, v_customer_status);
  end if;

  -- the agent's level: its own (or, a broker, its office's) listing in full, else its grant (anonymous without)
  v_level := case when v_listing_agent in (select guard.managed_agent_ids()) then 'full'
                  else guard.visibility_of(v_pid, auth.uid()) end;
  select * into v_card
  from guard.listing_cards(array[v_pid], null, null, null, null, null, null, null, null, 1, 0) c;
  if not found then
    raise exception using errcode = 'VC002', message = format('listing %s cannot be shared: it has no card', v_pid);
  end if;
  if guard.visibility_rank(v_card.visibility_level) < guard.visibility_rank(v_level) then
    v_level := v_card.visibility_level;
  end if;
  v_media := case when v_level <> 'anonymous' then jsonb_array_length(coalesce(v_card.media, '[]')) end;

  -- the card as text: every line but the first three only above the anonymous level, the phone only at full
  v_body := left(array_to_string(array[
      format('İlan %s: %s %s%s', v_card.id,
             case v_card.listing_type when 'sale' then 'satılık' else 'kiralık' end,
             case v_card.type when 'daire' then 'daire' when 'villa' then 'villa' when 'dukkan' then 'dükkan' else 'arsa' end,
             coalesce(', ' || v_card.rooms, '')),
      format('Konum: %s, %s', v_card.district, v_card.city),
      case when v_level <> 'anonymous'
           then format('Fiyat: %s %s', replace(to_char(v_card.listed_price, 'FM999,999,999,999,990'), ',', '.'), v_card.currency)
           else format('Fiyat aralığı: %s – %s %s',
                       replace(to_char(v_card.price_band_min, 'FM999,999,999,999,990'), ',', '.'),
                       replace(to_char(v_card.price_band_max, 'FM999,999,999,999,990'), ',', '.'), v_card.currency) end,
      case when v_level <> 'anonymous' then v_card.title end,
      case when v_level <> 'anonymous' and v_card.description is not null
           then case when length(v_card.description) > 1500 then left(v_card.description, 1500) || '…'
                     else v_card.description end end,
      case when v_media > 0 then format('%s fotoğraf/video', v_media) end,
      case when v_level <> 'anonymous' then 'İlan danışmanı: ' || v_card.agent_name end,
      case when v_level = 'full' then 'Telefon: ' || v_card.agent_phone end
    ], E'\n'), 4096);
  v_buttons := jsonb_build_array(
    jsonb_build_object('id', 'listing_interested:' || v_pid, 'title', 'İlgileniyorum'),
    jsonb_build_object('id', 'listing_visit:' || v_pid, 'title', 'Randevu iste'));

  insert into public.pending_notifications as n (contact_id, kind, body, buttons, match_id)
  values (v_customer, 'match', v_body, v_buttons, p_match_id)
  on conflict (match_id) where delivered_at is null do nothing
  returning n.id, n.created_at into v_id, v_created;
  if v_id is not null then
    return query select v_id, v_customer, v_pid, v_level, v_body, v_buttons, v_created, true;
  else
    return query
      select n.id, n.contact_id, v_pid, v_level, n.body, n.buttons, n.created_at, false
      from public.pending_notifications n
      where n.match_id = p_match_id and n.delivered_at is null;
  end if;
end
$$;
comment on function public.share_listing(uuid) is 'The request''s assigned agent sends its customer the card of the match''s listing as a notification (kind match: inside the customer''s window, no marketing consent needed): only the fields that agent sees at its visibility level (anonymous: type, district, rooms, price band; partial: + price, title, description, media count, listing agent''s name; full: + that agent''s phone), never owner, floor price or commission. Shared again before it went out: the pending one (is_new false). Refused (42501) alike whether the match exists or not.';

revoke execute on function public.share_listing(uuid) from public, anon;
grant execute on function public.share_listing(uuid) to authenticated, service_role;
