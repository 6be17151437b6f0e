-- 0023 reads: explain_match returns the verdict beside each criterion (hard_filter, scored, matched, score,
-- max_score, verdict), so that no client restates the matching rule. Its result type changes: the old pair is
-- dropped here and functions/matching.sql makes the new one. The indexes below serve the read RPCs of
-- functions/reads.sql (newest first per caller, open tasks).
drop function if exists public.explain_match(text, uuid);
drop function if exists private.explain_match(text, uuid);
