-- Undo 0023: the read indexes go, and explain_match is the release before's again (criterion, passed, points),
-- made here so that the database answers as that release expects without re-applying its functions/.
drop index if exists public.portfolio_request_matches_created_at_idx, public.deals_last_activity_idx,
  public.deals_status_last_activity_idx, public.requests_created_at_idx, public.requests_status_created_at_idx,
  public.platform_commissions_created_at_idx, public.platform_commissions_status_created_at_idx,
  public.tasks_status_due_at_idx;
drop function if exists public.explain_match(text, uuid);
drop function if exists private.explain_match(text, uuid);
-- Every criterion of a pair with pass/fail and its points; never a price. Only for a pair the caller is a
-- party to (guard.readable_matches) and that matches; staff and the bot any pair. Permission is checked
-- first and a refusal reads the same whether the listing, the request or the match exists or not.
create or replace function private.explain_match(p_portfolio_id text, p_request_id uuid)
  returns table (criterion text, passed boolean, points integer)
  language plpgsql stable security definer
  set search_path = ''
as $$
begin
  if guard.is_api_user() and not guard.is_staff()
     and not exists (select 1 from guard.readable_matches v
                     where v.portfolio_id = p_portfolio_id and v.request_id = p_request_id) then
    raise exception using errcode = '42501', message = format('match of listing %s and request %s: not found or not yours', p_portfolio_id, p_request_id);
  end if;
  return query
    select x.criterion, x.passed, case when x.scored and x.passed then 1 else 0 end
    from private.pair_criteria c
    cross join lateral (values
      ('open', c.open, false), ('listing_type', c.listing_type_ok, false), ('currency', c.currency_ok, false),
      ('district', c.district_ok, true), ('type', c.type_ok, true), ('rooms', c.rooms_ok, true),
      ('reachable_within_budget', c.reachable_ok, true), ('within_budget_without_negotiation', c.within_budget_ok, true)
    ) as x (criterion, passed, scored)
    where c.portfolio_id = p_portfolio_id and c.request_id = p_request_id;
  if not found then
    perform guard.deny_or_missing(format('match of listing %s and request %s', p_portfolio_id, p_request_id));
  end if;
end
$$;
comment on function private.explain_match(text, uuid) is 'The criteria of a pair with pass/fail and points, after checking the caller (a party to the match, staff, bot).';

create or replace function public.explain_match(p_portfolio_id text, p_request_id uuid)
  returns table (criterion text, passed boolean, points integer)
  language plpgsql stable security definer
  set search_path = ''
as $$
begin
  perform guard.check_listing_id(p_portfolio_id);  -- the input alone: says nothing about any row
  return query select * from private.explain_match(p_portfolio_id, p_request_id);
end
$$;
comment on function public.explain_match(text, uuid) is 'Explain a match: each criterion (open, listing_type, currency, district, type, rooms, reachable_within_budget, within_budget_without_negotiation) with pass/fail and points (the score is their sum); never a price. Only a matching pair the caller is a party to: the request''s agent and its broker, the listing''s managers while the request is unassigned; staff and the bot any pair. A refusal (42501) is the same whether the pair exists or not.';
revoke execute on function public.explain_match(text, uuid) from public, anon;
grant execute on function public.explain_match(text, uuid) to authenticated, service_role;
