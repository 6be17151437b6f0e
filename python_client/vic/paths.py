"""Where the project's SQL lives.

ROOT is the repository root (`python_client/vic/paths.py` is two levels below it); set the
environment variable VIC_ROOT to point the runner at another tree (an installed copy, a test).
"""

import os
from pathlib import Path

ROOT: Path = Path(os.environ.get("VIC_ROOT") or Path(__file__).resolve().parents[2])
DB_DIR: Path = ROOT / "db"
MIGRATIONS_DIR: Path = ROOT / "migrations"
FUNCTIONS_DIR: Path = ROOT / "functions"
POLICIES_DIR: Path = ROOT / "policies"
COMPAT_SQL: Path = DB_DIR / "supabase_compat.sql"
SEED_SQL: Path = ROOT / "supabase" / "seed.sql"
