-- Search and cards: the listings an agent may see, at its visibility level, found by Turkish-aware full
-- text and structured filters (docs/matching.md, docs/access.md).

-- A query as a tsquery: each word (Turkish-normalised) matches as a prefix of its simple form or of its
-- turkish stem, all words required: 'daire' finds 'daireler', 'daireler' finds 'daire'. NULL for no words.
create or replace function guard.search_query(p_query text) returns tsquery
  language plpgsql stable
  set search_path = ''
as $$
declare
  v_word text;
  v_stem text[];
  v_terms text[] := '{}';
begin
  for v_word in select w from regexp_split_to_table(guard.tr_norm(coalesce(p_query, '')), '[^a-z0-9]+') as w where w <> '' loop
    v_stem := ts_lexize('pg_catalog.turkish_stem'::regdictionary, v_word);
    continue when cardinality(v_stem) = 0;  -- a stop word ('de' of "Kadıköy'de", 've') requires nothing
    -- a stem shorter than 4 letters ('deniz' -> 'de') would match nearly everything: the word alone then
    v_terms := v_terms || case when v_stem[1] <> v_word and length(v_stem[1]) >= 4
                               then format('(%s:* | %s:*)', v_word, v_stem[1]) else v_word || ':*' end;
  end loop;
  if cardinality(v_terms) = 0 then
    return null;
  end if;
  return to_tsquery('pg_catalog.simple', array_to_string(v_terms, ' & '));
end
$$;
comment on function guard.search_query(text) is 'tsquery of a search text: every word as a prefix of its simple form or turkish stem.';

-- The cards the caller may see, each at its level (hidden fields NULL), filtered and ranked, with the
-- count of hits up to a cap. Security definer: other agents' listings are read here, never as rows. What
-- an anonymous card hides can neither match nor rank: at that level the text matches only district, type
-- and rooms (public_vector, its own GIN index), and the price filters apply to the price band; the text of
-- hidden fields is searched only among the caller's own and granted listings. Dynamic SQL: only the
-- filters given are in the statement, so each call is planned with the indexes its filters can use.
--
-- Rank: ts_rank with weights title (A) 1.0, district, type, rooms (B) 0.4, description (C) 0.2 (a word
-- only in the description, however often, stays below one in the title); ties newest first (the id).
-- A search (no listing ids given) first ranks a bounded window: the newest vic.search_window (5,000)
-- listings (active ones for an agent) plus the caller's own and granted ones; only when the window has
-- fewer hits than the page asks does the full path run (and a rare word in an old listing is found).
-- total counts hits up to vic.search_count_cap (1,000) and is cap + 1 when there are more ("1000+").
create or replace function guard.listing_cards(
  p_portfolio_ids text[], p_query text, p_district text, p_type text, p_rooms text, p_min_price bigint,
  p_max_price bigint, p_currency text, p_listing_type text, p_limit integer, p_offset integer
) returns table (
    id text, type text, listing_type text, city text, district text, rooms text, currency text, status text,
    price_band_min bigint, price_band_max bigint, visibility_level text, listed_price bigint, title text,
    description text, media jsonb, agent_name text, agent_phone text, rank real, total bigint
  )
  language plpgsql stable security definer
  set search_path = ''
as $$
declare
  v_query tsquery := guard.search_query(p_query);
  v_all boolean := not guard.is_api_user() or guard.is_staff();  -- sees every listing in full
  v_managed uuid[] := array(select guard.managed_agent_ids());
  v_window integer := least(greatest(coalesce(nullif(current_setting('vic.search_window', true), '')::integer, 5000), 1), 100000);
  v_cap integer := least(greatest(coalesce(nullif(current_setting('vic.search_count_cap', true), '')::integer, 1000), 1), 100000);
  v_filters text;
  v_narrow integer;
  v_text_all text := case when v_query is not null then ' and p.search_vector @@ $4' else '' end;
  v_text_pub text := case when v_query is not null then ' and p.public_vector @@ $4' else '' end;
  v_full text;
  v_win text;
  v_mine text;  -- an agent's own and granted listings, searched on every field (both paths add them)
  v_hits text := $h$
    with seen as (
      select p.id, p.status, p.listed_price, p.price_band_min, p.price_band_max, p.search_vector, p.public_vector,
             ($1 or p.agent_id = any ($2)) as own, v.visibility_level as granted
      from (%s) c
      join public.portfolios p on p.id = c.id
      left join public.agent_visibility v on v.portfolio_id = p.id and v.agent_id = auth.uid()
    )
    select s.id, s.lvl,
           case when $4 is null then 0::real
                when s.lvl = 'anonymous' then ts_rank('{0, 0.2, 0.4, 1.0}', s.public_vector, $4)
                else ts_rank('{0, 0.2, 0.4, 1.0}', s.search_vector, $4) end as score
    from (select s.*, case when s.own then 'full' else coalesce(s.granted, 'anonymous') end as lvl
          from seen s
          where s.status = 'active' or s.own or s.granted is not null) as s
    where ($4 is null or s.lvl <> 'anonymous' or s.public_vector @@ $4)
      and ($10 is null or case when s.lvl = 'anonymous' then s.price_band_max > $10 else s.listed_price >= $10 end)
      and ($11 is null or case when s.lvl = 'anonymous' then s.price_band_min <= $11 else s.listed_price <= $11 end)
  $h$;
  v_page text := $p$
    select array_agg(h.id order by h.score desc, left(h.id, 4) desc, length(h.id) desc, h.id desc),
           array_agg(h.lvl order by h.score desc, left(h.id, 4) desc, length(h.id) desc, h.id desc),
           array_agg(h.score order by h.score desc, left(h.id, 4) desc, length(h.id) desc, h.id desc),
           max(h.total)
    from (select h.*, count(*) over () as total from (%s) h
          order by h.score desc, left(h.id, 4) desc, length(h.id) desc, h.id desc
          limit $12 offset $13) h
  $p$;
  v_ids text[];
  v_lvls text[];
  v_scores real[];
  v_total bigint;
begin
  if guard.is_api_user() and not coalesce(guard.authority() in ('agent', 'broker', 'admin', 'owner'), false) then
    return;  -- only agents get cards
  end if;
  -- The price filters apply to the price or to the band (anonymous cards), so a listing that passes has a price
  -- in [band of min_price, band of max_price): stated on listed_price too, they narrow the filters index.
  v_filters := case when p_portfolio_ids is not null then ' and p.id = any ($3)' else '' end
    || case when p_district is not null then ' and p.district_norm = guard.tr_norm($5)' else '' end
    || case when p_type is not null then ' and p.type = $6' else '' end
    || case when p_rooms is not null then ' and p.rooms = $7' else '' end
    || case when p_currency is not null then ' and p.currency = $8' else '' end
    || case when p_listing_type is not null then ' and p.listing_type = $9' else '' end
    || case when p_min_price is not null then ' and p.listed_price >= (guard.price_band($10)).band_min' else '' end
    || case when p_max_price is not null then ' and p.listed_price < (guard.price_band($11)).band_max' else '' end;
  -- Text and a district: a query word is a prefix ('deniz' -> deniz:*), and common words are in a tenth of all
  -- listings, which the text index returns before anything else can narrow them (the planner underestimates
  -- that). When the filters alone leave few listings (counted on their btree index, stopping at 10,000), find
  -- those first and test the text on them; otherwise let the text index lead.
  if v_query is not null and p_district is not null then
    execute format('select count(*) from (select from public.portfolios p where true %s limit 10000) x', v_filters)
      into v_narrow
      using null::boolean, null::uuid[], p_portfolio_ids, v_query, p_district, p_type, p_rooms, p_currency,
            p_listing_type, p_min_price, p_max_price;
  end if;
  -- The full path: every listing the filters and the text leave. For an agent: active listings whose visible
  -- fields match, plus its own and granted listings whose whole text matches.
  if v_narrow < 10000 then
    v_full := format('select p.id from (select p.id, p.status, p.search_vector, p.public_vector from public.portfolios p
                                         where true %s offset 0) p where true %s', v_filters,
                     case when v_all then v_text_all else ' and p.status = ''active''' || v_text_pub end);
  else
    v_full := format('select p.id from public.portfolios p where true %s%s', v_filters,
                     case when v_all then v_text_all else ' and p.status = ''active''' || v_text_pub end);
  end if;
  if not v_all then
    v_mine := format(' union select p.id from public.portfolios p where p.agent_id = any ($2) %s%s', v_text_all, v_filters)
      || format(' union select p.id from public.agent_visibility v join public.portfolios p on p.id = v.portfolio_id
                  where v.agent_id = auth.uid() %s%s', v_text_all, v_filters);
    v_full := v_full || v_mine;
  end if;
  -- The window: the newest listings (portfolios_newest_idx), then the filters and the text on them only.
  if p_portfolio_ids is null and coalesce(v_narrow, 10000) >= 10000 then
    v_win := format('select p.id from (select p.id, p.status, p.district_norm, p.type, p.rooms, p.currency, p.listing_type,
                                              p.listed_price, p.search_vector, p.public_vector
                                       from public.portfolios p %s
                                       order by left(p.id, 4) desc, length(p.id) desc, p.id desc limit %s) p
                     where true %s%s', case when v_all then '' else 'where p.status = ''active''' end, v_window,
                    case when v_all then v_text_all else v_text_pub end, v_filters);
    v_win := v_win || coalesce(v_mine, '');
    execute format(v_page, format(v_hits, v_win)) into v_ids, v_lvls, v_scores, v_total
      using v_all, v_managed, p_portfolio_ids, v_query, p_district, p_type, p_rooms, p_currency, p_listing_type,
            p_min_price, p_max_price, p_limit, p_offset;
    if coalesce(cardinality(v_ids), 0) = p_limit then
      if v_total <= v_cap then  -- the window holds fewer hits than the cap: count them all, up to the cap
        execute format('select count(*) from (select from (%s) h limit %s) h', format(v_hits, v_full), v_cap + 1)
          into v_total
          using v_all, v_managed, p_portfolio_ids, v_query, p_district, p_type, p_rooms, p_currency, p_listing_type,
                p_min_price, p_max_price;
      end if;
    else
      v_ids := null;  -- fewer hits than the page: the full path
    end if;
  end if;
  if v_ids is null then
    execute format(v_page, format(v_hits, v_full)) into v_ids, v_lvls, v_scores, v_total
      using v_all, v_managed, p_portfolio_ids, v_query, p_district, p_type, p_rooms, p_currency, p_listing_type,
            p_min_price, p_max_price, p_limit, p_offset;
  end if;
  -- the card's fields are read for the page's rows only
  return query
    select p.id, p.type, p.listing_type, p.city, p.district, p.rooms, p.currency, p.status,
           p.price_band_min, p.price_band_max, g.lvl,
           case when g.lvl <> 'anonymous' then p.listed_price end,
           case when g.lvl <> 'anonymous' then p.title end,
           case when g.lvl <> 'anonymous' then p.description end,
           case when g.lvl <> 'anonymous' then
             (select coalesce(jsonb_agg(jsonb_build_object('media_type', m.media_type, 'storage_path', m.storage_path)
                                        order by m.sort_order), '[]'::jsonb)
              from public.portfolio_media m where m.portfolio_id = p.id)
           end,
           case when g.lvl <> 'anonymous' then a.display_name end,
           case when g.lvl = 'full' then a.phone end,
           g.score, least(v_total, v_cap + 1)
    from unnest(v_ids, v_lvls, v_scores) with ordinality as g (id, lvl, score, ord)
    join public.portfolios p on p.id = g.id
    join public.contacts a on a.id = p.agent_id
    order by g.ord;
end
$$;
comment on function guard.listing_cards(text[], text, text, text, text, bigint, bigint, text, text, integer, integer) is 'Cards of the listings the caller may see, filtered, ranked (title and district above description, ties newest first), a window of the newest first, hits counted up to a cap (see portfolio_cards, search_portfolios).';

create or replace function guard.check_page(p_limit integer, p_offset integer) returns void
  language plpgsql immutable
  set search_path = ''
as $$
begin
  if p_limit is null or p_limit not between 1 and 500 then
    raise exception using errcode = 'VC001', message = 'limit must be between 1 and 500';
  end if;
  if p_offset is null or p_offset not between 0 and 100000 then
    raise exception using errcode = 'VC001', message = 'offset must be between 0 and 100000';
  end if;
end
$$;
comment on function guard.check_page(integer, integer) is 'Raises VC001 for a limit outside 1-500 or an offset outside 0-100000.';

-- Search listings: text and filters, ranked, as cards of the caller's level; records a market signal.
create or replace function public.search_portfolios(
  p_query text default null,
  p_district text default null,
  p_type text default null,
  p_rooms text default null,
  p_min_price bigint default null,
  p_max_price bigint default null,
  p_currency text default null,
  p_listing_type text default null,
  p_limit integer default 20,
  p_offset integer default 0
) returns table (
    id text, type text, listing_type text, city text, district text, rooms text, currency text, status text,
    price_band_min bigint, price_band_max bigint, visibility_level text, listed_price bigint, title text,
    description text, media jsonb, agent_name text, agent_phone text, rank real, total bigint, total_capped boolean
  )
  -- security definer only for its market signal: authenticated may not insert signals (attack class c6); the
  -- cards come from guard.listing_cards, which checks the caller's levels itself
  language plpgsql security definer
  set search_path = ''
as $$
declare
  v_total bigint;
  v_cap integer := least(greatest(coalesce(nullif(current_setting('vic.search_count_cap', true), '')::integer, 1000), 1), 100000);
begin
  perform guard.check_page(p_limit, p_offset);
  -- the text first, by its length, before any parsing: a 5 MB text or 20,000 words are refused at once
  if length(p_query) > 200 then
    raise exception using errcode = 'VC001', message = 'query must be at most 200 characters';
  elsif array_length(regexp_split_to_array(btrim(p_query), '\s+'), 1) > 20 then
    raise exception using errcode = 'VC001', message = 'query must be at most 20 words';
  end if;
  perform guard.check_listing_fields(p_type, p_listing_type, null, p_district, null, p_currency, p_rooms, null, null, null);
  if p_district is not null then
    p_district := guard.canonical_district(p_district, 'district');
  end if;
  if p_min_price is not null then
    perform guard.check_amount(p_min_price, 'min_price');
  end if;
  if p_max_price is not null then
    perform guard.check_amount(p_max_price, 'max_price');
  end if;
  if p_min_price > p_max_price then
    raise exception using errcode = 'VC001', message = 'min_price and max_price must be positive, min_price at most max_price';
  end if;
  for id, type, listing_type, city, district, rooms, currency, status, price_band_min, price_band_max,
      visibility_level, listed_price, title, description, media, agent_name, agent_phone, rank, v_total in
    select * from guard.listing_cards(null, p_query, p_district, p_type, p_rooms, p_min_price, p_max_price,
                                        p_currency, p_listing_type, p_limit, p_offset)
  loop
    -- hits counted up to the cap: more than that is "1000+" (total 1000, total_capped)
    total := least(v_total, v_cap);
    total_capped := v_total > v_cap;
    return next;
  end loop;
  -- one signal per search (its first page); match_count is the number of hits on every page, counted up to
  -- the cap (cap + 1: more)
  -- only a search that could see cards is demand (a customer's API call sees none: no signal)
  if p_offset = 0 and (not guard.is_api_user() or guard.authority() in ('agent', 'broker', 'admin', 'owner')) then
    insert into public.market_signals (source_type, source_id, query_raw, parsed_criteria, match_count)
    values ('search', auth.uid(), p_query,
            jsonb_strip_nulls(jsonb_build_object(
              'districts', case when p_district is not null then jsonb_build_array(p_district) end,
              'types', case when p_type is not null then jsonb_build_array(p_type) end,
              'rooms', case when p_rooms is not null then jsonb_build_array(p_rooms) end,
              'min_price', p_min_price, 'max_price', p_max_price, 'currency', p_currency,
              'listing_type', p_listing_type)),
            coalesce(v_total, 0));
  end if;
end
$$;
comment on function public.search_portfolios(text, text, text, text, bigint, bigint, text, text, integer, integer) is 'Search listings by Turkish-aware text (kadikoy finds Kadıköy; daire finds daireler) and filters (district, type, rooms, price range, currency, listing type), ranked (title and district above description, ties newest first), with the hits counted up to 1000 (total; total_capped: "1000+"); returns cards at the caller''s visibility level and never a hidden field; records a market signal.';

revoke execute on function public.search_portfolios(text, text, text, text, bigint, bigint, text, text, integer, integer)
  from public, anon;
grant execute on function public.search_portfolios(text, text, text, text, bigint, bigint, text, text, integer, integer)
  to authenticated, service_role;
grant execute on function guard.search_query(text), guard.check_page(integer, integer),
  guard.listing_cards(text[], text, text, text, text, bigint, bigint, text, text, integer, integer)
  to authenticated, service_role;
-- The normalisation behind generated columns runs as whoever writes a listing or request.
grant execute on function guard.tr_norm(text), guard.tr_vector(text, "char"),
  guard.listing_public_vector(text, text, text), guard.criteria_keys(jsonb, text, boolean) to authenticated, service_role;
