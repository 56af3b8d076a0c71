"""Time limits: what is due, whose action, by when — and the reminders and escalations.

``deadlines.workdays`` is the pure working-day clock (no Django: ``python -m deadlines.workdays``
runs without it); the rest is the Django app (rules, due items, notifications, the scan on
Celery beat). Importing this package imports nothing of Django.
"""
