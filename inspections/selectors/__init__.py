"""What the inspection pages and the API show, by area (``progress``: the numbers per task)."""
