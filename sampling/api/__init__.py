"""REST API of sampling, registered on the /api/v1/ router by submodule."""

from sampling.api import draws as api_draws
from sampling.api import filings as api_filings
from sampling.api import plans as api_plans


def register(router) -> None:
    api_plans.register(router)
    api_draws.register(router)
    api_filings.register(router)
