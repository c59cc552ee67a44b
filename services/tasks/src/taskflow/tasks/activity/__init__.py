"""Activity domain of the tasks service."""
