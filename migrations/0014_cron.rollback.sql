-- Undo 0014: unschedule the two jobs where pg_cron exists and has them; elsewhere nothing was scheduled.
do $$
begin
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    perform cron.unschedule(j.jobname) from cron.job j where j.jobname in ('vic-match-events', 'vic-followups');
  end if;
end
$$;
