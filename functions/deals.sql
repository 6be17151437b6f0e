-- Deals: the listing side of a deal or showing comes from the listing itself, never from the writer.

-- The listing agent of a deal (listing_agent_id) or showing (agent_id) is the listing's agent.
-- Security definer: a buying agent writing the row cannot read the listing.
create or replace function private.tg_listing_side__from_listing() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
declare
  v_agent uuid := (select p.agent_id from public.portfolios p where p.id = new.portfolio_id);
begin
  if tg_table_name = 'deals' then
    new.listing_agent_id := v_agent;
  else
    new.agent_id := v_agent;
  end if;
  return new;
end
$$;
comment on function private.tg_listing_side__from_listing() is 'Trigger: a deal''s listing_agent_id and a showing''s agent_id are the listing''s agent.';

create or replace trigger _200_listing_agent before insert or update of portfolio_id, listing_agent_id on public.deals
  for each row execute function private.tg_listing_side__from_listing();
create or replace trigger _200_listing_agent before insert or update of portfolio_id, agent_id on public.showings
  for each row execute function private.tg_listing_side__from_listing();
