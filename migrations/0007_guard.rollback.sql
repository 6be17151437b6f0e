-- Undo 0007: the helpers it moved go back to private; the other functions in guard (functions/ created them there)
-- are dropped, as 0007 would not move them again (left in private, they would be orphans beside functions/' new
-- ones); guard is dropped.
do $$
declare
  v_fn regprocedure;
begin
  for v_fn in
    select p.oid::regprocedure from pg_proc p
    where p.pronamespace = 'guard'::regnamespace
      and p.proname = any (array[
        'tr_norm', 'tr_vector', 'listing_public_vector', 'price_band', 'criteria_keys', 'is_api_user',
        'authority', 'is_staff', 'managed_agent_ids', 'related_contact_ids', 'notified_request_ids',
        'can_manage_portfolio', 'deny_or_missing', 'commission_total', 'split_commission',
        'check_commission_cap', 'onboarding_transition_allowed', 'can_act_on_deal', 'set_task_status',
        'check_listing_fields', 'upsert_confidential', 'set_listing_status', 'check_amount', 'answer_offer',
        'check_criteria', 'update_request', 'search_query', 'listing_cards', 'check_page', 'showing_to_act_on',
        'check_slot', 'raise_slot_taken', 'set_showing_status', 'visibility_rank', 'is_active_agent',
        'visibility_of'])
  loop
    execute format('alter function %s set schema private', v_fn);
  end loop;
  for v_fn in select p.oid::regprocedure from pg_proc p where p.pronamespace = 'guard'::regnamespace loop
    execute format('drop function %s', v_fn);
  end loop;
end
$$;
drop schema guard;
