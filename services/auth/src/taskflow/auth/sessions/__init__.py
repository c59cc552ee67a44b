"""Login, MFA challenge, sessions and refresh-token families."""
