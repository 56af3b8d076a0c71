"""The site icon (walk report P13: /favicon.ico answered 404 on every first page): the layout links
an ICO and an SVG of our own, and /favicon.ico redirects to the ICO, for anyone, signed in or not."""

from __future__ import annotations

import io

from django.contrib.staticfiles import finders
from django.test import Client
from PIL import Image


def test_favicon_ico_redirects_to_the_static_icon(db):
    response = Client().get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].startswith("/static/img/favicon")
    assert response["Location"].endswith(".ico")


def test_the_icon_is_a_real_ico_with_the_usual_sizes():
    path = finders.find("img/favicon.ico")
    with open(path, "rb") as handle:
        data = handle.read()
    assert data[:4] == b"\0\0\1\0" and len(data) < 16 * 1024
    icon = Image.open(io.BytesIO(data))
    assert {(16, 16), (32, 32), (48, 48)} <= set(icon.info["sizes"])
    # Our red (#b71c1c) in the corner-free middle of the left edge, as the SVG's.
    assert icon.convert("RGBA").getpixel((2, 24))[:3] == (0xB7, 0x1C, 0x1C)


def test_the_layout_links_both_icons(world, login):
    page = login(world.user("A1", "planner")).get("/").content.decode()
    assert '<link rel="icon" href="/static/img/favicon.ico"' in page
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in page
