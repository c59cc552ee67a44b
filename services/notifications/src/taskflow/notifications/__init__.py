"""Taskflow notifications: in-app, live, email, calendar and reminders for what happens to work."""
