"""Taskflow audit service: the tamper-evident, append-only record of who did what and when."""
