"""Accounts: registration, profile, email verification, password reset, admin."""
