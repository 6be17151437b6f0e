-- Contacts: the onboarding state machine, consent timestamps, who may change what, and the RPCs
-- upsert_contact, set_onboarding_status (the consent rules and record_consent: functions/consent.sql).

-- Section - Triggers

-- Through the API, only staff change a contact's category, onboarding state, phone or bsuid; a contact changes
-- its own name and consents (the policy decides whose row).
create or replace function private.tg_contacts__authority() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  if guard.is_api_user() and not guard.is_staff() then
    if new.contact_type is distinct from old.contact_type then
      raise exception using errcode = '42501', message = 'only admins and owners may change contacts.contact_type';
    end if;
    if new.onboarding_status is distinct from old.onboarding_status then
      raise exception using errcode = '42501', message = 'only admins, owners and the bot may change contacts.onboarding_status';
    end if;
    -- identities are the bot's and staff's (upsert_contact): a contact changing its own phone or bsuid would
    -- learn from the unique index whether a number is registered. Checked here, before the index is consulted.
    if (new.phone, new.bsuid) is distinct from (old.phone, old.bsuid) then
      raise exception using errcode = '42501', message = 'only admins, owners and the bot may change contacts.phone and bsuid';
    end if;
  end if;
  return new;
end
$$;
comment on function private.tg_contacts__authority() is 'Trigger: only staff (or trusted sessions) change contact_type, onboarding_status, phone and bsuid.';

-- new -> consent_pending -> profiling -> active; any -> opted_out or blocked; opted_out -> consent_pending.
create or replace function guard.onboarding_transition_allowed(p_from text, p_to text) returns boolean
  language sql immutable
  set search_path = ''
as $$
  select p_from = p_to
      or p_to in ('opted_out', 'blocked')
      or (p_from, p_to) in (('new', 'consent_pending'), ('consent_pending', 'profiling'),
                            ('profiling', 'active'), ('opted_out', 'consent_pending'))
$$;
comment on function guard.onboarding_transition_allowed(text, text) is 'The onboarding state machine: may a contact move from p_from to p_to?';

create or replace function private.tg_contacts__onboarding() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  if not guard.onboarding_transition_allowed(old.onboarding_status, new.onboarding_status) then
    raise exception using
      errcode = 'VC002',
      message = format('onboarding_status cannot move from %s to %s', old.onboarding_status, new.onboarding_status),
      hint = 'new -> consent_pending -> profiling -> active; any -> opted_out or blocked; opted_out -> consent_pending';
  end if;
  return new;
end
$$;
comment on function private.tg_contacts__onboarding() is 'Trigger: enforces the onboarding state machine on every update, whoever makes it.';

-- Each consent change is timestamped (KVKK / ETK evidence), whoever makes it.
create or replace function private.tg_contacts__consent_at() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  -- evidence: the time is the database's, from the change; a value the writer sent is ignored
  if tg_op = 'INSERT' then
    new.consent_transfer_at := case when new.consent_transfer then now() end;
    new.consent_training_at := case when new.consent_training then now() end;
    new.consent_marketing_at := case when new.consent_marketing then now() end;
    return new;
  end if;
  new.consent_transfer_at := case when new.consent_transfer is distinct from old.consent_transfer then now()
                                  else old.consent_transfer_at end;
  new.consent_training_at := case when new.consent_training is distinct from old.consent_training then now()
                                  else old.consent_training_at end;
  new.consent_marketing_at := case when new.consent_marketing is distinct from old.consent_marketing then now()
                                   else old.consent_marketing_at end;
  return new;
end
$$;
comment on function private.tg_contacts__consent_at() is 'Trigger: consent_*_at is the time the consent last changed, set by the database; a written value is ignored.';

create or replace trigger _200_authority before update on public.contacts
  for each row execute function private.tg_contacts__authority();
comment on trigger _200_authority on public.contacts
  is 'Only staff, the bot and the dashboard change a contact''s type, onboarding status, phone or bsuid; a contact edits only its name and consents. Checked before the unique index, so nobody learns whether a number is registered.';
create or replace trigger _300_onboarding before update of onboarding_status on public.contacts
  for each row execute function private.tg_contacts__onboarding();
comment on trigger _300_onboarding on public.contacts
  is 'Onboarding moves only new -> consent_pending -> profiling -> active, any state -> opted_out or blocked, and opted_out -> consent_pending on a new opt-in; any other change is refused (VC002), whoever makes it.';
create or replace trigger _400_consent_at before insert or update on public.contacts
  for each row execute function private.tg_contacts__consent_at();
comment on trigger _400_consent_at on public.contacts
  is 'The consent_*_at times are set by the database to the moment each consent changed; a value written by a client is ignored, so the times are evidence.';

-- Section - RPCs

-- Find a contact by phone or bsuid, or create it; fills identities, name and type it did not have yet. The one
-- place contacts are registered: upsert_contact and ingest_message (a webhook's sender or recipient) call it.
-- A known identity with nothing new to add is only read, so that a redelivered webhook writes nothing.
create or replace function guard.resolve_contact(
  p_phone text,
  p_bsuid text,
  p_display_name text default null,
  p_contact_type text default null
) returns public.contacts
  language plpgsql
  set search_path = ''
as $$
declare
  v_by_phone public.contacts;
  v_by_bsuid public.contacts;
  v_found public.contacts;
begin
  if guard.is_api_user() and not guard.is_staff() then
    raise exception using errcode = '42501', message = 'only admins, owners and the bot may register contacts';
  end if;
  if p_phone is null and p_bsuid is null then
    raise exception using errcode = 'VC001', message = 'phone or bsuid is required';
  end if;
  if p_phone !~ '^\+[1-9][0-9]{6,14}$' then
    raise exception using errcode = 'VC001', message = 'phone must be in E.164 form', hint = 'e.g. +905321234567';
  end if;
  if p_bsuid !~ '^\S{1,128}$' then
    raise exception using errcode = 'VC001', message = 'bsuid must be 1-128 characters without spaces';
  end if;
  if p_contact_type not in ('lead', 'customer', 'property_owner', 'agent', 'staff') then
    raise exception using errcode = 'VC001', message = format('contact_type %s is not one of lead, customer, property_owner, agent, staff', left(p_contact_type, 50));
  end if;
  perform guard.check_text(p_display_name, 'display_name', 200);

  -- A few turns at most: a turn ends early only when a concurrent transaction registered the identity (the
  -- insert waited for its commit; the next turn's statements see it) or deleted the row found.
  for v_turn in 1 .. 5 loop
    select * into v_by_phone from public.contacts c where c.phone = p_phone;
    select * into v_by_bsuid from public.contacts c where c.bsuid = p_bsuid;
    if v_by_phone.id is not null and v_by_bsuid.id is not null and v_by_phone.id <> v_by_bsuid.id then
      raise exception using errcode = 'VC004', message = 'phone and bsuid belong to two different contacts';
    end if;
    if v_by_phone.id is not null then
      v_found := v_by_phone;
    else
      v_found := v_by_bsuid;
    end if;

    if v_found.id is null then
      -- concurrent registrations of one identity: one inserts, the others wait for it and find it next turn
      insert into public.contacts (phone, bsuid, display_name, contact_type)
      values (p_phone, p_bsuid, p_display_name, coalesce(p_contact_type, 'lead'))
      on conflict do nothing
      returning * into v_found;
    elsif (p_phone is null or v_found.phone is not null) and (p_bsuid is null or v_found.bsuid is not null)
          and (p_display_name is null or p_display_name = v_found.display_name)
          and (p_contact_type is null or p_contact_type = v_found.contact_type) then
      return v_found;  -- nothing to add
    else
      -- a missing identity is added, a known one never replaced (change_contact_phone / _bsuid do that)
      update public.contacts c
      set phone = coalesce(c.phone, p_phone),
          bsuid = coalesce(c.bsuid, p_bsuid),
          display_name = coalesce(p_display_name, c.display_name),
          contact_type = coalesce(p_contact_type, c.contact_type)
      where c.id = v_found.id
      returning c.* into v_found;
    end if;
    if v_found.id is not null then
      return v_found;
    end if;
  end loop;
  raise exception using errcode = '40001', message = 'the contact changed concurrently five times; try again';
end
$$;
comment on function guard.resolve_contact(text, text, text, text) is 'Find a contact by E.164 phone or bsuid, or create it (lead by default); adds a missing phone, bsuid, name or type, writes nothing when there is nothing new. Admins, owners and trusted sessions (upsert_contact, ingest_message).';

-- Find a contact by phone or bsuid, or create it; fills identities and name it did not have yet.
create or replace function public.upsert_contact(
  p_phone text default null,
  p_bsuid text default null,
  p_display_name text default null,
  p_contact_type text default null
) returns setof public.contacts
  language sql
  set search_path = ''
as $$
  select * from guard.resolve_contact(p_phone, p_bsuid, p_display_name, p_contact_type)
$$;
comment on function public.upsert_contact(text, text, text, text) is 'Find a contact by E.164 phone or WhatsApp bsuid, or create it (contact_type lead by default); adds a missing phone, bsuid or name. Admins, owners and the bot only.';

-- Move a contact along the onboarding state machine (the bot, admins, owners).
create or replace function public.set_onboarding_status(p_contact_id uuid, p_status text)
  returns setof public.contacts
  language plpgsql
  set search_path = ''
as $$
begin
  if p_status is null or p_status not in ('new', 'consent_pending', 'profiling', 'active', 'opted_out', 'blocked') then
    raise exception using errcode = 'VC001',
      message = format('onboarding_status %s is not one of new, consent_pending, profiling, active, opted_out, blocked', left(coalesce(p_status, 'NULL'), 50));
  end if;
  return query
    update public.contacts c set onboarding_status = p_status where c.id = p_contact_id returning c.*;
  if not found then
    perform guard.deny_or_missing(format('contact %s', p_contact_id));
  end if;
end
$$;
comment on function public.set_onboarding_status(uuid, text) is 'Move a contact along new -> consent_pending -> profiling -> active (any -> opted_out or blocked; opted_out -> consent_pending). Active only with consent_transfer; opted_out withdraws marketing consent. Bot, admins and owners.';

revoke execute on function public.upsert_contact(text, text, text, text), public.set_onboarding_status(uuid, text)
  from public, anon;
grant execute on function public.upsert_contact(text, text, text, text), public.set_onboarding_status(uuid, text)
  to authenticated, service_role;
grant execute on function guard.onboarding_transition_allowed(text, text) to authenticated, service_role;
revoke execute on function guard.resolve_contact(text, text, text, text) from public, anon;
grant execute on function guard.resolve_contact(text, text, text, text) to authenticated, service_role;

-- The names of the given contacts that the caller may read (the contacts policy decides, as for any read):
-- what a table shows a person instead of ids (the inbox's senders). At most 1000 ids; unreadable or unknown
-- ids are left out, so the answer says no more than a read of contacts would.
create or replace function public.contact_names(p_contact_ids uuid[])
  returns table (contact_id uuid, display_name text)
  language plpgsql stable
  set search_path = ''
as $$
begin
  perform guard.check_ids(p_contact_ids, 'contact_ids', 1000);
  return query select c.id, c.display_name from public.contacts c where c.id = any (p_contact_ids);
end
$$;
comment on function public.contact_names(uuid[]) is 'Display names of the given contacts (at most 1000 ids) that the caller may read; others are left out.';
revoke execute on function public.contact_names(uuid[]) from public, anon;
grant execute on function public.contact_names(uuid[]) to authenticated, service_role;
