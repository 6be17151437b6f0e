-- 0025: a match's notified_agent_id is kept equal to the agent who acts on it (the request's agent, else the
-- listing agent) on every path, and the matches policy reads who may read a match from it (functions/
-- matching.sql keeps it; functions/access.sql, policies/portfolio_matching.sql read it). Matches whose
-- request was reassigned, or whose listing changed agent, since they were made are brought in line once.
update public.portfolio_request_matches m
set notified_agent_id = coalesce(r.assigned_agent, p.agent_id)
from public.requests r, public.portfolios p
where r.id = m.request_id and p.id = m.portfolio_id
  and m.notified_agent_id is distinct from coalesce(r.assigned_agent, p.agent_id);
comment on column public.portfolio_request_matches.notified_agent_id is 'The agent who acts on the match and may read it: the request''s agent, else the listing agent (kept current by the database).';
