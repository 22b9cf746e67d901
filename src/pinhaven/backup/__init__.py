"""Backups of a SQLite instance (database snapshot + media + manifest) and restoring them (service.py)."""
