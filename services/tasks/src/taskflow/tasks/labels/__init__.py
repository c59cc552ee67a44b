"""Labels domain of the tasks service."""
