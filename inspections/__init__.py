"""Inspections (检查实施): from a drawn team to an approved result and its follow-up."""
