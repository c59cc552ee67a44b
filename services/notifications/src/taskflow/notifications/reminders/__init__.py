"""Reminders and overdue notices: kept from task events, fired once by the scheduler."""
