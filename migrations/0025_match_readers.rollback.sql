-- Undo 0025: the column's meaning as before. The agents brought in line stay (the rule before 0025 does not
-- read them).
comment on column public.portfolio_request_matches.notified_agent_id is 'The agent who should act (request''s agent, else the listing agent).';
