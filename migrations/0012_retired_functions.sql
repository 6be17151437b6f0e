-- 0012: what issue 11 retired, once (not on every migrate): private.open_deal (one door now, public.open_deal,
-- which checks the caller first), the one-argument check_amount of an older release, and the API roles'
-- read of the commission split settings (public.commission_split() reads them as their door; the API roles
-- have no USAGE on private any more).
drop function if exists private.open_deal(text, uuid, uuid, uuid);
drop function if exists private.check_amount(bigint);
revoke all on table private.commission_split from anon, authenticated, service_role;
