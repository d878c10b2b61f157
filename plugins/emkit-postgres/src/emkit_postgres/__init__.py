"""A PostgreSQL feature store for emkit, through psycopg 3."""
