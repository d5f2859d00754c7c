"""Alembic environment of the reporting service: everything is in shared.migrations."""

from shared.migrations import run_env

run_env("reporting")
