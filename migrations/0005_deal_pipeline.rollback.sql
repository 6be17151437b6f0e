-- Undo 0005.
drop index if exists public.documents_one_contract_key, public.documents_one_certificate_key, public.tasks_deal_id_idx,
  public.deals_open_last_activity_idx;
alter table public.tasks drop column if exists deal_id;
drop table if exists private.commission_split;
alter table public.deals
  drop constraint if exists deals_closed_at_status_check,
  drop constraint if exists deals_cancel_reason_status_check;
alter table public.showings
  drop constraint if exists showings_no_overlap,
  drop constraint if exists showings_slot_check,
  drop column if exists ends_at;
