-- Undo 0007: the helpers go back to private, guard is dropped.
do $$
declare
  v_fn regprocedure;
begin
  for v_fn in select p.oid::regprocedure from pg_proc p where p.pronamespace = 'guard'::regnamespace loop
    execute format('alter function %s set schema private', v_fn);
  end loop;
end
$$;
drop schema guard;
