-- 0015: search at 1M listings (issue 12). search_portfolios returns the hit count up to a cap (total,
-- total_capped): its result type changes, so the old one is dropped here and functions/search.sql makes the
-- new one. Two indexes: the newest listings first (the window a broad search ranks), and the fields every
-- agent sees (public_vector) of active listings, so an agent's text search over other agents' listings reads
-- only those fields' hits and never the hits of their hidden title and description.
drop function if exists public.search_portfolios(text, text, text, text, bigint, bigint, text, text, integer, integer);
create index portfolios_newest_idx on public.portfolios ((left(id, 4)) desc, (length(id)) desc, id desc);
create index portfolios_public_vector_idx on public.portfolios using gin (public_vector) where status = 'active';
