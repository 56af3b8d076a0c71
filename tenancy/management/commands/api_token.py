"""``python manage.py api_token {create,list,revoke} --org ORG``: tokens for systems using the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from tenancy import services
from tenancy.commands import TenantCommand
from tenancy.context import Actor
from tenancy.models import ApiToken, Membership, User


class Command(TenantCommand):
    help = "Create, list or revoke API tokens of an organization (the key is printed once)."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("--user", help="the member the token acts as (create)")
        parser.add_argument("--name", default="API", help="a label, e.g. 省平台同步 (create)")
        parser.add_argument("--days", type=int, default=365, help="validity in days, 0 = no expiry (create)")
        parser.add_argument("--prefix", help="the token prefix to revoke (revoke)")

    def handle_for(self, actor: Actor, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            for token in ApiToken.objects.select_related("user").order_by("created_at"):
                state = "revoked" if token.revoked_at else ("expired" if not token.is_usable else "active")
                self.stdout.write(f"{token.prefix}  {token.name:<20} {token.user.username:<20} {state:<8} last used {token.last_used_at or '-'}")
            return
        if action == "revoke":
            token = ApiToken.objects.filter(prefix=options["prefix"] or "").first()
            if token is None:
                raise CommandError("没有该令牌 / no such token")
            services.api_token_revoke(actor=actor, token=token)
            self.stdout.write(f"revoked {token.prefix}")
            return
        membership = Membership.objects.filter(user__username=options["user"] or "", is_active=True).first()
        if membership is None:
            raise CommandError("--user 必须是本单位成员 / --user must be a member of the organization")
        expires = timezone.now() + dt.timedelta(days=options["days"]) if options["days"] else None
        user = User.objects.get(pk=membership.user_id)
        token, key = services.api_token_create(actor=actor, user=user, name=options["name"], expires_at=expires)
        self.stdout.write(f"token {token.prefix} for {user.username}; the key is shown once:\n{key}")
