"""Alembic: revision scripts in one or more versions folders, read statically."""
