-- Schema: the 21 tables of the ERD with their columns, keys, foreign keys, indexes, row-level security and comments.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(123);

select tables_are('public', array['contacts', 'agent_profiles', 'agent_visibility', 'portfolios', 'portfolio_confidential', 'portfolio_media', 'portfolio_history', 'requests', 'market_signals', 'portfolio_request_matches', 'deals', 'showings', 'deal_confirmations', 'deal_negotiations', 'platform_commissions', 'sessions', 'message_log', 'interaction_tracker', 'pending_notifications', 'tasks', 'documents'], 'public holds exactly the 21 ERD tables');

-- Columns: the ERD's, under its names, plus the bookkeeping a real system needs.
select columns_are('public', 'agent_profiles', array['contact_id', 'role', 'office', 'specialty', 'territory', 'target_monthly', 'active', 'created_at', 'updated_at']);
select columns_are('public', 'agent_visibility', array['id', 'portfolio_id', 'agent_id', 'visibility_level', 'deal_id', 'granted_by', 'created_at', 'updated_at']);
select columns_are('public', 'contacts', array['id', 'phone', 'bsuid', 'contact_type', 'display_name', 'onboarding_status', 'consent_transfer', 'consent_transfer_at', 'consent_training', 'consent_training_at', 'consent_marketing', 'consent_marketing_at', 'created_at', 'updated_at']);
select columns_are('public', 'deal_confirmations', array['id', 'deal_id', 'agent_id', 'role', 'confirmed', 'confirmed_at', 'reminder_sent', 'created_at', 'updated_at']);
select columns_are('public', 'deal_negotiations', array['id', 'deal_id', 'from_contact_id', 'to_contact_id', 'amount', 'status', 'created_at', 'updated_at']);
select columns_are('public', 'deals', array['id', 'portfolio_id', 'customer_id', 'listing_agent_id', 'buying_agent_id', 'is_cross_agent', 'match_id', 'request_id', 'created_by', 'status', 'offer_price', 'closing_price', 'commission_total', 'cancel_reason', 'last_activity_at', 'closed_at', 'created_at', 'updated_at']);
select columns_are('public', 'documents', array['id', 'type', 'contact_id', 'portfolio_id', 'agent_id', 'showing_id', 'deal_id', 'template_data', 'file_url', 'created_at', 'updated_at']);
select columns_are('public', 'interaction_tracker', array['contact_id', 'last_inbound', 'last_outbound', 'phone_expires_at', 'nudge_sent_at', 'created_at', 'updated_at']);
select columns_are('public', 'market_signals', array['id', 'source_type', 'source_id', 'query_raw', 'parsed_criteria', 'match_count', 'created_at']);
select columns_are('public', 'message_log', array['id', 'from_contact', 'to_contact', 'direction', 'message_type', 'content', 'wa_message_id', 'session_id', 'processed_at', 'claimed_by', 'claim_attempts', 'interactive_payload', 'created_at', 'content_withheld', 'lease_until', 'dead_at', 'last_error']);
select columns_are('public', 'pending_notifications', array['id', 'contact_id', 'kind', 'body', 'buttons', 'delivered_at', 'created_at', 'claimed_until', 'claim_attempts', 'wa_message_id', 'match_id']);
select columns_are('public', 'platform_commissions', array['id', 'deal_id', 'contact_id', 'role', 'rate', 'amount', 'status', 'created_at', 'updated_at']);
select columns_are('public', 'portfolio_confidential', array['portfolio_id', 'owner_name', 'owner_phone', 'min_price', 'commission_rate', 'private_notes', 'created_at', 'updated_at']);
select columns_are('public', 'portfolio_history', array['id', 'portfolio_id', 'event_type', 'old_value', 'new_value', 'changed_by', 'is_confidential', 'created_at']);
select columns_are('public', 'portfolio_media', array['id', 'portfolio_id', 'media_type', 'storage_path', 'sort_order', 'uploaded_by', 'created_at', 'updated_at']);
select columns_are('public', 'portfolio_request_matches', array['id', 'portfolio_id', 'request_id', 'match_score', 'trigger_type', 'notified', 'notified_agent_id', 'created_at', 'updated_at']);
select columns_are('public', 'portfolios', array['id', 'agent_id', 'type', 'listing_type', 'title', 'description', 'city', 'district', 'rooms', 'listed_price', 'currency', 'status', 'district_norm', 'district_keys', 'type_keys', 'match_floor', 'price_reach', 'price_band_min', 'price_band_max', 'public_vector', 'search_vector', 'created_at', 'updated_at']);
select columns_are('public', 'requests', array['id', 'customer_id', 'assigned_agent', 'request_type', 'criteria', 'status', 'source_session_id', 'crit_districts', 'crit_types', 'crit_rooms', 'crit_currency', 'crit_min_price', 'crit_max_price', 'crit_budget', 'created_at', 'updated_at']);
select columns_are('public', 'sessions', array['id', 'contact_id', 'status', 'last_message_at', 'intent', 'district', 'property_type', 'rooms', 'max_price', 'language', 'qualifying_completeness', 'created_at', 'updated_at', 'currency']);
select columns_are('public', 'showings', array['id', 'request_id', 'portfolio_id', 'agent_id', 'customer_id', 'buying_agent_id', 'deal_id', 'scheduled_at', 'ends_at', 'status', 'created_at', 'updated_at']);
select columns_are('public', 'tasks', array['id', 'agent_id', 'task_type', 'title', 'related_contact', 'related_portfolio', 'deal_id', 'due_at', 'status', 'completed_at', 'created_at', 'updated_at']);

-- Primary keys.
select col_is_pk('public', t, c, format('%s.%s is the primary key', t, c))
from (values ('contacts', 'id'), ('agent_profiles', 'contact_id'), ('agent_visibility', 'id'), ('portfolios', 'id'),
             ('portfolio_confidential', 'portfolio_id'), ('portfolio_media', 'id'), ('portfolio_history', 'id'),
             ('requests', 'id'), ('market_signals', 'id'), ('portfolio_request_matches', 'id'), ('deals', 'id'),
             ('showings', 'id'), ('deal_confirmations', 'id'), ('deal_negotiations', 'id'), ('platform_commissions', 'id'),
             ('sessions', 'id'), ('message_log', 'id'), ('interaction_tracker', 'contact_id'),
             ('pending_notifications', 'id'), ('tasks', 'id'), ('documents', 'id')) as v(t, c);

-- Unique keys the ERD marks.
select col_is_unique('public', 'contacts', array['phone'], 'contacts.phone is unique');
select col_is_unique('public', 'contacts', array['bsuid'], 'contacts.bsuid is unique');
select col_is_unique('public', 'message_log', array['wa_message_id'], 'message_log.wa_message_id is unique');

-- A foreign key for every relationship line, including those the ERD only implies.
select fk_ok('public', t, c, 'public', rt, rc)
from (values
  ('agent_profiles', 'contact_id', 'contacts', 'id'),
  ('agent_visibility', 'agent_id', 'contacts', 'id'),
  ('agent_visibility', 'deal_id', 'deals', 'id'),
  ('agent_visibility', 'granted_by', 'contacts', 'id'),
  ('agent_visibility', 'portfolio_id', 'portfolios', 'id'),
  ('deal_confirmations', 'agent_id', 'contacts', 'id'),
  ('deal_confirmations', 'deal_id', 'deals', 'id'),
  ('deal_negotiations', 'deal_id', 'deals', 'id'),
  ('deal_negotiations', 'from_contact_id', 'contacts', 'id'),
  ('deal_negotiations', 'to_contact_id', 'contacts', 'id'),
  ('deals', 'buying_agent_id', 'contacts', 'id'),
  ('deals', 'created_by', 'contacts', 'id'),
  ('deals', 'customer_id', 'contacts', 'id'),
  ('deals', 'listing_agent_id', 'contacts', 'id'),
  ('deals', 'match_id', 'portfolio_request_matches', 'id'),
  ('deals', 'portfolio_id', 'portfolios', 'id'),
  ('deals', 'request_id', 'requests', 'id'),
  ('documents', 'agent_id', 'contacts', 'id'),
  ('documents', 'contact_id', 'contacts', 'id'),
  ('documents', 'deal_id', 'deals', 'id'),
  ('documents', 'portfolio_id', 'portfolios', 'id'),
  ('documents', 'showing_id', 'showings', 'id'),
  ('interaction_tracker', 'contact_id', 'contacts', 'id'),
  ('market_signals', 'source_id', 'contacts', 'id'),
  ('message_log', 'from_contact', 'contacts', 'id'),
  ('message_log', 'session_id', 'sessions', 'id'),
  ('message_log', 'to_contact', 'contacts', 'id'),
  ('pending_notifications', 'contact_id', 'contacts', 'id'),
  ('pending_notifications', 'match_id', 'portfolio_request_matches', 'id'),
  ('platform_commissions', 'contact_id', 'contacts', 'id'),
  ('platform_commissions', 'deal_id', 'deals', 'id'),
  ('portfolio_confidential', 'portfolio_id', 'portfolios', 'id'),
  ('portfolio_history', 'changed_by', 'contacts', 'id'),
  ('portfolio_history', 'portfolio_id', 'portfolios', 'id'),
  ('portfolio_media', 'portfolio_id', 'portfolios', 'id'),
  ('portfolio_media', 'uploaded_by', 'contacts', 'id'),
  ('portfolio_request_matches', 'notified_agent_id', 'contacts', 'id'),
  ('portfolio_request_matches', 'portfolio_id', 'portfolios', 'id'),
  ('portfolio_request_matches', 'request_id', 'requests', 'id'),
  ('portfolios', 'agent_id', 'contacts', 'id'),
  ('requests', 'assigned_agent', 'contacts', 'id'),
  ('requests', 'customer_id', 'contacts', 'id'),
  ('requests', 'source_session_id', 'sessions', 'id'),
  ('sessions', 'contact_id', 'contacts', 'id'),
  ('showings', 'agent_id', 'contacts', 'id'),
  ('showings', 'buying_agent_id', 'contacts', 'id'),
  ('showings', 'customer_id', 'contacts', 'id'),
  ('showings', 'deal_id', 'deals', 'id'),
  ('showings', 'portfolio_id', 'portfolios', 'id'),
  ('showings', 'request_id', 'requests', 'id'),
  ('tasks', 'agent_id', 'contacts', 'id'),
  ('tasks', 'related_contact', 'contacts', 'id'),
  ('tasks', 'related_portfolio', 'portfolios', 'id')
) as v(t, c, rt, rc);

-- Every foreign-key column leads an index (joins, cascades and policies filter on them).
select is_empty($$
  select c.conrelid::regclass::text || '.' || a.attname
  from pg_constraint c
  join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
  where c.contype = 'f' and c.connamespace = 'public'::regnamespace
    and not exists (select 1 from pg_index i where i.indrelid = c.conrelid and i.indkey[0] = c.conkey[1])
$$, 'every foreign key column leads an index');

-- Row-level security is on for every table, from the first migration.
select ok(coalesce((select relrowsecurity from pg_class where oid = to_regclass('public.' || t)), false),
          format('row-level security is enabled on %s', t))
from unnest(array['contacts', 'agent_profiles', 'agent_visibility', 'portfolios', 'portfolio_confidential', 'portfolio_media', 'portfolio_history', 'requests', 'market_signals', 'portfolio_request_matches', 'deals', 'showings', 'deal_confirmations', 'deal_negotiations', 'platform_commissions', 'sessions', 'message_log', 'interaction_tracker', 'pending_notifications', 'tasks', 'documents']) as t;

-- Comments for the dashboard: every table and every column.
select is_empty($$
  select c.relname from pg_class c
  where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and obj_description(c.oid, 'pg_class') is null
$$, 'every table has a comment');
select is_empty($$
  select c.relname || '.' || a.attname from pg_class c
  join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
  where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and col_description(c.oid, a.attnum) is null
$$, 'every column has a comment');

select * from finish();
rollback;
