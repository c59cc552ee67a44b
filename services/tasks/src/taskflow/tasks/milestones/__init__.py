"""Milestones domain of the tasks service."""
