-- Undo 0003. First what functions/ attached that needs 0003's objects (the next migrate re-applies it).
drop trigger if exists _050_listing_id on public.portfolios;
drop trigger if exists _900_match_insert on public.portfolios;
drop trigger if exists _900_match_update on public.portfolios;
drop trigger if exists _900_match_insert on public.requests;
drop trigger if exists _900_match_update on public.requests;
drop trigger if exists _850_match_floor on public.portfolio_confidential;
drop view if exists private.pair_criteria;
drop table private.request_match_keys, private.listing_match_keys;
drop index if exists public.market_signals_unmet_idx;
drop index public.portfolio_request_matches_notified_agent_id_idx;
create index portfolio_request_matches_notified_agent_id_idx on public.portfolio_request_matches (notified_agent_id);
alter table public.requests
  drop column crit_districts, drop column crit_types, drop column crit_rooms, drop column crit_currency,
  drop column crit_min_price, drop column crit_max_price, drop column crit_budget;
drop function private.criteria_keys(jsonb, text, boolean);
alter table public.portfolios
  drop column search_vector, drop column district_norm, drop column district_keys, drop column type_keys,
  drop column price_reach, drop column match_floor, drop column price_band_min, drop column price_band_max,
  drop column public_vector,
  add column search_vector tsvector;
comment on column public.portfolios.search_vector is 'Full-text vector over title, description, district, type and rooms, kept by the database.';
create index portfolios_search_vector_idx on public.portfolios using gin (search_vector);
drop table private.portfolio_id_counters;
drop function private.listing_public_vector(text, text, text);
drop function private.price_band(bigint);
drop function private.tr_vector(text, "char");
drop function private.tr_norm(text);
drop extension if exists unaccent;
drop extension if exists btree_gist;
