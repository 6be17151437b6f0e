-- Supabase compatibility: gives a plain PostgreSQL the objects every Supabase project already has and
-- this schema relies on. Each object is created only where it is missing, so on a real Supabase project
-- this script changes nothing. Re-runnable; applied before migrations and before db/.

-- Section - Roles (Supabase: nologin, noinherit; service_role bypasses row-level security)
-- Roles are cluster-wide: two databases set up at once may race to create one, hence the handler.
do $$
declare
  v_role text;
begin
  foreach v_role in array array['anon', 'authenticated', 'service_role'] loop
    if not exists (select 1 from pg_roles where rolname = v_role) then
      begin
        execute format('create role %I nologin noinherit%s', v_role,
                       case v_role when 'service_role' then ' bypassrls' else '' end);
      exception when duplicate_object or unique_violation then
        null; -- created meanwhile by a concurrent setup
      end;
    end if;
  end loop;
end
$$;

-- Section - Schemas
create schema if not exists auth;
create schema if not exists extensions;
grant usage on schema auth, extensions, public to anon, authenticated, service_role;

-- Section - auth.users (minimal: the columns a dashboard user row is known by)
create table if not exists auth.users (
  id uuid primary key,
  email text,
  phone text,
  created_at timestamptz not null default now()
);

-- Section - auth.uid(), auth.role(), auth.jwt(): the claims PostgREST puts in request.jwt.claims,
-- read exactly as Supabase does (the legacy per-claim settings first). Created only when missing.
do $$
begin
  if to_regprocedure('auth.uid()') is null then
    create function auth.uid() returns uuid
      language sql stable
      as $f$
        select coalesce(
          nullif(current_setting('request.jwt.claim.sub', true), ''),
          (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
        )::uuid
      $f$;
    comment on function auth.uid() is 'Deprecated. Use auth.jwt() -> ''sub'' instead.';
  end if;
  if to_regprocedure('auth.role()') is null then
    create function auth.role() returns text
      language sql stable
      as $f$
        select coalesce(
          nullif(current_setting('request.jwt.claim.role', true), ''),
          (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
        )::text
      $f$;
    comment on function auth.role() is 'Deprecated. Use auth.jwt() -> ''role'' instead.';
  end if;
  if to_regprocedure('auth.jwt()') is null then
    create function auth.jwt() returns jsonb
      language sql stable
      as $f$
        select coalesce(
          nullif(current_setting('request.jwt.claim', true), ''),
          nullif(current_setting('request.jwt.claims', true), '')
        )::jsonb
      $f$;
  end if;
end
$$;
grant execute on function auth.uid(), auth.role(), auth.jwt() to anon, authenticated, service_role;

-- Section - Default privileges as on Supabase: objects created in public are granted to the API roles,
-- which is why every table must have row-level security (policies/ then revoke what is not wanted).
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
