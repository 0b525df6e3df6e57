"""Sessions, their calendar, and what waits for each person on home."""
