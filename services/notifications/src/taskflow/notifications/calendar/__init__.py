"""Calendar: CalDAV entries for tasks with due dates, and each user's private ICS feed."""
