"""Accounts and security: login, lockout, CSP, language switch, organization switcher, errors."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django_scopes import scopes_disabled

from tenancy.models import AuditEntry, Membership, Organization, Region, User


@pytest.mark.django_db
def test_login_then_dashboard_in_chinese(world, client, password):
    response = client.post(reverse("login"), {"username": "a1_planner", "password": password})
    assert response.status_code == 302 and response.url == reverse("dashboard")
    page = client.get(reverse("dashboard")).content.decode()
    assert "工作台" in page and "测试单位A1" in page
    assert 'lang="zh-hans"' in page


@pytest.mark.django_db
def test_lockout_after_five_failures(world, client, password):
    for _ in range(5):
        response = client.post(reverse("login"), {"username": "a1_admin", "password": "wrong-password"})
    # The sixth attempt, even with the right password, is refused while locked out.
    response = client.post(reverse("login"), {"username": "a1_admin", "password": password})
    assert response.status_code == 429
    assert "账号已被暂时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another user is not affected.
    ok = client.post(reverse("login"), {"username": "a1_viewer", "password": password})
    assert ok.status_code == 302


@pytest.mark.django_db
def test_csp_and_security_headers(world, login):
    client = login(world.user("A1", "viewer"))
    response = client.get(reverse("dashboard"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_no_third_party_asset_in_pages(world, login):
    client = login(world.user("A1", "admin"))
    page = client.get(reverse("dashboard")).content.decode()
    for attr in ('src="http', "src='http", 'href="http', "href='http", 'src="//', 'href="//'):
        assert attr not in page


@pytest.mark.django_db
def test_language_switch_to_english_and_back(world, login):
    client = login(world.user("A1", "admin"))
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get(reverse("dashboard")).content.decode()
    assert 'lang="en"' in page and "Dashboard" in page and "工作台" not in page
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "工作台" in client.get(reverse("dashboard")).content.decode()


@pytest.mark.django_db
def test_organization_switcher_only_among_own_memberships(world, login):
    user = world.user("A1", "planner")
    with scopes_disabled():
        a2 = world.orgs["A2"]
        Membership.objects.create(user=user, organization=a2, region=a2.region, is_planner=True)
    client = login(user)
    assert "测试单位A1" in client.get(reverse("dashboard")).content.decode()
    client.post(reverse("switch_organization"), {"organization": a2.pk})
    page = client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="active-org">测试单位A2<' in page
    # Switching to an organization one does not belong to changes nothing.
    client.post(reverse("switch_organization"), {"organization": world.orgs["B1"].pk})
    assert 'data-testid="active-org">测试单位A2<' in client.get(reverse("dashboard")).content.decode()


@pytest.mark.django_db
def test_error_pages_are_chinese_and_404_for_unknown(world, login):
    client = login(world.user("A1", "viewer"))
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "页面不存在" in response.content.decode()
    # 403 renders inside the layout (the user still has the menu).
    denied = client.get(reverse("audit_list"))
    assert denied.status_code == 403 and "无权访问" in denied.content.decode()
    assert 'data-testid="active-org"' in denied.content.decode()


def test_500_page_renders_without_a_database(rf):
    """The 500 handler must work when the database is what failed: a static page. (No django_db
    mark: pytest-django refuses any database access here, so a query would fail the test.)"""
    from tenancy.errors import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500 and "系统错误" in response.content.decode()


@pytest.mark.django_db
def test_audit_page_is_for_admins_and_leaders_and_filters(world, login):
    from tenancy import services
    from tenancy.scoping import actor_scope

    with actor_scope(world.actor("A1", "admin")):
        membership = Membership.objects.get(user=world.user("A1", "viewer"))
        services.membership_set_roles(actor=world.actor("A1", "admin"), membership=membership, roles={"viewer", "planner"})
    viewer = login(world.user("A1", "viewer"))
    assert viewer.get(reverse("audit_list")).status_code == 403
    admin = login(world.user("A1", "admin"))
    page = admin.get(reverse("audit_list"), {"action": "update"}).content.decode()
    assert "is_planner" in page and "A1admin" in page
    assert "tenancy.membership" in page
    empty = admin.get(reverse("audit_list"), {"action": "delete"}).content.decode()
    assert "is_planner" not in empty


@pytest.mark.django_db
def test_audit_entry_written_by_service_with_before_and_after(world):
    from tenancy import services
    from tenancy.scoping import actor_scope

    actor = world.actor("A1", "admin")
    with actor_scope(actor):
        membership = Membership.objects.get(user=world.user("A1", "viewer"))
        services.membership_set_roles(actor=actor, membership=membership, roles={"viewer", "leader"})
        entry = AuditEntry.objects.get(target_type="tenancy.membership", target_id=str(membership.pk))
        assert entry.changes == {"is_leader": [False, True]}
        assert entry.user_id == actor.user_id and entry.organization_id == actor.organization_id
        # Unchanged roles write nothing.
        services.membership_set_roles(actor=actor, membership=membership, roles={"viewer", "leader"})
        assert AuditEntry.objects.filter(target_type="tenancy.membership").count() == 1
        # The log is append-only.
        with pytest.raises(ValidationError, match="审计日志只能追加，不能修改"):
            entry.note = "edited"
            entry.save()
        with pytest.raises(ValidationError, match="审计日志只能追加，不能删除"):
            entry.delete()
        # Bulk paths that skip save()/delete() are refused too.
        with pytest.raises(ValidationError, match="审计日志只能追加，不能修改"):
            AuditEntry.objects.filter(pk=entry.pk).update(note="edited")
        with pytest.raises(ValidationError, match="审计日志只能追加，不能删除"):
            AuditEntry.objects.filter(pk=entry.pk).delete()


@pytest.mark.django_db
def test_database_refuses_changes_to_the_audit_log(world):
    """Any client of the database (psql, a script), not only our models: a PostgreSQL trigger."""
    from django.db import ProgrammingError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's; SQLite relies on the model checks")
    from tenancy import services
    from tenancy.scoping import actor_scope

    actor = world.actor("A1", "admin")
    with actor_scope(actor):
        membership = Membership.objects.get(user=world.user("A1", "viewer"))
        services.membership_set_roles(actor=actor, membership=membership, roles={"viewer", "leader"})
    for sql, op in (("UPDATE tenancy_auditentry SET note = 'x'", "UPDATE"), ("DELETE FROM tenancy_auditentry", "DELETE")):
        with (
            pytest.raises(ProgrammingError, match=rf"tenancy_auditentry is append-only \({op} refused\)"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), max(note) FROM tenancy_auditentry")
        assert cursor.fetchone() == (1, "")


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    from django.apps import apps

    ours = ("tenancy", "inventory", "sampling", "inspections", "publication")

    def counts():
        # Every model of our apps: a second run adds no entity, plan, task or audit entry either.
        with scopes_disabled():
            return {m._meta.label: m._base_manager.count() for m in apps.get_models() if m._meta.app_label in ours}

    call_command("seed_demo", "--entities", "20", "--password", "Seed-Pass-2026", "--quiet-accounts")
    first = counts()
    call_command("seed_demo", "--entities", "20", "--password", "Seed-Pass-2026", "--quiet-accounts")
    assert counts() == first
    with scopes_disabled():
        assert Organization.objects.filter(region__code="140522", kind="department").count() >= 3
        assert Organization.objects.filter(region__code="140522", kind="office").count() == 1
        assert Organization.objects.filter(region__code="130634", kind="department").count() >= 2
        assert set(Region.objects.values_list("code", flat=True)) >= {"140522", "130634", "410202", "130300"}
        for role in ("admin", "planner", "inspector", "leader", "viewer"):
            assert User.objects.get(username=f"yc_wl_{role}").check_password("Seed-Pass-2026")
            # Every role in every department and office of the demo county.
            for org in Organization.objects.filter(region__code="140522").exclude(kind="platform"):
                assert Membership.objects.filter(organization=org, **{f"is_{role}": True}).exists(), (org, role)
    assert first["inventory.MarketEntity"] >= 20 and first["sampling.SamplingTask"] >= 1
