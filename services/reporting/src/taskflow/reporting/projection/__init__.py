"""The worker side: events in, read models (task facts, versions, memberships) out."""
