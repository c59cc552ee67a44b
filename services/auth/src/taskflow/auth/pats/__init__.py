"""Personal access tokens and their exchange for short-lived access tokens."""
