"""VIC: a PostgreSQL/Supabase schema package with a thin Python client and CLI."""

__version__ = "0.1.0"
