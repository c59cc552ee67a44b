"""In-app notifications: stored per user, listed, marked read, deleted."""
