-- 0018 window and consent (issue 13, items 4 and 5): interaction_tracker is kept by the database (one row per
-- contact from its creation, triggers on message_log and contacts: functions/window.sql) with a nudge queue
-- index for public.claim_nudges; consent changes are kept as evidence in private.consent_history (written by
-- the contacts triggers only, functions/consent.sql); record_consent gains p_message_id.

-- Section - consent history
create table private.consent_history (
  id bigint generated always as identity primary key,
  contact_id uuid not null references public.contacts (id) on delete cascade,
  consent text not null
    constraint consent_history_consent_check check (consent in ('transfer', 'training', 'marketing')),
  granted boolean not null,
  changed_at timestamptz not null default now(),
  changed_by uuid,
  actor_role text not null
    constraint consent_history_actor_role_check check (length(actor_role) between 1 and 100),
  message_id uuid references public.message_log (id),
  onboarding_status text not null
    constraint consent_history_onboarding_status_check check (length(onboarding_status) between 1 and 50)
);
create index consent_history_contact_id_idx on private.consent_history (contact_id, id);
create index consent_history_message_id_idx on private.consent_history (message_id);
comment on table private.consent_history is 'KVKK / ETK evidence: one row per consent granted or withdrawn, written by the contacts triggers only (every path: RPC, API, dashboard), never updated or deleted.';
comment on column private.consent_history.id is 'Change id, in the order the changes were made.';
comment on column private.consent_history.contact_id is 'Whose consent changed.';
comment on column private.consent_history.consent is 'transfer (KVKK art. 9), training or marketing (ETK / IYS).';
comment on column private.consent_history.granted is 'True: granted; false: withdrawn.';
comment on column private.consent_history.changed_at is 'When it changed (the transaction''s time, as consent_*_at).';
comment on column private.consent_history.changed_by is 'The acting contact (auth.uid()); NULL for the bot or the dashboard without a token. Not a foreign key: evidence outlives the actor.';
comment on column private.consent_history.actor_role is 'The session''s role: authenticated, service_role (the bot), the dashboard user (postgres), or migration for a row reconstructed by 0018.';
comment on column private.consent_history.message_id is 'The contact''s inbound WhatsApp message that gave or withdrew it (record_consent p_message_id), when there was one.';
comment on column private.consent_history.onboarding_status is 'The contact''s onboarding_status after the change (opted_out: the opt-out withdrew marketing).';

-- The consents already given are the history's first rows, at the times contacts recorded (reconstructed:
-- actor_role migration). An opted-out contact's marketing consent is withdrawn now, as the rule says from here on.
insert into private.consent_history (contact_id, consent, granted, changed_at, actor_role, onboarding_status)
select c.id, k.consent, true, coalesce(k.at, c.updated_at), 'migration', c.onboarding_status
from public.contacts c
cross join lateral (values ('transfer', c.consent_transfer, c.consent_transfer_at),
                           ('training', c.consent_training, c.consent_training_at),
                           ('marketing', c.consent_marketing, c.consent_marketing_at)) as k (consent, granted, at)
where k.granted
order by c.id, k.at;
with withdrawn as (
  update public.contacts c set consent_marketing = false
  where c.onboarding_status = 'opted_out' and c.consent_marketing
  returning c.id, c.onboarding_status
)
insert into private.consent_history (contact_id, consent, granted, actor_role, onboarding_status)
select w.id, 'marketing', false, 'migration', w.onboarding_status from withdrawn w;

-- record_consent(p_kind, p_granted, p_contact_id) becomes record_consent(..., p_message_id) (functions/consent.sql)
drop function if exists public.record_consent(text, boolean, uuid);

-- Section - interaction_tracker
comment on column public.interaction_tracker.last_inbound is 'Time of the latest inbound message of the contact (message_log.created_at; a late, older message never moves it back); the free-form window is open for 24 hours after it. Kept by the database.';
comment on column public.interaction_tracker.last_outbound is 'Time of the latest outbound message to the contact (it never opens the window). Kept by the database.';
comment on column public.interaction_tracker.phone_expires_at is 'When WhatsApp''s 30-day phone number validity for the contact ends: 30 days after the last message in or out (WhatsApp keeps sending a username user''s phone while the business exchanged a message with it in the last 30 days); NULL without a phone or a message. Kept by the database.';
comment on column public.interaction_tracker.nudge_sent_at is 'When the last template nudge went out (claim_nudges): at most one per closed window (atomic dedupe).';
-- the nudge queue (claim_nudges): contacts with an inbound message since their last nudge, by its time
create index interaction_tracker_nudge_idx on public.interaction_tracker (last_inbound)
  where nudge_sent_at is null or nudge_sent_at < last_inbound;

-- Backfill: every contact gets its row, and every row the times of its messages (never moved back) and the phone's
-- 30-day validity. (claim_nudges only nudges windows closed within its p_max_age: no template to every past
-- conversation at once.)
insert into public.interaction_tracker (contact_id)
select c.id from public.contacts c order by c.id
on conflict (contact_id) do nothing;
update public.interaction_tracker t
set last_inbound = greatest(t.last_inbound, m.last_inbound),
    last_outbound = greatest(t.last_outbound, m.last_outbound)
from (select case l.direction when 'inbound' then l.from_contact else l.to_contact end as contact_id,
             max(l.created_at) filter (where l.direction = 'inbound') as last_inbound,
             max(l.created_at) filter (where l.direction = 'outbound') as last_outbound
      from public.message_log l group by 1) as m
where t.contact_id = m.contact_id;
update public.interaction_tracker t
set phone_expires_at = case when c.phone is not null then greatest(t.last_inbound, t.last_outbound) + interval '30 days' end
from public.contacts c
where c.id = t.contact_id;
