-- 0024: functions nothing calls go, once. private.rebuild_match_keys() rebuilt every match key after a bulk
-- load with the triggers off; no function, trigger, policy, grant, client method or job calls it, and a load
-- through the triggers keeps the keys itself.
drop function if exists private.rebuild_match_keys();
