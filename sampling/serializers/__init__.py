"""DRF serializers of sampling by area: plans, draws, filings."""
