-- 0002 access: what the access model (policies/, functions/access.sql) filters on.

-- Brokers act for their office: policies look agents up by office.
create index agent_profiles_office_idx on public.agent_profiles (office);
