-- Undo 0012: the dropped functions belonged to releases before it and are not brought back (functions/ of
-- those releases creates them); the split settings are readable by the API roles again.
grant select on table private.commission_split to authenticated, service_role;
