"""API tokens: hashed at rest, bound to one organization's scope, revocable; schema and docs served."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django_scopes import scopes_disabled

from tenancy.models import ApiToken


@pytest.mark.django_db
def test_token_created_by_command_authenticates_and_is_scoped(world):
    out = io.StringIO()
    call_command("api_token", "create", "--org", "T-B1", "--user", "b1_viewer", "--name", "省平台", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    with scopes_disabled():
        token = ApiToken.objects.get()
    assert token.key_hash != key and key not in token.key_hash  # only the hash is stored
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/v1/organizations/")
    codes = {row["code"] for row in response.json()["results"]}
    assert codes == {"T-B1", "T-B2", "T-BO"}  # its own county, nothing of county A
    assert client.get("/api/v1/organizations/T-A1/").status_code == 404
    assert client.get("/api/v1/organizations/T-B2/").json()["name"] == "测试单位B2"
    call_command("api_token", "revoke", "--org", "T-B1", "--prefix", token.prefix, stdout=io.StringIO())
    assert client.get("/api/v1/organizations/").status_code == 401


@pytest.mark.django_db
def test_bad_token_and_anonymous_are_refused(world):
    assert Client(HTTP_AUTHORIZATION="Token nope.nope").get("/api/v1/organizations/").status_code == 401
    assert Client().get("/api/v1/organizations/").status_code in (401, 403)


@pytest.mark.django_db
def test_schema_and_docs_are_served_locally(world, login):
    client = login(world.user("A1", "viewer"))
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200 and b"/api/v1/organizations/" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs and "cdn" not in docs.lower() and "https://" not in docs
    # The start-up script is a URL of ours, not inline: the page works under our CSP.
    assert "<script>" not in docs and "/api/docs/?script=" in docs.replace("&amp;", "&")
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.content
    assert "script-src 'self'" in client.get("/api/docs/")["Content-Security-Policy"]


@pytest.mark.django_db
def test_health_check_answers_plain_http_in_production(settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["ssj.example.gov.cn"]
    settings.SECURE_SSL_REDIRECT = True
    client = Client(HTTP_HOST="ssj.example.gov.cn")
    response = client.get("/healthz/")
    assert response.status_code == 200 and response.content == b"ok"
    # Every other page still redirects to https.
    assert client.get("/accounts/login/").status_code == 301
