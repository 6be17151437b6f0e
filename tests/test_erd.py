"""The migrated schema conforms to the ERD, as judged by the shared checker (../shared/tools/erd_check.py)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[1]
# The checker flags its own blind spots with "(checker)": an ERD column marked FK that no relationship
# line names (deals.customer_id). The database cannot fix those lines, so they pass only when the
# foreign key really is there.
CHECKER_GAP = re.compile(r"^column (\w+)\.(\w+): marked FK but no relationship names it \(checker\)$")


def shared_dir() -> Path:
    """`shared/` sits beside the repository (in CI too); VIC_SHARED_DIR points elsewhere."""
    return Path(os.environ.get("VIC_SHARED_DIR") or ROOT.parent / "shared")


def has_foreign_key(url: str, table: str, column: str) -> bool:
    with psycopg.connect(url) as conn:
        return conn.execute(
            """select exists (select 1 from pg_constraint c
                              join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
                              where c.contype = 'f' and c.conrelid = to_regclass('public.' || %s)
                                and cardinality(c.conkey) = 1 and a.attname = %s)""",
            (table, column),
        ).fetchone()[0]


def test_erd_check_reports_no_problem(db_url):
    checker = shared_dir() / "tools" / "erd_check.py"
    assert checker.is_file(), f"ERD checker not found at {checker} (set VIC_SHARED_DIR to the shared folder)"
    # sys.executable: the venv's python, which has psycopg
    r = subprocess.run([sys.executable, str(checker), db_url], capture_output=True, text=True, timeout=300)
    lines = r.stdout.strip().splitlines()
    assert lines and lines[-1].startswith("erd_check: 21 tables"), (r.stdout + r.stderr).strip()
    problems = [
        line for line in lines[:-1]
        if not ((m := CHECKER_GAP.match(line)) and has_foreign_key(db_url, *m.groups()))
    ]
    if problems or r.returncode not in (0, 1):
        pytest.fail(f"erd_check.py exited {r.returncode}:\n{(r.stdout + r.stderr).strip()}", pytrace=False)
