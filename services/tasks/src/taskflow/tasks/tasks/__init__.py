"""Tasks domain of the tasks service."""
