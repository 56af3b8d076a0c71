"""Error pages. 404, 403 and 400 render inside the layout; 500 is a static page (no database).
Under /api/ every error is JSON (``{"detail": …}``), as DRF's own errors are: a client of the API
never has to parse an HTML page, whatever went wrong."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

from .middleware import is_api_request


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_request(request):
        return JsonResponse({"detail": _("请求无效")}, status=400)
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_request(request):
        return JsonResponse({"detail": _("无权执行此操作")}, status=403)
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_request(request):
        return JsonResponse({"detail": _("未找到")}, status=404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_request(request):
        # Nothing of the error itself: it is logged, and may hold data of another tenant.
        return JsonResponse({"detail": _("服务器内部错误，已记录。请稍后重试。")}, status=500)
    return HttpResponseServerError(loader.get_template("500.html").render())
