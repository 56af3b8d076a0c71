"""Forms of sampling by area: plans, draws (the ceremony), recusals, filings."""
