"""The command-line entry point: commands act for one organization (``--org``) or as the system."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from .actors import actor_for, organization_by_code_or_name
from .context import Role
from .scoping import actor_scope, system_scope


class TenantCommand(BaseCommand):
    """Runs ``handle_for(actor, ...)`` inside the scope of the organization named by ``--org``."""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="单位代码或全称 / organization code or exact name")

    def handle(self, *args: Any, **options: Any) -> Any:
        organization = organization_by_code_or_name(options["org"])
        if organization is None:
            raise CommandError(f"找不到单位：{options['org']} / no such organization")
        # An IT officer's bulk load acts with the organization's full roles, recorded as "command".
        actor = actor_for(None, organization, via="command", roles=frozenset(Role.ALL))
        with actor_scope(actor):
            return self.handle_for(actor, *args, **options)

    def handle_for(self, actor: Any, *args: Any, **options: Any) -> Any:
        raise NotImplementedError


class SystemCommand(BaseCommand):
    """Runs ``handle_system`` unscoped: set-up commands such as ``seed_demo``."""

    def handle(self, *args: Any, **options: Any) -> Any:
        with system_scope():
            return self.handle_system(*args, **options)

    def handle_system(self, *args: Any, **options: Any) -> Any:
        raise NotImplementedError


class OwnerCommand(BaseCommand):
    """Acts for the organization that owns the object the command names (``draw_run TASK_ID``).

    Subclasses implement ``owner_of(**options)`` (run unscoped, returns the owning organization)
    and ``handle_for(actor, ...)``.
    """

    def handle(self, *args: Any, **options: Any) -> Any:
        with system_scope():
            organization = self.owner_of(**options)
        if organization is None:
            raise CommandError("找不到对象 / no such object")
        actor = actor_for(None, organization, via="command", roles=frozenset(Role.ALL))
        with actor_scope(actor):
            return self.handle_for(actor, *args, **options)

    def owner_of(self, **options: Any) -> Any:
        raise NotImplementedError

    def handle_for(self, actor: Any, *args: Any, **options: Any) -> Any:
        raise NotImplementedError
