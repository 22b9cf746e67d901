"""Database: engine, sessions, base model, snowflake ids, migrations."""
