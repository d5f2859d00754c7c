"""Alembic environment of the offers service: everything is in shared.migrations."""

from shared.migrations import run_env

run_env("offers")
