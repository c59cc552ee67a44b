"""Taskflow tasks service: projects, members, tasks, comments, search, bulk and recurring work."""
