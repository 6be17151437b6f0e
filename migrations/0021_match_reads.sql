-- 0021: who may read a match is one view, guard.readable_matches (functions/access.sql), probed per row by
-- the matches policy and by explain_match. The two functions it replaces go, once: the per-pair check and
-- the per-statement set of the listing side's unassigned requests (which cost the caller's whole book of
-- listings and requests on every read). The policy that used them is dropped here and recreated from
-- policies/ by the post-apply step.
drop policy if exists "Parties read their matches" on public.portfolio_request_matches;
drop function if exists guard.can_read_match(text, uuid);
drop function if exists guard.unassigned_matched_request_ids();
