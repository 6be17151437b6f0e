-- 0014: on a database with pg_cron (a Supabase project once the extension is enabled), schedule the matcher and
-- the periodic jobs; elsewhere (plain PostgreSQL, the tests) do nothing: `vic worker` runs them there.
-- docs/matching.md, "Who runs the matcher". The jobs run as the user that applied this migration (postgres on
-- Supabase), which owns the functions: process_match_events is executable by its owner and service_role only.
--
-- vic-match-events, every minute (any pg_cron): one top-level DO statement (a single statement, so that its
-- COMMITs are allowed: pg_cron runs it as `CALL` would be run) that drains in batches of 5000, committing each,
-- and, while the budget lasts (55 s, or the setting vic.match_cron_budget, e.g. `alter database postgres set
-- vic.match_cron_budget = '0'` to drain once a minute and return), looks again every 0.25 s: on Supabase a
-- match is then visible within about a second of its commit, with at most ~5 s once a minute between two runs
-- (pg_cron runs one instance of a job at a time and queues the next). pg_cron >= 1.5 also takes '[1-59]
-- seconds' schedules; a minute with a polling loop keeps job_run_details at 1,440 rows a day.
-- vic-followups, every 5 minutes: open_followups() with its defaults (7 days idle, reminders after 1 day).
do $$
begin
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    perform cron.schedule('vic-match-events', '* * * * *', $cron$do $match$
declare
  v_until timestamptz := clock_timestamp()
    + coalesce(nullif(current_setting('vic.match_cron_budget', true), '')::interval, interval '55 seconds');
  v_processed integer;
begin
  loop
    v_processed := public.process_match_events(5000);
    commit;
    if v_processed = 0 then
      exit when clock_timestamp() >= v_until;
      perform pg_catalog.pg_sleep(0.25);
    end if;
  end loop;
end
$match$
$cron$);
    perform cron.schedule('vic-followups', '*/5 * * * *', 'select count(*) from public.open_followups()');
  end if;
end
$$;
