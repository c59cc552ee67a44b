"""The log as users see it: search, single entries, verification and export."""
