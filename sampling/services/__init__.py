"""Every state change of sampling: plans.py (plans, tasks), draws.py (the ceremony), recusals.py
(recusals with substitutes, target replacements), filings.py (备案). Import from the submodule."""
