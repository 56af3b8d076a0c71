from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenancy.policies import ensure

from .policies import may_open_workbench


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    ensure(may_open_workbench, request.actor)
    return render(request, "tests_plugin/workbench.html")
