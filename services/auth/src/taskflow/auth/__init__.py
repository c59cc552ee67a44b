"""Taskflow auth service: accounts, sessions, MFA, roles, personal access tokens, signing keys.

It is the only service that signs tokens; every other service verifies them against the
JWKS this service publishes.
"""
