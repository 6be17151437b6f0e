-- 0010: bounded input (issue 11, class 9). The reference list of Turkey's districts (loaded by
-- functions/districts.sql) and a length check on every text column that had none, so that direct writes
-- are bounded like the RPCs (docs/errors.md, Bounds).

create table private.districts (
  province text not null
    constraint districts_province_check check (length(province) between 1 and 100),
  district text not null
    constraint districts_district_check check (length(district) between 1 and 100),
  norm text generated always as (guard.tr_norm(district)) stored,
  province_norm text generated always as (guard.tr_norm(province)) stored,
  primary key (province, district)
);
create index districts_norm_idx on private.districts (norm);
create index districts_province_norm_idx on private.districts (province_norm);
comment on table private.districts is 'Turkey''s provinces (il) and districts (ilçe): the reference spellings; rows written by functions/districts.sql (tools/districts.py).';
comment on column private.districts.province is 'Province (il), e.g. İstanbul.';
comment on column private.districts.district is 'District (ilçe) of the province, e.g. Kadıköy.';
comment on column private.districts.norm is 'guard.tr_norm(district): the form names are looked up and matched by.';
comment on column private.districts.province_norm is 'guard.tr_norm(province).';

-- Section - Bounds: a length check on every text and jsonb column that had none (docs/errors.md, Bounds).
alter table public.portfolio_confidential add constraint portfolio_confidential_private_notes_length_check check (length(private_notes) <= 5000);
alter table public.portfolio_history add constraint portfolio_history_old_value_length_check check (octet_length(old_value::text) <= 65536);
alter table public.portfolio_history add constraint portfolio_history_new_value_length_check check (octet_length(new_value::text) <= 65536);
alter table public.requests add constraint requests_criteria_length_check check (octet_length(criteria::text) <= 8000);
alter table public.market_signals add constraint market_signals_query_raw_length_check check (length(query_raw) <= 4096);
alter table public.market_signals add constraint market_signals_parsed_criteria_length_check check (octet_length(parsed_criteria::text) <= 8000);
alter table public.message_log add constraint message_log_content_length_check check (length(content) <= 10000);
alter table public.message_log add constraint message_log_claimed_by_length_check check (length(claimed_by) <= 200);
alter table public.message_log add constraint message_log_interactive_payload_length_check check (octet_length(interactive_payload::text) <= 20000);
alter table public.pending_notifications add constraint pending_notifications_buttons_length_check check (octet_length(buttons::text) <= 4000);
alter table public.documents add constraint documents_template_data_length_check check (octet_length(template_data::text) <= 20000);
alter table public.documents add constraint documents_file_url_length_check check (length(file_url) <= 1000);
alter table public.portfolios add constraint portfolios_listed_price_max_check check (listed_price <= 1000000000000);
