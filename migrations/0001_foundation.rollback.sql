-- Undo 0001: drop the 21 tables, the private schema and every function functions/ put in public.
-- (Functions are re-applied after each migrate, so the first migration's rollback removes them all.)
drop table if exists
  public.documents, public.tasks,
  public.pending_notifications, public.interaction_tracker, public.message_log,
  public.platform_commissions, public.deal_negotiations, public.deal_confirmations, public.showings, public.deals,
  public.portfolio_request_matches, public.market_signals, public.requests, public.portfolio_history,
  public.portfolio_media, public.portfolio_confidential, public.portfolios,
  public.agent_visibility, public.agent_profiles, public.contacts,
  public.sessions
  cascade;
drop schema if exists private cascade;
do $$
declare
  v_fn regprocedure;
begin
  for v_fn in
    select p.oid::regprocedure
    from pg_proc p
    join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public'
      and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
  loop
    execute format('drop function %s cascade', v_fn);
  end loop;
end
$$;
