"""Taskflow reporting: read models built from events, and the reports served from them."""
