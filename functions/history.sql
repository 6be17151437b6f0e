-- History: portfolio_history is written by these triggers only (no role may write it directly). One row
-- per change of a listing or of its confidential row, with only the changed fields.

-- The fields of a listing that its history records: not the generated or derived ones (match_floor and
-- price_reach carry the confidential floor, and belong to the confidential row's history).
create or replace function private.listing_history_fields(p_row public.portfolios) returns jsonb
  language sql immutable
  set search_path = ''
as $$
  select to_jsonb(p_row) - array['created_at', 'updated_at', 'search_vector', 'public_vector', 'district_norm',
                                 'district_keys', 'type_keys', 'match_floor', 'price_reach', 'price_band_min',
                                 'price_band_max']
$$;
comment on function private.listing_history_fields(public.portfolios) is 'The audited fields of a listing row, as jsonb.';

-- Write one history row with the keys of p_new that differ from p_old (nothing when none differ).
create or replace function private.record_history(
  p_portfolio_id text, p_event text, p_old jsonb, p_new jsonb, p_confidential boolean
) returns void
  language sql
  set search_path = ''
as $$
  insert into public.portfolio_history (portfolio_id, event_type, old_value, new_value, changed_by, is_confidential)
  select p_portfolio_id, p_event,
         case when p_old is not null then jsonb_object_agg(k, p_old -> k) end,
         case when p_new is not null then jsonb_object_agg(k, p_new -> k) end,
         auth.uid(), p_confidential
  from (select k from jsonb_object_keys(coalesce(p_new, p_old)) as k
        -- a created row records the fields it has (not its empty ones)
        where (p_old -> k) is distinct from (p_new -> k) and (p_old is not null or p_new -> k <> 'null')) as changed
  having count(*) > 0
$$;
comment on function private.record_history(text, text, jsonb, jsonb, boolean) is 'Inserts a portfolio_history row with only the changed fields (none when nothing changed).';

create or replace function private.tg_portfolios__history() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    perform private.record_history(new.id, 'create', null, private.listing_history_fields(new), false);
  else
    perform private.record_history(
      new.id,
      case when new.status = old.status then 'update'
           when new.status = 'inactive' then 'deactivate'
           when new.status = 'sold' then 'sold'
           else 'reactivate' end,
      private.listing_history_fields(old), private.listing_history_fields(new), false);
  end if;
  return null;
end
$$;
comment on function private.tg_portfolios__history() is 'Trigger: audits each create, update, deactivate, reactivate and sold of a listing.';

-- Confidential changes are audited too, as is_confidential rows (visible only to the row's readers).
create or replace function private.tg_portfolio_confidential__history() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
begin
  if tg_op = 'DELETE' and not exists (select 1 from public.portfolios p where p.id = old.portfolio_id) then
    return null;  -- the listing itself is being deleted (cascade): its history goes with it
  end if;
  perform private.record_history(
    coalesce(new.portfolio_id, old.portfolio_id),
    case tg_op when 'INSERT' then 'create' else 'update' end,
    case when tg_op <> 'INSERT' then to_jsonb(old) - array['created_at', 'updated_at'] end,
    case when tg_op <> 'DELETE' then to_jsonb(new) - array['created_at', 'updated_at'] end,
    true);
  return null;
end
$$;
comment on function private.tg_portfolio_confidential__history() is 'Trigger: audits confidential changes in is_confidential history rows.';

create or replace trigger _800_history after insert or update on public.portfolios
  for each row execute function private.tg_portfolios__history();
comment on trigger _800_history on public.portfolios
  is 'Writes the listing''s audit trail (portfolio_history): create, each changed field with old and new value, deactivate, reactivate, sold, and who did it.';
create or replace trigger _800_history after insert or update or delete on public.portfolio_confidential
  for each row execute function private.tg_portfolio_confidential__history();
comment on trigger _800_history on public.portfolio_confidential
  is 'Changes to owner, floor price and commission are audited in portfolio_history as confidential rows, which only the listing''s managers read.';

-- Section - Evidence never changes

-- History rows (the confidential-change audit too) are append-only for every writer, the dashboard
-- included: corrections are new rows. Only what a foreign key does itself passes: a deleted listing takes
-- its history with it (cascade), a deleted contact leaves changed_by NULL (set null).
create or replace function private.tg_portfolio_history__append_only() returns trigger
  language plpgsql security definer  -- reads the listing whatever the writer may read
  set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    if not exists (select 1 from public.portfolios p where p.id = old.portfolio_id) then
      return old;  -- the listing is being deleted
    end if;
  elsif new.changed_by is null and (to_jsonb(new) - 'changed_by') = (to_jsonb(old) - 'changed_by') then
    return new;  -- the contact who made the change was deleted
  end if;
  raise exception using errcode = '42501', message = 'portfolio_history is append-only: corrections are new rows';
end
$$;
comment on function private.tg_portfolio_history__append_only() is 'Trigger: portfolio_history rows are never updated or deleted (except by the foreign keys'' cascade and set null).';

create or replace trigger _100_append_only before update or delete on public.portfolio_history
  for each row execute function private.tg_portfolio_history__append_only();
comment on trigger _100_append_only on public.portfolio_history
  is 'The listing audit trail is append-only: rows are never updated or deleted, not even from the dashboard (only the listing''s own deletion cascades).';

-- Documents (certificates and contracts) are made by the database only (the showing and closing triggers);
-- afterwards only file_url is set, once, when the file is rendered.
create or replace function private.tg_documents__issued() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  if old.file_url is not null and new.file_url is distinct from old.file_url then
    raise exception using errcode = '42501', message = 'documents.file_url is set once: an issued document never changes',
      hint = 'a correction is a new document';
  elsif (to_jsonb(new) - array['file_url', 'updated_at']) <> (to_jsonb(old) - array['file_url', 'updated_at']) then
    raise exception using errcode = '42501', message = 'an issued document never changes (only file_url is set, once)',
      hint = 'a correction is a new document';
  end if;
  return new;
end
$$;
comment on function private.tg_documents__issued() is 'Trigger: an issued document never changes; only file_url is set, once.';

create or replace trigger _100_issued before update on public.documents
  for each row execute function private.tg_documents__issued();
comment on trigger _100_issued on public.documents
  is 'Certificates and contracts are evidence: once issued they never change, except that the rendered file address is set once.';
