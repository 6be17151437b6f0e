-- Undo 0015: the indexes go; search_portfolios of the release before is made by that release's functions/.
drop function if exists public.search_portfolios(text, text, text, text, bigint, bigint, text, text, integer, integer);
drop index if exists public.portfolios_newest_idx;
drop index if exists public.portfolios_public_vector_idx;
