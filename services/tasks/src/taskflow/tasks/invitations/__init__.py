"""Invitations of addresses without an account to a project (docs/services/tasks.md)."""
