"""The plug-in's periodic job: every morning, one census task per active department."""

from __future__ import annotations

import datetime as dt

from tenancy.context import OrgKind
from tenancy.models import Organization
from tenancy.periodic import fan_out


def census_job(*, now: dt.datetime) -> int:
    """Runs as the system (unscoped): it only picks the organizations; each counts in its own scope."""
    from .tasks import census_organization  # noqa: PLC0415  (a worker imports the tasks module itself)

    departments = Organization.objects.filter(kind=OrgKind.DEPARTMENT, is_active=True).values_list("id", flat=True)
    return fan_out(census_organization, departments)
