-- Undo 0021: the view and the policy over it are dropped; the functions of the releases before 0021 (their
-- functions/ and policies/) bring back the two functions and the set-form policy.
drop policy if exists "Parties read their matches" on public.portfolio_request_matches;
drop view if exists guard.readable_matches;
