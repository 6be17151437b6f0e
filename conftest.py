# The database harness (ephemeral PostgreSQL, migrated template, pgTAP items) lives in tests/harness.py.
pytest_plugins = ["tests.harness"]
