-- Operations: tasks, documents.

-- Section - tasks
create table public.tasks (
  id uuid primary key default gen_random_uuid(),
  agent_id uuid not null references public.contacts (id),
  task_type text not null
    constraint tasks_task_type_check check (task_type in ('followup', 'reminder', 'showing_prep', 'document', 'call')),
  title text not null
    constraint tasks_title_check check (length(btrim(title)) between 1 and 200),
  related_contact uuid references public.contacts (id) on delete set null,
  related_portfolio text references public.portfolios (id) on delete set null,
  deal_id uuid references public.deals (id) on delete set null,
  due_at timestamptz,
  status text not null default 'pending'
    constraint tasks_status_check check (status in ('pending', 'done', 'cancelled')),
  completed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index tasks_agent_id_idx on public.tasks (agent_id, status, due_at);
-- list_tasks (staff): of one status, soonest due first
create index tasks_status_due_at_idx on public.tasks (status, due_at, created_at, id);
create index tasks_related_contact_idx on public.tasks (related_contact);
create index tasks_related_portfolio_idx on public.tasks (related_portfolio);
create index tasks_deal_id_idx on public.tasks (deal_id, task_type, created_at);
alter table public.tasks enable row level security;

comment on table public.tasks is 'An agent''s to-do list; the database opens tasks itself for stale deals and unconfirmed closings.';
comment on column public.tasks.id is 'Task id.';
comment on column public.tasks.agent_id is 'The agent who must do it.';
comment on column public.tasks.task_type is 'followup, reminder, showing_prep, document or call.';
comment on column public.tasks.title is 'What to do.';
comment on column public.tasks.related_contact is 'The contact it concerns.';
comment on column public.tasks.related_portfolio is 'The listing it concerns.';
comment on column public.tasks.deal_id is 'The deal a follow-up or reminder concerns.';
comment on column public.tasks.due_at is 'When it is due.';
comment on column public.tasks.status is 'pending -> done or cancelled.';
comment on column public.tasks.completed_at is 'When it was done or cancelled.';
comment on column public.tasks.created_at is 'When the row was created.';
comment on column public.tasks.updated_at is 'When the row last changed (kept by a trigger).';

-- Section - documents
create table public.documents (
  id uuid primary key default gen_random_uuid(),
  type text not null
    constraint documents_type_check check (type in ('contract', 'certificate')),
  contact_id uuid references public.contacts (id),
  portfolio_id text references public.portfolios (id),
  agent_id uuid references public.contacts (id),
  showing_id uuid references public.showings (id),
  deal_id uuid references public.deals (id),
  template_data jsonb not null default '{}'
    constraint documents_template_data_check check (jsonb_typeof(template_data) = 'object')
    constraint documents_template_data_length_check check (octet_length(template_data::text) <= 20000),
  file_url text
    constraint documents_file_url_length_check check (length(file_url) <= 1000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index documents_contact_id_idx on public.documents (contact_id);
create index documents_portfolio_id_idx on public.documents (portfolio_id);
create index documents_agent_id_idx on public.documents (agent_id);
create index documents_showing_id_idx on public.documents (showing_id);
create index documents_deal_id_idx on public.documents (deal_id);
create unique index documents_one_certificate_key on public.documents (showing_id) where type = 'certificate';
create unique index documents_one_contract_key on public.documents (deal_id) where type = 'contract';
alter table public.documents enable row level security;

comment on table public.documents is 'Contracts and showing certificates (yer gösterme belgesi) with the data to render them.';
comment on column public.documents.id is 'Document id.';
comment on column public.documents.type is 'contract or certificate.';
comment on column public.documents.contact_id is 'The customer it concerns.';
comment on column public.documents.portfolio_id is 'The listing it concerns.';
comment on column public.documents.agent_id is 'The agent it concerns.';
comment on column public.documents.showing_id is 'The showing a certificate proves.';
comment on column public.documents.deal_id is 'The deal a contract closes.';
comment on column public.documents.template_data is 'Data to render the document: parties, listing, date, agents, price.';
comment on column public.documents.file_url is 'The rendered file, once rendered.';
comment on column public.documents.created_at is 'When the row was created.';
comment on column public.documents.updated_at is 'When the row last changed (kept by a trigger).';
