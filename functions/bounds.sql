-- Bounded input (attack class c9): the checks every public RPC runs on its parameters before any work, each a
-- VC001 naming the parameter as the client knows it (no p_ prefix) and the limit (docs/errors.md, Bounds).
-- Amounts use guard.check_amount (functions/negotiations.sql); criteria guard.check_criteria; pages
-- guard.check_page.

create or replace function guard.check_text(p_value text, p_field text, p_max integer) returns void
  language plpgsql immutable
  set search_path = ''
as $$
begin
  if length(p_value) > p_max then
    raise exception using errcode = 'VC001', message = format('%s must be at most %s characters', p_field, p_max);
  end if;
end
$$;
comment on function guard.check_text(text, text, integer) is 'Raises VC001 naming the field and the limit when a text is longer than p_max characters (NULL passes).';

-- A number or an interval within p_min..p_max (anycompatible: one check for both).
create or replace function guard.check_range(p_value anycompatible, p_field text, p_min anycompatible, p_max anycompatible)
  returns void
  language plpgsql immutable
  set search_path = ''
as $$
begin
  if p_value < p_min or p_value > p_max then
    raise exception using errcode = 'VC001', message = format('%s must be between %s and %s', p_field, p_min, p_max);
  end if;
end
$$;
comment on function guard.check_range(anycompatible, text, anycompatible, anycompatible) is 'Raises VC001 naming the field and the limits when a number or interval is outside p_min..p_max (NULL passes).';

create or replace function guard.check_ids(p_value anyarray, p_field text, p_max integer) returns void
  language plpgsql immutable
  set search_path = ''
as $$
begin
  if cardinality(p_value) > p_max then
    raise exception using errcode = 'VC001', message = format('%s may hold at most %s values', p_field, p_max);
  end if;
end
$$;
comment on function guard.check_ids(anyarray, text, integer) is 'Raises VC001 naming the field and the limit when an array holds more than p_max elements (NULL passes).';

-- A listing id as a parameter (YYYY-NNN): bounded before it is looked up or echoed in a message.
create or replace function guard.check_listing_id(p_value text, p_field text default 'portfolio_id') returns void
  language plpgsql immutable
  set search_path = ''
as $$
begin
  perform guard.check_text(p_value, p_field, 20);
end
$$;
comment on function guard.check_listing_id(text, text) is 'Raises VC001 naming the field when a listing id is longer than 20 characters.';

revoke execute on function guard.check_text(text, text, integer), guard.check_range(anycompatible, text, anycompatible, anycompatible),
  guard.check_ids(anyarray, text, integer),
  guard.check_listing_id(text, text) from public, anon;
grant execute on function guard.check_text(text, text, integer), guard.check_range(anycompatible, text, anycompatible, anycompatible),
  guard.check_ids(anyarray, text, integer),
  guard.check_listing_id(text, text) to authenticated, service_role;
