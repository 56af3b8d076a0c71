"""Time limits: the working-day clock (``deadlines.workdays``, pure Python) and, later, what is due.

Nothing here may import Django: ``python -m deadlines.workdays`` runs without it.
"""
