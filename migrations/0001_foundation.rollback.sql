-- Undo 0001: drop the project's own objects, and only those: the 21 tables, the private schema and the public
-- functions functions/ defines (listed by name below: re-applied after each migrate, they belong to no migration,
-- so this last rollback removes them). A shared Supabase project keeps every other function, table and type in
-- public. When an object outside the project depends on ours (another app's view or foreign key on our tables, a
-- function or trigger using ours), the rollback refuses before dropping anything and names it, rather than
-- letting cascade take it along. A new public function in functions/ adds its name to v_functions (a test in
-- tests/test_migrations.py names any that is missing).
do $$
declare
  v_tables text[] := array[
    'documents', 'tasks', 'pending_notifications', 'interaction_tracker', 'message_log', 'platform_commissions',
    'deal_negotiations', 'deal_confirmations', 'showings', 'deals', 'portfolio_request_matches', 'market_signals',
    'requests', 'portfolio_history', 'portfolio_media', 'portfolio_confidential', 'portfolios', 'agent_visibility',
    'agent_profiles', 'contacts', 'sessions'];
  v_functions text[] := array[
      'accept_offer', 'ack_message', 'ack_messages', 'add_media', 'assign_request', 'budget_churn',
      'cancel_deal', 'cancel_showing', 'cancel_task', 'change_contact_bsuid', 'change_contact_phone',
      'claim_messages', 'claim_notifications', 'claim_nudges', 'close_request', 'close_session',
      'commission_split', 'complete_task', 'confirm_closing', 'consent_history', 'contact_identity_history',
      'counter_offer', 'create_listing', 'create_request', 'deactivate_listing', 'dead_messages',
      'explain_match', 'export_training_conversations', 'extract_request', 'grant_visibility',
      'ingest_message', 'make_offer', 'mark_shown', 'match_event_lag', 'notification_sent', 'open_deal',
      'open_followups', 'portfolio_cards', 'process_match_events', 'reactivate_listing', 'record_consent',
      'reject_offer', 'release_message', 'reorder_media', 'requeue_message', 'reschedule_showing',
      'schedule_showing', 'search_portfolios', 'session_summary', 'set_agent_role', 'set_commission_split',
      'set_commission_status', 'set_onboarding_status', 'share_listing', 'stale_deals', 'start_closing',
      'unmet_demand', 'update_agent_profile', 'update_listing', 'update_request_criteria',
      'update_session_slots', 'upsert_contact', 'whoami', 'window_open', 'window_status',
      'contact_summary', 'deal_summary', 'list_commissions', 'list_deals', 'list_matches', 'list_requests', 'list_tasks',
      'listing_summary', 'request_summary', 'contact_names'];
  v_rels oid[];
  v_procs oid[];
  v_types oid[];
  v_foreign text;
  v_fn regprocedure;
begin
  -- ours: the tables and their row types, the listed public functions, everything in private
  select array_agg(c.oid) into v_rels
  from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  where (n.nspname = 'public' and c.relname = any(v_tables)) or n.nspname = 'private';
  select array_agg(p.oid) into v_procs
  from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
  where (n.nspname = 'public' and p.proname = any(v_functions)) or n.nspname = 'private';
  select array_agg(t.oid) into v_types
  from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
  where n.nspname = 'private' or t.typrelid = any(v_rels);
  -- what depends on ours, resolved to the object it belongs to (a view's rule to the view; a constraint, trigger,
  -- policy, default or index to its table; a table's row type to the table): whatever is not ours is foreign
  select string_agg(distinct case when r.oid is not null then pg_catalog.pg_describe_object(
                                      'pg_catalog.pg_class'::regclass, r.ev_class, 0)
                                    else pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) end || ' (uses '
                    || pg_catalog.pg_describe_object(d.refclassid, d.refobjid, 0) || ')', ', ')
  into v_foreign
  from pg_catalog.pg_depend d
  left join pg_catalog.pg_rewrite r on d.classid = 'pg_catalog.pg_rewrite'::regclass and r.oid = d.objid
  left join pg_catalog.pg_constraint co on d.classid = 'pg_catalog.pg_constraint'::regclass and co.oid = d.objid
  left join pg_catalog.pg_trigger tg on d.classid = 'pg_catalog.pg_trigger'::regclass and tg.oid = d.objid
  left join pg_catalog.pg_policy po on d.classid = 'pg_catalog.pg_policy'::regclass and po.oid = d.objid
  left join pg_catalog.pg_attrdef ad on d.classid = 'pg_catalog.pg_attrdef'::regclass and ad.oid = d.objid
  left join pg_catalog.pg_type ty on d.classid = 'pg_catalog.pg_type'::regclass and ty.oid = d.objid
  left join pg_catalog.pg_index ix on d.classid = 'pg_catalog.pg_class'::regclass and ix.indexrelid = d.objid
  where d.deptype = 'n'
    and ((d.refclassid = 'pg_catalog.pg_class'::regclass and d.refobjid = any(v_rels))
      or (d.refclassid = 'pg_catalog.pg_proc'::regclass and d.refobjid = any(v_procs))
      or (d.refclassid = 'pg_catalog.pg_type'::regclass and d.refobjid = any(v_types)))
    and not case
      when r.oid is not null then r.ev_class = any(v_rels)
      when co.oid is not null then co.conrelid = any(v_rels) or co.contypid = any(v_types)
      when tg.oid is not null then tg.tgrelid = any(v_rels)
      when po.oid is not null then po.polrelid = any(v_rels)
      when ad.oid is not null then ad.adrelid = any(v_rels)
      when ty.oid is not null then ty.oid = any(v_types) or ty.typrelid = any(v_rels)
      when ix.indexrelid is not null then ix.indrelid = any(v_rels)
      when d.classid = 'pg_catalog.pg_class'::regclass then d.objid = any(v_rels)
      when d.classid = 'pg_catalog.pg_proc'::regclass then d.objid = any(v_procs)
      else false
    end;
  if v_foreign is not null then
    raise exception using errcode = '2BP01',
      message = 'the foundation''s rollback would drop objects outside the project: ' || v_foreign,
      hint = 'Drop or change those objects first; nothing was dropped.';
  end if;
  -- every overload of a listed name: an older signature left behind by a change is ours too (regprocedure
  -- prints public names qualified: the runner's search_path is its own schema)
  for v_fn in
    select p.oid::regprocedure from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public' and p.proname = any(v_functions)
  loop
    execute format('drop function %s cascade', v_fn);
  end loop;
  execute (select 'drop table if exists ' || pg_catalog.string_agg(format('public.%I', t), ', ') || ' cascade'
           from pg_catalog.unnest(v_tables) t);
  drop schema if exists private cascade;
end
$$;
