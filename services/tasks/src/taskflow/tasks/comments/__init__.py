"""Comments domain of the tasks service."""
