-- 0007: schema guard. Nothing in private is executable by the API roles any more (anon, authenticated,
-- service_role): row-level security predicates about the caller, input checks and the helpers that
-- generated columns and security invoker RPCs run as the caller move to guard, which the API roles may
-- execute but PostgREST does not expose. Moving (not re-creating) keeps the policies, generated
-- columns and triggers that refer to them; the ones functions/ creates are moved only where they exist
-- already (an upgrade), and functions/ creates them in guard otherwise.
create schema guard;
revoke all on schema guard from public;
comment on schema guard is 'Helpers the API roles run as themselves: row-level security predicates about the caller (auth.uid()), input checks, the normalisers generated columns use. Not exposed through the API; nothing here writes across row-level security (tests/test_lints.py).';

do $$
declare
  v_fn regprocedure;
begin
  for v_fn in
    select p.oid::regprocedure from pg_proc p
    where p.pronamespace = 'private'::regnamespace
      and p.proname = any (array['tr_norm', 'tr_vector', 'listing_public_vector', 'price_band', 'criteria_keys', 'is_api_user', 'authority', 'is_staff', 'managed_agent_ids', 'related_contact_ids', 'notified_request_ids', 'can_manage_portfolio', 'deny_or_missing', 'commission_total', 'split_commission', 'check_commission_cap', 'onboarding_transition_allowed', 'can_act_on_deal', 'set_task_status', 'check_listing_fields', 'upsert_confidential', 'set_listing_status', 'check_amount', 'answer_offer', 'check_criteria', 'update_request', 'search_query', 'listing_cards', 'check_page', 'showing_to_act_on', 'check_slot', 'raise_slot_taken', 'set_showing_status', 'visibility_rank', 'is_active_agent', 'visibility_of'])
  loop
    execute format('alter function %s set schema guard', v_fn);
  end loop;
end
$$;

-- Their bodies name each other: re-create them with the new schema's names.
create or replace function guard.tr_vector(p_text text, p_weight "char") returns tsvector
  language sql immutable parallel safe
  set search_path = ''
as $$
  select setweight(to_tsvector('simple'::regconfig, guard.tr_norm(coalesce(p_text, '')))
                   || to_tsvector('turkish'::regconfig, guard.tr_norm(coalesce(p_text, ''))), p_weight)
$$;

create or replace function guard.listing_public_vector(p_district text, p_type text, p_rooms text) returns tsvector
  language sql immutable parallel safe
  set search_path = ''
as $$
  select guard.tr_vector(concat_ws(' ', p_district, p_type, p_rooms), 'B')
$$;

create or replace function guard.criteria_keys(p_criteria jsonb, p_key text, p_normalise boolean) returns text[]
  language sql immutable parallel safe
  set search_path = ''
as $$
  select coalesce(
    (select array_agg(case when p_normalise then guard.tr_norm(e) else e end order by e)
     from jsonb_array_elements_text(case when jsonb_typeof(p_criteria -> p_key) = 'array' then p_criteria -> p_key end) as e),
    array['*'])
$$;
