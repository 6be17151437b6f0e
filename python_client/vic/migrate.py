"""Migration runner: the Supabase compatibility script, yoyo migrations, then functions/ and policies/.

`migrate` and `apply_declarative` reach the same schema by two roads (migrations/ versus db/);
a test compares the two catalogs. yoyo keeps its bookkeeping in schema `vic_migrations`, never
in `public`, so the API schema stays clean.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from yoyo import read_migrations
from yoyo.backends.core.postgresql import PostgresqlPsycopgBackend
from yoyo.connections import DatabaseURI
from yoyo.exceptions import BadMigration, LockTimeout, MigrationConflict
from yoyo.migrations import MigrationList, default_migration_table

from vic import paths
from vic.errors import ConnectionFailed, VicError, from_psycopg, redact_url

YOYO_SCHEMA = "vic_migrations"
# Advisory lock key (any constant bigint): one migrate/rollback per database at a time. Unlike
# yoyo's lock table it is released by the server when a crashed runner's session ends.
_LOCK_KEY = 0x76_69_63_6D_69_67  # "vicmig"


def connect(url: str, *, autocommit: bool = True) -> psycopg.Connection:
    """Open a connection; a failure becomes one ConnectionFailed line that never shows a password."""
    # A host that drops packets should not hang the CLI; a timeout in the URL wins.
    timeout = None if "connect_timeout" in conninfo_to_dict(url) else 10
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=timeout)
    except psycopg.Error as exc:
        reason = from_psycopg(exc).message
        for prefix in ("connection failed: ", "connection is bad: "):
            reason = reason.removeprefix(prefix)
        raise ConnectionFailed(f"cannot connect to {redact_url(url)}: {reason}") from exc


@contextlib.contextmanager
def sql_errors(where: str | None = None) -> Iterator[None]:
    """Turn driver and yoyo errors into VicError, prefixed with the file or migration at fault."""
    try:
        yield
    except psycopg.Error as exc:
        err = from_psycopg(exc)
        if where:
            err.message = f"{where}: {err.message}"
        raise err from exc
    except (BadMigration, MigrationConflict, LockTimeout) as exc:
        raise VicError(f"{where}: {exc}" if where else str(exc)) from exc


def run_sql_file(conn: psycopg.Connection, path: Path) -> None:
    """Execute a whole SQL file in one call (many statements, dollar-quoted bodies and all)."""
    with sql_errors(f"{path.parent.name}/{path.name}"):
        # bytes, not str: no parameters are passed, so psycopg sends the text as is (simple query).
        conn.execute(path.read_bytes())


def rerunnable_files(root: Path | None = None) -> list[Path]:
    """functions/*.sql then policies/*.sql, each sorted by file name."""
    functions = root / "functions" if root else paths.FUNCTIONS_DIR
    policies = root / "policies" if root else paths.POLICIES_DIR
    return sorted(functions.glob("*.sql")) + sorted(policies.glob("*.sql"))


def apply_rerunnable(conn: psycopg.Connection, root: Path | None = None) -> None:
    """Re-apply functions/ then policies/ in the caller's transaction (migrations/post-apply.py)."""
    for path in rerunnable_files(root):
        run_sql_file(conn, path)


def _yoyo_backend(url: str) -> PostgresqlPsycopgBackend:
    """A yoyo backend on `url`, its tables in YOYO_SCHEMA (which must exist)."""
    # yoyo passes URI args straight to psycopg.connect, so every libpq parameter survives the
    # conversion (unix socket hosts, sslmode, passwords with odd characters); `schema` is
    # yoyo's own: it sets search_path to it, where yoyo then creates its tables.
    params = {k: str(v) for k, v in conninfo_to_dict(url).items()}
    dbname = params.pop("dbname", None)
    uri = DatabaseURI(
        scheme="postgresql+psycopg",
        username=None,
        password=None,
        hostname=None,
        port=None,
        database=dbname,
        args={**params, "schema": YOYO_SCHEMA},
    )
    backend = PostgresqlPsycopgBackend(uri, default_migration_table)
    backend.init_database()
    return backend


@contextlib.contextmanager
def _migration_session(url: str) -> Iterator[tuple[psycopg.Connection, MigrationList]]:
    """A connection holding the runner's advisory lock, and the migrations on disk."""
    with connect(url) as conn, sql_errors():
        # Session-level: released when this connection closes, however the runner ends.
        conn.execute("select pg_advisory_lock(%s)", (_LOCK_KEY,))
        yield conn, read_migrations(str(paths.MIGRATIONS_DIR))


def _has_yoyo_tables(conn: psycopg.Connection) -> bool:
    row = conn.execute(
        "select to_regclass(%s) is not null", (f"{YOYO_SCHEMA}.{default_migration_table}",)
    ).fetchone()
    return bool(row and row[0])


def _apply_compat(conn: psycopg.Connection) -> None:
    """Run the Supabase compatibility script in its own transaction (it is re-runnable)."""
    with conn.transaction():
        run_sql_file(conn, paths.COMPAT_SQL)


def _by_number(migrations: MigrationList) -> list:
    """The migrations in file-name order, which is their order: none uses yoyo's `depends` directive
    (tests/test_migrations.py), so yoyo's topological sort, which parses every file, is not needed."""
    return sorted(migrations, key=lambda m: m.id)


def _unknown_applied(backend: PostgresqlPsycopgBackend, migrations: MigrationList) -> list[str]:
    """Migrations the database records that this tree does not have (it was migrated by a newer one)."""
    on_disk = {m.hash for m in migrations}
    table = backend.format_sql("{0.migration_table_quoted}")
    rows = backend.execute(f"select migration_id, migration_hash from {table}").fetchall()
    return sorted(mid for mid, mhash in rows if mhash not in on_disk)


def _refuse_unknown(backend: PostgresqlPsycopgBackend, migrations: MigrationList, verb: str) -> None:
    unknown = _unknown_applied(backend, migrations)
    if unknown:
        raise VicError(f"cannot {verb}: the database has migrations this tree does not know "
                       f"({', '.join(unknown)}); it was migrated by a newer version of vic; nothing was changed",
                       hint="use the version that applied them (to migrate, or to roll them back first)")


@contextlib.contextmanager
def _one_transaction(backend: PostgresqlPsycopgBackend, verb: str) -> Iterator[None]:
    """Every step inside runs in one transaction: on any error nothing is left half done."""
    backend.begin()
    try:
        yield
    except BaseException as exc:
        backend.rollback()
        if isinstance(exc, VicError):
            exc.message = f"{exc.message} (nothing was {verb}: all steps run in one transaction)"
        raise
    backend.commit()


def migrate(url: str) -> list[str]:
    """Apply compat, every pending migration, then functions/ and policies/; return ids applied.

    The pending migrations and the re-applied functions/ and policies/ run in ONE transaction (yoyo
    would commit each migration on its own connection): a step that fails leaves the database as it
    was, never between two migrations. (So no migration may be `transactional: false`.)
    """
    with _migration_session(url) as (conn, migrations):
        if paths.COMPAT_SQL.exists():
            _apply_compat(conn)
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(YOYO_SCHEMA)))
        applied: list[str] = []
        with _yoyo_backend(url) as backend:
            applied_hashes = set(backend.get_applied_migration_hashes())  # also updates yoyo's own tables
            pending = [m for m in _by_number(migrations) if m.hash not in applied_hashes]
            _refuse_unknown(backend, migrations, "migrate")
            with _one_transaction(backend, "applied"):
                for migration in pending:
                    with sql_errors(migration.id):
                        migration.process_steps(backend, "apply")
                        backend.log_migration(migration, "apply")
                        backend.mark_one(migration, log=False)
                    applied.append(migration.id)
                # Unlike yoyo's own apply, re-run the hook even when nothing was pending, so that an
                # edited function reaches the database with a plain `vic db migrate`.
                if applied or applied_hashes:
                    for hook in migrations.post_apply:
                        with sql_errors(hook.id):
                            hook.process_steps(backend, "apply")
        return applied


def rollback(url: str, all: bool = False) -> list[str]:
    """Roll back the latest applied migration (or every one); return the ids rolled back.

    Refused before any step runs when a chosen migration has no rollback file or the database holds
    migrations this tree does not know; the chosen rollbacks then run in one transaction.
    """
    with _migration_session(url) as (conn, migrations):
        if not _has_yoyo_tables(conn):
            return []
        done: list[str] = []
        with _yoyo_backend(url) as backend:
            applied_hashes = set(backend.get_applied_migration_hashes())
            chosen = [m for m in reversed(_by_number(migrations)) if m.hash in applied_hashes]
            chosen = chosen if all else chosen[:1]
            _refuse_unknown(backend, migrations, "roll back")
            missing = [m.id for m in chosen if not Path(m.path).with_suffix(".rollback.sql").exists()]
            if missing:
                raise VicError(f"cannot roll back {', '.join(missing)}: no .rollback.sql beside it; "
                               "nothing was changed")
            with _one_transaction(backend, "rolled back"):
                for migration in chosen:
                    with sql_errors(migration.id):
                        migration.process_steps(backend, "rollback")
                        backend.log_migration(migration, "rollback")
                        backend.unmark_one(migration, log=False)
                    done.append(migration.id)
        return done


def status(url: str) -> list[tuple[str, bool, datetime | None]]:
    """(id, applied, applied_at in UTC) for every migration on disk or recorded in the database."""
    on_disk = [m.id for m in read_migrations(str(paths.MIGRATIONS_DIR))]
    applied_at: dict[str, datetime] = {}
    with connect(url) as conn, sql_errors():
        # Read-only: a database never migrated has no yoyo tables, and status must not add them.
        if _has_yoyo_tables(conn):
            table = sql.Identifier(YOYO_SCHEMA, default_migration_table)
            query = sql.SQL("select migration_id, applied_at_utc from {}").format(table)
            rows = conn.execute(query).fetchall()
            applied_at = {mid: when.replace(tzinfo=UTC) for mid, when in rows}
    ids = sorted(set(on_disk) | set(applied_at))
    return [(mid, mid in applied_at, applied_at.get(mid)) for mid in ids]


def apply_declarative(url: str) -> None:
    """Compat, then db/0*.sql, functions/, policies/ in one transaction: `migrate`'s end state,
    without yoyo's tables."""
    with connect(url) as conn, sql_errors():
        if paths.COMPAT_SQL.exists():
            _apply_compat(conn)
        with conn.transaction():
            for path in sorted(paths.DB_DIR.glob("0*.sql")) + rerunnable_files():
                run_sql_file(conn, path)


def load_seed(url: str) -> None:
    """Execute supabase/seed.sql in one transaction."""
    if not paths.SEED_SQL.exists():
        raise VicError(f"no seed file at {paths.SEED_SQL}")
    with connect(url) as conn, sql_errors(), conn.transaction():
        run_sql_file(conn, paths.SEED_SQL)
