-- 0019 sessions and the training export (issue 13, items 6 and 8). The slots a session fills become a request
-- (functions/sessions.sql): a currency slot (a budget is in a currency; NULL is TRY, as in requests.criteria),
-- whole budgets only (a request's max_price is whole), and the completeness weights in the column's comment.
-- The training export (functions/export.sql) reads the contacts that opted in through a partial index.
alter table public.sessions add column currency text
  constraint sessions_currency_check check (currency in ('TRY', 'USD', 'EUR', 'GBP'));
alter table public.sessions add constraint sessions_max_price_whole_check check (max_price = trunc(max_price));
comment on column public.sessions.currency is 'Qualifying slot: the budget''s currency, TRY, USD, EUR or GBP (NULL: TRY).';
comment on column public.sessions.district is 'Qualifying slot: one district (ilçe), in its reference spelling (kadikoy -> Kadıköy).';
comment on column public.sessions.max_price is 'Qualifying slot: budget, whole units (in currency).';
comment on column public.sessions.qualifying_completeness is 'Share of qualifying slots filled, 0-1, kept by the database (a written value is ignored): intent 0.25, district 0.25, max_price 0.20, property_type 0.15, rooms 0.15 (counted for arsa and dukkan, which have no rooms); language and currency have defaults and weigh nothing.';

-- the training export starts from the contacts that opted in (and whose content may leave Turkey)
create index contacts_training_export_idx on public.contacts (id) where consent_training and consent_transfer;
