"""Alembic environment of the notifications service: everything is in shared.migrations."""

from shared.migrations import run_env

run_env("notifications")
