"""Preferences: per kind of notification and channel, and the daily digest."""
