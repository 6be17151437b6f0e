-- Training export (docs/sessions.md): the conversations of contacts who opted in to training,
-- for staff. A conversation is one session's messages (messages outside any session: one per contact), oldest
-- first, as the contact ("customer") and the bot wrote them.
--
-- Decisions: a contact is exported only while it holds consent_training AND consent_transfer (withdrawing the
-- transfer consent stops further use of what was stored under it). A message without stored text is left out:
-- inbound content withheld for want of transfer consent (content_withheld: stored as NULL), and a media message
-- without a caption has no text to learn from. The bot (service_role) does not export: training data leaves
-- through staff only, and the grant says so.

-- Conversations whose last exported message is at or after p_since, in the order of that message (page on: pass
-- the last row's last_message_at as the next p_since; the rows at exactly that instant come again, so key them by
-- contact_id and session_id). At most p_limit (1-1000) conversations, each with its first 200 messages.
create or replace function public.export_training_conversations(p_since timestamptz default null, p_limit integer default 1000)
  returns table (session_id uuid, contact_id uuid, language text, started_at timestamptz, last_message_at timestamptz,
                 message_count integer, truncated boolean, messages jsonb)
  language plpgsql stable
  set search_path = ''
as $$
declare
  v_per_conversation constant integer := 200;
begin
  if current_setting('role') = 'service_role' or (guard.is_api_user() and not guard.is_staff()) then
    raise exception using errcode = '42501', message = 'export_training_conversations: staff only';
  end if;
  perform guard.check_range(p_limit, 'limit', 1, 1000);
  return query
    with m as materialized (
      -- the messages of contacts with both consents, each with its contact: the sender of an inbound message,
      -- the recipient of an outbound one
      select l.id, l.session_id, l.from_contact as contact_id, l.direction, l.message_type, l.content, l.created_at
      from public.message_log l
      where l.direction = 'inbound' and l.content is not null and not l.content_withheld
        and l.from_contact in (select c.id from public.contacts c where c.consent_training and c.consent_transfer)
      union all
      select l.id, l.session_id, l.to_contact, l.direction, l.message_type, l.content, l.created_at
      from public.message_log l
      where l.direction = 'outbound' and l.content is not null
        and l.to_contact in (select c.id from public.contacts c where c.consent_training and c.consent_transfer)
    ),
    conv as (
      select m.contact_id, m.session_id, min(m.created_at) as started_at, max(m.created_at) as last_at,
             count(*)::integer as n
      from m
      group by m.contact_id, m.session_id
      having p_since is null or max(m.created_at) >= p_since
      order by max(m.created_at), m.contact_id, m.session_id nulls first
      limit coalesce(p_limit, 1000)
    )
    select conv.session_id, conv.contact_id, s.language, conv.started_at, conv.last_at, conv.n,
           conv.n > v_per_conversation,
           (select jsonb_agg(jsonb_build_object(
                     'at', x.created_at,
                     'role', case x.direction when 'inbound' then 'customer' else 'bot' end,
                     'type', x.message_type,
                     'text', x.content) order by x.created_at, x.id)
            from (select * from m
                  where m.contact_id = conv.contact_id and m.session_id is not distinct from conv.session_id
                  order by m.created_at, m.id
                  limit v_per_conversation) as x)
    from conv
    left join public.sessions s on s.id = conv.session_id
    order by conv.last_at, conv.contact_id, conv.session_id nulls first;
end
$$;
comment on function public.export_training_conversations(timestamptz, integer) is 'Staff only: the conversations of contacts holding consent_training and consent_transfer whose last message is at or after p_since (all when NULL), oldest last message first, at most p_limit (1-1000): per session (or per contact for messages outside a session) its first 200 messages with stored text as [{at, role customer|bot, type, text}]; content withheld without transfer consent is never exported.';

revoke execute on function public.export_training_conversations(timestamptz, integer) from public, anon, service_role;
grant execute on function public.export_training_conversations(timestamptz, integer) to authenticated;
