-- Undo 0013: the events table goes; functions/ of the release before it brings back the writers' matching
-- (private.rematch, private.lock_markets).
drop function if exists public.process_match_events(integer);
drop function if exists public.match_event_lag();
drop function if exists private.rematch(text[], bigint[], uuid[], bigint[]);
drop table private.match_events;
