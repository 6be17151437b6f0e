# The database harness (ephemeral PostgreSQL, migrated template, pgTAP items) lives in tests/harness.py.
# The client suite on both transports (psycopg, supabase-py through tests/postgrest_endpoint.py): tests/transports.py.
pytest_plugins = ["tests.harness", "tests.transports"]
