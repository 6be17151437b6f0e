-- Confidential data: the floor price (min_price) never above the listed price, from either side.
-- Both triggers lock the other row (for share), so a concurrent price cut and floor raise cannot
-- both pass. Security definer: the check reads the other table whatever the caller may see.

create or replace function private.tg_portfolio_confidential__floor() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
begin
  -- Someone who may not write this row learns nothing here: row-level security rejects it next.
  if guard.is_api_user() and not guard.can_manage_portfolio(new.portfolio_id) then
    return new;
  end if;
  if new.min_price > (select p.listed_price from public.portfolios p where p.id = new.portfolio_id for share) then
    raise exception using errcode = 'VC001', message = 'min_price cannot be above the listing''s listed_price';
  end if;
  return new;
end
$$;
comment on function private.tg_portfolio_confidential__floor() is 'Trigger: min_price <= the listing''s listed_price.';

create or replace function private.tg_portfolios__floor() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
begin
  if new.listed_price < (select c.min_price from public.portfolio_confidential c where c.portfolio_id = new.id for share) then
    raise exception using errcode = 'VC001', message = 'listed_price cannot go below the floor price (min_price)';
  end if;
  return new;
end
$$;
comment on function private.tg_portfolios__floor() is 'Trigger: listed_price never below the confidential floor price.';

create or replace trigger _200_floor before insert or update of min_price, portfolio_id on public.portfolio_confidential
  for each row execute function private.tg_portfolio_confidential__floor();
comment on trigger _200_floor on public.portfolio_confidential
  is 'The owner''s floor price may not exceed the listing''s listed price.';
create or replace trigger _200_floor before update of listed_price on public.portfolios
  for each row execute function private.tg_portfolios__floor();
comment on trigger _200_floor on public.portfolios
  is 'The listed price may not go below the owner''s confidential floor price (portfolio_confidential.min_price).';
