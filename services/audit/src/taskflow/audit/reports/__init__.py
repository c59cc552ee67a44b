"""Compliance reports over the log."""
