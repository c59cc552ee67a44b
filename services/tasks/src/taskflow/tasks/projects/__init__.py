"""Projects domain of the tasks service."""
