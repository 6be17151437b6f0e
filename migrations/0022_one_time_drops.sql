-- 0022: the one-time drops functions/ and policies/ used to re-run on every migrate (both folders are re-applied
-- each time: they create, they do not retire). `create or replace` cannot change a function's arguments or result,
-- so such a change is a drop here, once; functions/ then creates the new form.
-- private.match_candidates: its result gained the two agents (listing_agent, request_agent)
drop function if exists private.match_candidates(text[], uuid[]);

-- Retired policies: open_deal (security definer) is the only way to open a deal; entering closing creates the
-- confirmations; documents are evidence the database issues, which no API user creates or deletes; matches are
-- read through "Parties read their matches"; raw market signals are for staff only, and the database records them.
drop policy if exists "The deal's agents open deals" on public.deals;
drop policy if exists "The deal's agents create confirmations" on public.deal_confirmations;
drop policy if exists "Agents create their documents" on public.documents;
drop policy if exists "Staff delete documents" on public.documents;
drop policy if exists "Agents read the matches they act on" on public.portfolio_request_matches;
drop policy if exists "Staff and brokers read market signals" on public.market_signals;
drop policy if exists "Contacts record their own signals" on public.market_signals;
