-- 0013 match events (issue 12): a listing or request write refreshes its match keys and records one match
-- event; public.process_match_events (functions/matching.sql) matches after commit. The writers' market
-- locks are gone (the matcher serialises itself instead).

-- Section - Match events: the writing transaction records what changed; the matcher
-- (public.process_match_events) turns committed events into matches after commit.
create table private.match_events (
  id bigint generated always as identity primary key,
  kind text not null
    constraint match_events_kind_check check (kind in ('portfolio', 'request')),
  portfolio_ids text[],
  request_ids uuid[],
  new_rows boolean not null default false,
  created_at timestamptz not null default clock_timestamp(),
  processed_at timestamptz,
  constraint match_events_ids_check check (case kind when 'portfolio' then portfolio_ids is not null and request_ids is null
                                                      else request_ids is not null and portfolio_ids is null end)
);
-- the matcher's queue: pending events, oldest first
create index match_events_pending_idx on private.match_events (id) where processed_at is null;
comment on table private.match_events is 'One row per writing statement of portfolios/requests that changed matching inputs; the matcher processes them after commit.';
comment on column private.match_events.id is 'Event id; the matcher takes pending events in this order.';
comment on column private.match_events.kind is 'portfolio (listings written) or request (requests written).';
comment on column private.match_events.portfolio_ids is 'The listings whose matching inputs changed (kind portfolio).';
comment on column private.match_events.request_ids is 'The requests whose matching inputs changed (kind request).';
comment on column private.match_events.new_rows is 'The statement inserted the rows: a new request''s demand signal is recorded when the matcher processes it.';
comment on column private.match_events.created_at is 'When the writing statement ran.';
comment on column private.match_events.processed_at is 'When the matcher processed it; NULL while pending.';

drop function if exists private.lock_markets(text[]);
-- the matcher carries the event of each row now
drop function if exists private.rematch(text[], uuid[], text);
