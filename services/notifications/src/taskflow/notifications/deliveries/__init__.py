"""Deliveries: every attempt to reach a user outside the app (email, calendar) is a row here."""
