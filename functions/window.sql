-- Window: interaction_tracker is kept by the database, one row per contact from its creation (the ERD's 1:1):
-- the last message in and out, the 24-hour customer-service window, the phone's 30-day validity and the
-- template nudges. RPCs window_open, window_status, claim_nudges.
--
-- WhatsApp's rules it follows: free-form messages only within 24 hours of the contact's last inbound message (an
-- outbound message never opens the window; outside it only an approved template); a username user's phone number
-- keeps coming in webhooks while the business exchanged a message with it in the last 30 days.

-- Section - Triggers

-- phone_expires_at: 30 days after the last message in or out, for a contact with a phone (NULL otherwise).
create or replace function private.phone_expiry(p_phone text, p_last_inbound timestamptz, p_last_outbound timestamptz)
  returns timestamptz
  language sql stable
  set search_path = ''
as $$
  select case when p_phone is not null then greatest(p_last_inbound, p_last_outbound) + interval '30 days' end
$$;
comment on function private.phone_expiry(text, timestamptz, timestamptz) is 'When WhatsApp''s 30-day phone validity ends: the last message in or out + 30 days; NULL without a phone or a message.';

-- After each insert statement of message_log: per contact, the latest inbound and outbound time of the new rows,
-- in one upsert ordered by contact (two statements touching the same contacts lock them in the same order). A
-- time only moves forward: a late, older message changes nothing. Statement-level with a transition table, so a
-- batch is one aggregate, and a redelivery (insert ... on conflict do nothing, no new row) costs nothing; an
-- update of message_log (the claim queue's processed_at, many per message) fires nothing here. message_log rows
-- are not moved between contacts or times afterwards (no API role updates them), so inserts are all it follows.
create or replace function private.tg_message_log__tracker() returns trigger
  language plpgsql security definer  -- the tracker is the database's: no API role writes it
  set search_path = ''
as $$
begin
  insert into public.interaction_tracker as t (contact_id, last_inbound, last_outbound, phone_expires_at)
  select m.contact_id, m.last_inbound, m.last_outbound, private.phone_expiry(c.phone, m.last_inbound, m.last_outbound)
  from (select case n.direction when 'inbound' then n.from_contact else n.to_contact end as contact_id,
               max(n.created_at) filter (where n.direction = 'inbound') as last_inbound,
               max(n.created_at) filter (where n.direction = 'outbound') as last_outbound
        from new_rows n
        group by 1) as m
  join public.contacts c on c.id = m.contact_id
  order by m.contact_id
  on conflict (contact_id) do update
    set last_inbound = greatest(t.last_inbound, excluded.last_inbound),
        last_outbound = greatest(t.last_outbound, excluded.last_outbound),
        phone_expires_at = greatest(t.phone_expires_at, excluded.phone_expires_at)
    where excluded.last_inbound > t.last_inbound or (t.last_inbound is null and excluded.last_inbound is not null)
       or excluded.last_outbound > t.last_outbound or (t.last_outbound is null and excluded.last_outbound is not null);
  return null;
end
$$;
comment on function private.tg_message_log__tracker() is 'Statement trigger: moves each contact''s last_inbound / last_outbound (and phone_expires_at) forward to its newest new message.';

-- A new contact gets its tracker row at once; a phone gained or lost starts or ends its 30-day validity.
create or replace function private.tg_contacts__tracker() returns trigger
  language plpgsql security definer  -- the tracker is the database's: no API role writes it
  set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    insert into public.interaction_tracker (contact_id)
    select n.id from new_rows n order by n.id
    on conflict (contact_id) do nothing;
  else
    update public.interaction_tracker t
    set phone_expires_at = private.phone_expiry(n.phone, t.last_inbound, t.last_outbound)
    from new_rows n
    join old_rows o on o.id = n.id
    where t.contact_id = n.id and (n.phone is null) <> (o.phone is null);
  end if;
  return null;
end
$$;
comment on function private.tg_contacts__tracker() is 'Statement trigger: a tracker row for each new contact; phone_expires_at follows a phone gained or lost.';

create or replace trigger _700_tracker after insert on public.message_log
  referencing new table as new_rows for each statement execute function private.tg_message_log__tracker();
comment on trigger _700_tracker on public.message_log
  is 'New messages move each contact''s last inbound and outbound times forward, which opens or keeps its 24-hour WhatsApp window.';
create or replace trigger _810_tracker_insert after insert on public.contacts
  referencing new table as new_rows for each statement execute function private.tg_contacts__tracker();
comment on trigger _810_tracker_insert on public.contacts
  is 'Every new contact gets its messaging-window row (interaction_tracker), kept by the database, never by clients.';
create or replace trigger _810_tracker_update after update on public.contacts
  referencing old table as old_rows new table as new_rows for each statement execute function private.tg_contacts__tracker();
comment on trigger _810_tracker_update on public.contacts
  is 'When a contact gains or loses a phone number, its messaging-window row follows (phone_expires_at).';

-- Section - RPCs

-- The agreed interface: is the contact's 24-hour window open now? Its last inbound message is less than 24 hours
-- old (exactly 24 hours: closed). As the caller: a row the caller may not read (another customer's) is false.
create or replace function public.window_open(p_contact_id uuid) returns boolean
  language sql stable
  set search_path = ''
as $$
  select coalesce((select t.last_inbound > now() - interval '24 hours'
                   from public.interaction_tracker t where t.contact_id = p_contact_id), false)
$$;
comment on function public.window_open(uuid) is 'True while the contact''s WhatsApp customer-service window is open: its last inbound message is less than 24 hours old (an outbound message never opens it). False for no message, and for a contact the caller may not read (the contact itself, staff and the bot read every window).';

-- The window of the acting contact, or of p_contact_id: open, until when, and the tracker's times.
create or replace function public.window_status(p_contact_id uuid default null)
  returns table (contact_id uuid, window_open boolean, window_closes_at timestamptz, last_inbound timestamptz,
                 last_outbound timestamptz, phone_expires_at timestamptz, nudge_sent_at timestamptz)
  language plpgsql stable
  set search_path = ''
as $$
declare
  v_id uuid := coalesce(p_contact_id, auth.uid());
begin
  if v_id is null then
    raise exception using errcode = 'VC001', message = 'contact_id is required when not acting as a contact';
  end if;
  return query
    select t.contact_id, coalesce(t.last_inbound > now() - interval '24 hours', false),
           t.last_inbound + interval '24 hours', t.last_inbound, t.last_outbound, t.phone_expires_at, t.nudge_sent_at
    from public.interaction_tracker t
    where t.contact_id = v_id;
  if not found then
    perform guard.deny_or_missing(format('window of contact %s', v_id));
  end if;
end
$$;
comment on function public.window_status(uuid) is 'The contact''s WhatsApp window: window_open, window_closes_at (last inbound + 24 hours; in the past when closed), last_inbound, last_outbound, phone_expires_at, nudge_sent_at. The contact itself (default), staff and the bot; anyone else 42501 whether the contact exists or not.';

-- Hand out up to p_batch template nudges: one per contact whose window closed (its last inbound message is 24
-- hours old or older) at most p_max_age ago and who has had no nudge since that message; nudge_sent_at is set in
-- the same statement. The claim is the pgmq one: the due rows are selected oldest window first over the partial
-- index of contacts with an inbound message since their last nudge, locked for update skip locked (a worker never
-- waits for another's rows), and updated with the condition checked again on the locked row: a row another worker
-- nudged and committed after this statement's snapshot is re-read under the lock and no longer qualifies. So many
-- workers at once never nudge the same window twice, and a new inbound message makes the next closed window due
-- again. A nudge is a proactive template, a marketing message under ETK / IYS and Meta's template categories: only
-- customers (leads, customers, property owners; not agents and staff, who get their notifications) with
-- consent_marketing and consent_transfer (the template carries their number abroad), never opted_out or blocked.
-- The scan is bounded by the age of the windows (p_max_age), not by the number of contacts ever seen.
create or replace function public.claim_nudges(p_batch integer default 100, p_max_age interval default interval '7 days')
  returns table (contact_id uuid, phone text, bsuid text, display_name text, language text,
                 last_inbound timestamptz, window_closed_at timestamptz, nudge_sent_at timestamptz)
  language plpgsql security definer  -- sets nudge_sent_at, which no API role writes
  set search_path = ''
as $$
begin
  if guard.is_api_user() and not guard.is_staff() then
    raise exception using errcode = '42501', message = 'claim_nudges: only staff and the bot claim nudges';
  end if;
  if p_batch is null then
    raise exception using errcode = 'VC001', message = 'batch is required (1 .. 1000)';
  end if;
  perform guard.check_range(p_batch, 'batch', 1, 1000);
  if p_max_age is null or p_max_age <= interval '0' then
    raise exception using errcode = 'VC001', message = 'max_age must be a positive interval';
  end if;
  perform guard.check_range(p_max_age, 'max_age', interval '0', interval '30 days');

  return query
    with due as materialized (
      select t.contact_id
      from public.interaction_tracker t
      join public.contacts c on c.id = t.contact_id
      where (t.nudge_sent_at is null or t.nudge_sent_at < t.last_inbound)
        and t.last_inbound <= now() - interval '24 hours'
        and t.last_inbound >= now() - interval '24 hours' - p_max_age
        and c.consent_marketing and c.consent_transfer
        and c.onboarding_status not in ('opted_out', 'blocked')
        and c.contact_type in ('lead', 'customer', 'property_owner')
      order by t.last_inbound, t.contact_id
      limit p_batch
      for update of t skip locked
    ),
    nudged as (
      update public.interaction_tracker t set nudge_sent_at = now()
      from due d
      where t.contact_id = d.contact_id
        and (t.nudge_sent_at is null or t.nudge_sent_at < t.last_inbound)
        and t.last_inbound <= now() - interval '24 hours'
      returning t.contact_id, t.last_inbound, t.nudge_sent_at
    )
    select n.contact_id, c.phone, c.bsuid, c.display_name,
           coalesce((select s.language from public.sessions s where s.contact_id = n.contact_id
                     order by s.created_at desc limit 1), 'tr'),
           n.last_inbound, n.last_inbound + interval '24 hours', n.nudge_sent_at
    from nudged n
    join public.contacts c on c.id = n.contact_id
    order by n.last_inbound, n.contact_id;
end
$$;
comment on function public.claim_nudges(integer, interval) is 'Claim up to p_batch (1-1000, default 100) template nudges, oldest window first: contacts whose 24-hour window closed at most p_max_age (default 7 days, at most 30) ago with no nudge since their last inbound message, customers only, with marketing and transfer consent, not opted out or blocked. Sets nudge_sent_at atomically: one nudge per closed window, also with many workers at once. Returns where to send it (phone or bsuid, name, the last session''s language). Staff and the bot.';

revoke execute on function public.window_open(uuid), public.window_status(uuid), public.claim_nudges(integer, interval)
  from public, anon;
grant execute on function public.window_open(uuid), public.window_status(uuid), public.claim_nudges(integer, interval)
  to authenticated, service_role;
