"""Users domain of the tasks service."""
