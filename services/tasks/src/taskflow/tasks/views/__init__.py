"""Views domain of the tasks service."""
