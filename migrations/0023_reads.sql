-- 0023 reads: explain_match returns the verdict beside each criterion (hard_filter, scored, matched, score,
-- max_score, verdict), so that no client restates the matching rule. Its result type changes: the old pair is
-- dropped here and functions/matching.sql makes the new one. The indexes below serve the read RPCs of
-- functions/reads.sql (newest first per caller, open tasks).
drop function if exists public.explain_match(text, uuid);
drop function if exists private.explain_match(text, uuid);

-- list_matches: the newest first
create index portfolio_request_matches_created_at_idx on public.portfolio_request_matches (created_at, id);
-- list_deals: the most recently active first, all or of one status
create index deals_last_activity_idx on public.deals (last_activity_at, id);
create index deals_status_last_activity_idx on public.deals (status, last_activity_at, id);
-- list_requests: the newest first, all or of one status
create index requests_created_at_idx on public.requests (created_at, id);
create index requests_status_created_at_idx on public.requests (status, created_at, id);
-- list_commissions: the newest first, all or of one status
create index platform_commissions_created_at_idx on public.platform_commissions (created_at, id);
create index platform_commissions_status_created_at_idx on public.platform_commissions (status, created_at, id);
-- list_tasks (staff): of one status, soonest due first
create index tasks_status_due_at_idx on public.tasks (status, due_at, created_at, id);
