"""yoyo runs this after every apply: re-apply functions/*.sql then policies/*.sql, by file name.

Both folders are re-runnable (`create or replace`, drop-and-create policies), so running them
after each migrate keeps the database in step with the files as they are now. They create, never
retire: a function's signature or result change, and any function, policy or view that goes, is a
drop in a new numbered migration (docs/migrations.md). Released migrations never change
(released.sha256).
"""

from pathlib import Path

from yoyo import step

from vic.migrate import apply_rerunnable

# The folders beside this migrations/ folder, wherever the tree lives.
_ROOT = Path(__file__).resolve().parent.parent

step(lambda conn: apply_rerunnable(conn, _ROOT))
