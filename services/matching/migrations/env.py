"""Alembic environment of the matching service: everything is in shared.migrations."""

from shared.migrations import run_env

run_env("matching")
