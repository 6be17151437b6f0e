-- Market signals: every search, request and session extraction leaves one (search.sql, matching.sql),
-- written by the database only; staff read the rows. unmet_demand reports the ones no listing matched,
-- platform-wide, as counts without identities (no source_id, no single criteria).

-- Zero-match demand in [p_since, p_until), by district, type, currency and price band of the budget; the last
-- 30 days unless told.
create or replace function public.unmet_demand(p_since timestamptz default now() - interval '30 days',
                                               p_until timestamptz default now())
  returns table (district text, type text, currency text, price_band_min bigint, price_band_max bigint, signals integer)
  language plpgsql stable security definer
  set search_path = ''
as $$
begin
  -- security definer (brokers no longer read the rows): the caller is checked first
  if guard.is_api_user() and coalesce(guard.authority(), '') not in ('broker', 'admin', 'owner') then
    raise exception using errcode = '42501', message = 'unmet_demand: brokers and staff only';
  end if;
  if p_since is null or p_until is null or p_since >= p_until then
    raise exception using errcode = 'VC001', message = 'since must be before until';
  end if;
  -- every office's signals, aggregated: the groups carry no contact and no single request's criteria
  return query
    select min(d.district), t.type, coalesce(s.parsed_criteria ->> 'currency', 'TRY'), b.band_min, b.band_max,
           count(*)::integer
    from public.market_signals s
    cross join lateral jsonb_array_elements_text(coalesce(s.parsed_criteria -> 'districts', '["(any)"]')) as d (district)
    cross join lateral jsonb_array_elements_text(coalesce(s.parsed_criteria -> 'types', '["(any)"]')) as t (type)
    left join lateral guard.price_band((s.parsed_criteria ->> 'max_price')::bigint) b on true
    where s.match_count = 0 and s.created_at >= p_since and s.created_at < p_until
    group by guard.tr_norm(d.district), 2, 3, 4, 5
    order by count(*) desc, 1, 2, 3, 4;
end
$$;
comment on function public.unmet_demand(timestamptz, timestamptz) is 'Demand that matched no listing between p_since (default 30 days ago) and p_until (default now), by district, type, currency and budget band (from searches, requests and sessions). Brokers, staff, bot.';

revoke execute on function public.unmet_demand(timestamptz, timestamptz) from public, anon;
grant execute on function public.unmet_demand(timestamptz, timestamptz) to authenticated, service_role;
