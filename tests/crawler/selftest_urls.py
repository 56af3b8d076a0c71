"""A small site with known faults, for the crawler's own test (``test_crawler_finds.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import path

ITEMS = 10


def home(request: HttpRequest) -> HttpResponse:
    items = "".join(f'<a href="/items/{n}/">item {n}</a>' for n in range(1, ITEMS + 1))
    return HttpResponse(
        "<html><body>"
        '<a href="/boom/">boom</a> <a href="/accounts/logout/">logout</a> <a href="https://example.com/">away</a>'
        '<div hx-get="/polled/" hx-trigger="every 2s"></div><a href="/polled/">polled</a>'
        '<form method="post" action="/posted/"><input name="x"></form>'
        '<form method="get" action="/search/"><input name="q" value=""><select name="kind">'
        '<option value="">all</option><option value="a">a</option><option value="b">b</option></select>'
        '<input type="checkbox" name="mine" value="1"><input type="date" name="since"><button type="submit">go</button></form>'
        f'<a href="/download/">download</a> <a href="/list/?page=2">next</a> <a href="/list/?page=3">last</a>{items}'
        "</body></html>"
    )


def boom(request: HttpRequest) -> HttpResponse:
    raise ValueError("boom on purpose")


def polled(request: HttpRequest) -> HttpResponse:
    if request.headers.get("HX-Request"):
        raise LookupError("the fragment htmx asks for is broken")
    return HttpResponse('<p>polled</p><a href="/deep/">deep</a>')


def posted_only(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<p>a page a user reaches through a POST's redirect</p>")


def deep(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<p>reached only through an hx-get</p>")


def posted(request: HttpRequest) -> HttpResponse:
    raise AssertionError("the crawler never posts")


def search(request: HttpRequest) -> HttpResponse:
    if request.GET.get("kind") == "b":
        raise KeyError("kind b is broken")
    if len(request.GET.get("q", "")) > 5000:
        raise OverflowError("a long q")
    if request.GET.get("since"):
        dt.date.fromisoformat(request.GET["since"])  # unguarded: a bad date is a ValueError
    return HttpResponse("<p>results</p>")


def download(request: HttpRequest) -> StreamingHttpResponse:
    def rows() -> Iterator[bytes]:
        yield b"a,b\n"
        raise UnicodeEncodeError("ascii", "\x01", 0, 1, "a control character in an old row")

    return StreamingHttpResponse(rows(), content_type="text/csv")


def listing(request: HttpRequest) -> HttpResponse:
    if request.GET.get("page") == "abc":
        raise ValueError("page abc")
    return HttpResponse('<p>list</p><a href="/list/?page=4">more</a>')


def item(request: HttpRequest, pk: int) -> HttpResponse:
    return HttpResponse(f"<p>item {pk}</p>")


urlpatterns = [
    path("", home, name="home"),
    path("boom/", boom, name="boom"),
    path("polled/", polled, name="polled"),
    path("deep/", deep, name="deep"),
    path("after-post/", posted_only, name="after_post"),
    path("posted/", posted, name="posted"),
    path("search/", search, name="search"),
    path("download/", download, name="download"),
    path("list/", listing, name="listing"),
    path("items/<int:pk>/", item, name="item"),
]
