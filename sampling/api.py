"""REST API of sampling, registered on the /api/v1/ router by submodule."""

from sampling import api_draws, api_filings, api_plans


def register(router) -> None:
    api_plans.register(router)
    api_draws.register(router)
    api_filings.register(router)
