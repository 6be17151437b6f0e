-- Undo 0022: nothing to restore. The dropped form is gone for good; functions/ keeps the current one in place.
select 1;
