"""``python manage.py seed_demo``: the demo counties of the seed documents, idempotent."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import CommandParser
from django.db import transaction
from django.utils.module_loading import import_string

from tenancy.commands import SystemCommand
from tenancy.demo import DEMO_SEEDERS, seed_organizations
from tenancy.models import Organization

DEFAULT_PASSWORD = "Demo-Pass-2026"
# Each app adds its demo data through a ``demo.seed(orgs=..., entities=..., stdout=...)`` function.
APP_SEEDERS = ("inventory.demo.seed", "sampling.demo.seed")


class Command(SystemCommand):
    help = "Create (or complete) the demo regions, organizations, users and registries. Safe to run twice."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--entities", type=int, default=2000, help="entities per demo department (default 2000)")
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help=f"password of every demo user (default {DEFAULT_PASSWORD})")
        parser.add_argument("--quiet-accounts", action="store_true", help="do not print the account list")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when the database has organizations")

    def handle_system(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        if options["if_empty"] and Organization.objects.exists():
            self.stdout.write("seed_demo: the database already has data; nothing seeded (run without --if-empty to complete it)")
            return
        with transaction.atomic():
            orgs, accounts = seed_organizations(options["password"])
        for path in APP_SEEDERS:
            seeder = import_string(path)
            seeder(orgs=orgs, entities=options["entities"], stdout=self.stdout)
        # Apps after sampling register theirs (tenancy.demo.DEMO_SEEDERS): nothing here names them.
        for entry in DEMO_SEEDERS:
            entry.seed(orgs=orgs, entities=options["entities"], stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"seed_demo: done in {time.monotonic() - started:.1f}s"))
        if not options["quiet_accounts"]:
            self.stdout.write(f"Demo accounts (password: {options['password']}):")
            for username, org, role in accounts:
                self.stdout.write(f"  {username:<22} {role:<18} {org}")
