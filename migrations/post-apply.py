"""yoyo runs this after every apply: re-apply functions/*.sql then policies/*.sql, by file name.

Both folders are re-runnable (`create or replace`, drop-and-create policies), so running them
after each migrate keeps the database in step with the files as they are now.
"""

from pathlib import Path

from yoyo import step

from vic.migrate import apply_rerunnable

# The folders beside this migrations/ folder, wherever the tree lives.
_ROOT = Path(__file__).resolve().parent.parent

step(lambda conn: apply_rerunnable(conn, _ROOT))
