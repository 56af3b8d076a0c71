"""The inspection forms, by area: fill.py (the check form, evidence, signature), review.py,
handling.py (后续处置)."""
