-- 0022: the one-time drops functions/ used to re-run on every migrate. `create or replace` cannot change a
-- function's arguments or result, so such a change is a drop here, once; functions/ then creates the new form.
-- private.match_candidates: its result gained the two agents (listing_agent, request_agent)
drop function if exists private.match_candidates(text[], uuid[]);
