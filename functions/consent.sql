-- Consent: the KVKK / ETK rules on contacts, every path (RPC, PostgREST, the dashboard), and their evidence:
-- private.consent_history, written by the contacts triggers only and never changed. RPCs record_consent and
-- consent_history.

-- Section - Rules

-- Before insert or update of a contact, after _200_authority (so a contact's own withdrawal may move its status) and
-- _300_onboarding (a move the state machine refuses says so first), before _400_consent_at (which stamps what
-- changed here too):
-- * onboarding reaches active only with consent_transfer (KVKK art. 9: without it the bot may not store what the
--   contact writes). A withdrawal cannot be refused (KVKK art. 7 and 11), so withdrawing it from an active contact
--   takes the contact out of active, to opted_out (the only exit the state machine has; a new opt-in goes
--   opted_out -> consent_pending again);
-- * entering opted_out withdraws marketing consent (ETK / IYS: no proactive message to one who opted out), and an
--   opted-out contact cannot grant it until it opts in again.
create or replace function private.tg_contacts__consent_rules() returns trigger
  language plpgsql
  set search_path = ''
as $$
declare
  v_old_status text := case when tg_op = 'UPDATE' then old.onboarding_status end;
begin
  if new.onboarding_status = 'active' and not new.consent_transfer then
    if v_old_status = 'active' and old.consent_transfer then
      new.onboarding_status := 'opted_out';  -- the transfer consent is withdrawn now
    elsif v_old_status is distinct from 'active' then
      raise exception using
        errcode = 'VC002',
        message = case when tg_op = 'INSERT' then 'a contact cannot be created active without consent_transfer'
                       else format('onboarding_status cannot move from %s to active without consent_transfer', v_old_status) end,
        hint = 'record the KVKK transfer consent first (record_consent transfer)';
    end if;  -- else: active without it since before 0018; nothing new is let through
  end if;
  if new.onboarding_status = 'opted_out' and new.consent_marketing then
    if v_old_status = 'opted_out' and not old.consent_marketing then
      raise exception using
        errcode = 'VC002',
        message = 'an opted-out contact cannot grant marketing consent',
        hint = 'opt in again first: onboarding_status opted_out -> consent_pending';
    end if;
    new.consent_marketing := false;  -- opting out withdraws it
  end if;
  return new;
end
$$;
comment on function private.tg_contacts__consent_rules() is 'Trigger: active only with consent_transfer (withdrawing it from an active contact opts it out); opted_out withdraws marketing consent and refuses a new grant.';

-- The session's role, as evidence of who changed a consent: authenticated, service_role, or the session user
-- (postgres on the dashboard). Reads the role setting, which a security definer function does not replace.
create or replace function private.acting_role() returns text
  language sql stable
  set search_path = ''
as $$
  select case when current_setting('role') = 'none' then session_user::text else current_setting('role') end
$$;
comment on function private.acting_role() is 'The session''s role for evidence rows: the SET ROLE value, or the session user when none is set.';

-- After each insert or update statement of contacts: one history row per consent that changed (a new contact:
-- per consent it starts with), in one insert. record_consent names the message that carried the consent in the
-- transaction setting vic.consent_message_id; it must be an inbound message of that contact (a direct write
-- could name any id).
create or replace function private.tg_contacts__consent_history() returns trigger
  language plpgsql security definer  -- the history is written past every API role
  set search_path = ''
as $$
declare
  v_message uuid := nullif(current_setting('vic.consent_message_id', true), '')::uuid;
begin
  if v_message is not null
     and exists (select 1 from new_rows n
                 where not exists (select 1 from public.message_log m
                                   where m.id = v_message and m.direction = 'inbound' and m.from_contact = n.id)) then
    raise exception using errcode = 'VC001', message = 'message_id must be an inbound message of the contact',
      hint = 'the WhatsApp message in which the contact gave or withdrew the consent';
  end if;
  if tg_op = 'INSERT' then
    insert into private.consent_history (contact_id, consent, granted, changed_by, actor_role, message_id, onboarding_status)
    select n.id, k.consent, true, auth.uid(), private.acting_role(), v_message, n.onboarding_status
    from new_rows n
    cross join lateral (values ('transfer', n.consent_transfer), ('training', n.consent_training),
                               ('marketing', n.consent_marketing)) as k (consent, granted)
    where k.granted
    order by n.id;
  else
    insert into private.consent_history (contact_id, consent, granted, changed_by, actor_role, message_id, onboarding_status)
    select n.id, k.consent, k.granted, auth.uid(), private.acting_role(), v_message, n.onboarding_status
    from new_rows n
    join old_rows o on o.id = n.id
    cross join lateral (values ('transfer', n.consent_transfer, o.consent_transfer),
                               ('training', n.consent_training, o.consent_training),
                               ('marketing', n.consent_marketing, o.consent_marketing)) as k (consent, granted, was)
    where k.granted is distinct from k.was
    order by n.id;
  end if;
  return null;
end
$$;
comment on function private.tg_contacts__consent_history() is 'Statement trigger: one consent_history row per consent a statement granted or withdrew (who, role, when, message), on every path.';

-- History rows are evidence: never updated or deleted, by anyone (the dashboard's postgres included), and the
-- table is never truncated. Only a foreign key's own cascade passes: a deleted contact takes its rows with it.
create or replace function private.tg_consent_history__append_only() returns trigger
  language plpgsql security definer  -- reads the contact whatever the writer may read
  set search_path = ''
as $$
begin
  if tg_op = 'DELETE' and not exists (select 1 from public.contacts c where c.id = old.contact_id) then
    return old;  -- the contact is being deleted
  end if;
  raise exception using errcode = '42501', message = 'consent_history is append-only: evidence is never changed',
    hint = 'a consent given or withdrawn again is a new row (record_consent)';
end
$$;
comment on function private.tg_consent_history__append_only() is 'Trigger: consent_history rows are never updated, deleted (but by the contact''s own cascade) or truncated.';

create or replace trigger _350_consent_rules before insert or update on public.contacts
  for each row execute function private.tg_contacts__consent_rules();
comment on trigger _350_consent_rules on public.contacts
  is 'KVKK and ETK: a contact is active only with consent to transfer data (withdrawing it opts an active contact out), and an opted-out contact loses marketing consent and cannot be given it again.';
create or replace trigger _820_consent_history_insert after insert on public.contacts
  referencing new table as new_rows for each statement execute function private.tg_contacts__consent_history();
comment on trigger _820_consent_history_insert on public.contacts
  is 'Consents given at registration are recorded in the consent history (who, role, when, from which message): evidence for KVKK and ETK on every path.';
create or replace trigger _820_consent_history_update after update on public.contacts
  referencing old table as old_rows new table as new_rows for each statement execute function private.tg_contacts__consent_history();
comment on trigger _820_consent_history_update on public.contacts
  is 'Every consent granted or withdrawn is recorded in the consent history (who, role, when, from which message): evidence for KVKK and ETK on every path, the dashboard included.';
create or replace trigger _100_append_only before update or delete on private.consent_history
  for each row execute function private.tg_consent_history__append_only();
comment on trigger _100_append_only on private.consent_history
  is 'Consent history is evidence: its rows are never updated or deleted, not even by the dashboard (only the contact''s own deletion removes them).';
create or replace trigger _100_no_truncate before truncate on private.consent_history
  for each statement execute function private.tg_consent_history__append_only();
comment on trigger _100_no_truncate on private.consent_history
  is 'Consent history is evidence: the table is never truncated.';

-- Section - RPCs

-- Record one consent (transfer = KVKK art. 9, training, marketing = ETK) of the acting contact, or of p_contact_id
-- for staff and the bot, from the contact's WhatsApp message p_message_id when there is one; the triggers
-- timestamp it, apply the rules above and write the history row.
create or replace function public.record_consent(
  p_kind text,
  p_granted boolean,
  p_contact_id uuid default null,
  p_message_id uuid default null
) returns setof public.contacts
  language plpgsql
  set search_path = ''
as $$
declare
  v_id uuid := coalesce(p_contact_id, auth.uid());
  v_found boolean;
begin
  if p_kind is null or p_kind not in ('transfer', 'training', 'marketing') then
    raise exception using errcode = 'VC001', message = format('kind %s is not one of transfer, training, marketing', left(coalesce(p_kind, 'NULL'), 50));
  end if;
  if p_granted is null then
    raise exception using errcode = 'VC001', message = 'granted is required (true or false)';
  end if;
  if v_id is null then
    raise exception using errcode = 'VC001', message = 'contact_id is required when not acting as a contact';
  end if;
  -- the message travels to the history trigger in a transaction setting, cleared right after this update
  perform set_config('vic.consent_message_id', coalesce(p_message_id::text, ''), true);
  return query
    update public.contacts c
    set consent_transfer = case when p_kind = 'transfer' then p_granted else c.consent_transfer end,
        consent_training = case when p_kind = 'training' then p_granted else c.consent_training end,
        consent_marketing = case when p_kind = 'marketing' then p_granted else c.consent_marketing end
    where c.id = v_id
    returning c.*;
  v_found := found;
  perform set_config('vic.consent_message_id', '', true);
  if not v_found then
    perform guard.deny_or_missing(format('contact %s', v_id));
  end if;
end
$$;
comment on function public.record_consent(text, boolean, uuid, uuid) is 'Grant or withdraw a consent (transfer, training or marketing) of the acting contact, or of p_contact_id (staff, bot), optionally from the contact''s inbound message p_message_id; timestamped in consent_*_at and kept in the consent history. Withdrawing transfer opts an active contact out; an opted-out contact cannot grant marketing.';

-- The consent history of the acting contact, or of p_contact_id for staff and the bot, oldest first.
create or replace function public.consent_history(p_contact_id uuid default null)
  returns table (id bigint, consent text, granted boolean, changed_at timestamptz, changed_by uuid, actor_role text,
                 message_id uuid, onboarding_status text)
  language plpgsql stable security definer  -- reads private.consent_history, after checking the caller
  set search_path = ''
as $$
declare
  v_id uuid := coalesce(p_contact_id, auth.uid());
begin
  if v_id is null then
    raise exception using errcode = 'VC001', message = 'contact_id is required when not acting as a contact';
  end if;
  if guard.is_api_user() and not guard.is_staff() and v_id is distinct from auth.uid() then
    raise exception using errcode = '42501', message = format('consent history of contact %s: not found or not yours', v_id);
  end if;
  if not exists (select 1 from public.contacts c where c.id = v_id) then
    perform guard.deny_or_missing(format('consent history of contact %s', v_id));
  end if;
  return query
    select h.id, h.consent, h.granted, h.changed_at, h.changed_by, h.actor_role, h.message_id, h.onboarding_status
    from private.consent_history h
    where h.contact_id = v_id
    order by h.id;
end
$$;
comment on function public.consent_history(uuid) is 'Every consent the contact granted or withdrew, oldest first: consent, granted, changed_at, changed_by (the acting contact), actor_role, message_id (the WhatsApp message it came in), onboarding_status after it. The contact itself, staff and the bot; anyone else 42501 whether the contact exists or not.';

revoke execute on function public.record_consent(text, boolean, uuid, uuid), public.consent_history(uuid) from public, anon;
grant execute on function public.record_consent(text, boolean, uuid, uuid), public.consent_history(uuid)
  to authenticated, service_role;
