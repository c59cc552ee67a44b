"""TOTP second factor and recovery codes."""
