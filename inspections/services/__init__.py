"""Every state change of inspections, by sub-domain: creation.py (inspections made from a draw,
team changes, target replacements), inspections.py (confirmation, the draft, evidence, what a
result must satisfy), reviews.py (submit, approve, return, correct), handling.py (后续处置),
teams.py (the team's object grants). Import from the submodule."""
