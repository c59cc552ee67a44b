"""Local copies of what other services own (users, memberships, tasks), kept from events."""
