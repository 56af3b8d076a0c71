"""Every state change of sampling: plans.py (plans, tasks), draws.py (ceremony, recusal,
replacement), filings.py (备案). Import from the submodule."""
