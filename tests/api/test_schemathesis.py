"""A bounded schemathesis run over every operation of /api/schema/, in-process (WSGI), on a small
world with data, as a department planner's token and as the provincial platform's token.

Schemathesis' own phases run (the schema's examples, coverage of boundaries and of values the
schema forbids, then fuzzing) with a fixed seed and few examples; the run fails on any 5xx, on
a response that breaks the schema (its body, its content type), and on a value the schema
forbids that is not refused. Path parameters of positive cases point at objects that exist (a
random id only finds a 404); writes (create, patch, bulk upsert, a filing decision) run inside
the test's transaction like everything else.
"""

from __future__ import annotations

import contextlib
import itertools

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django_scopes import scopes_disabled
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
)

from inventory.models import RegistryEntry, Tag
from tenancy.context import OrgKind, Role
from tenancy.models import Membership, Organization, User
from tenancy.scoping import actor_scope
from tenancy.services import api_token_create
from tests.factories import (
    make_completed_draw,
    make_conflict,
    make_due_item,
    make_entity,
    make_filing,
    make_filled_inspection,
    make_inspector,
    make_item,
    make_joint_item,
    make_plan,
    make_task,
)

pytestmark = pytest.mark.django_db

COVERAGE_CASES = 30  # the first coverage cases of each operation (boundaries, then forbidden values)
FUZZED = 6  # hypothesis examples per operation and mode
SEED = 20260405

SCHEMA_CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
CHECKS = {
    GenerationMode.POSITIVE: SCHEMA_CHECKS,
    GenerationMode.NEGATIVE: [not_a_server_error, negative_data_rejection],
}


def platform_actor(world):
    """The provincial platform of county A's province, with an admin (who holds its token)."""
    with scopes_disabled():
        org = Organization.objects.create(
            kind=OrgKind.PLATFORM, region=world.regions["SX"], code="T-PLAT", name="山西省平台", short_name="省平台"
        )
        user = User.objects.create_user(username="plat_admin", password="x" * 12)
        Membership.objects.create(user=user, organization=org, region=org.region, is_admin=True, is_viewer=True)
        world.orgs["PLAT"] = org
        world.users[("PLAT", Role.ADMIN)] = user
    return world.actor("PLAT", Role.ADMIN)


def token_for(world, org: str, role: str) -> str:
    admin = world.actor(org, Role.ADMIN)
    with actor_scope(admin):
        _token, key = api_token_create(actor=admin, user=world.user(org, role), name="schemathesis")
    return key


@pytest.fixture
def in_process():
    """Requests through the WSGI handler inside the test's transaction: as Django's test client
    does, keep request_started/finished from closing the connection (it would end the transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_world(world, settings, tmp_path, in_process) -> dict[str, dict[str, str]]:
    """A small world with data; returns, per resource path, the path parameters of an object of
    county A (the department A1 owns it, the platform of its province sees it)."""
    settings.MEDIA_ROOT = tmp_path
    platform_actor(world)
    for org in ("A1", "B1"):
        entities = [make_entity(world, org, name=f"{org}对象{n}") for n in range(3)]
        inspector = make_inspector(world, org)
        make_conflict(world, org)
        item = make_item(world, org)
        plan = make_plan(world, org)
        task = make_task(world, org)
        if org == "A1":
            own = (entities, inspector, item, plan, task)
    make_joint_item(world, "AO")
    filing = make_filing(world, "A1")  # a completed draw of A1, filed with the office
    due_item = make_due_item(world, "A1")  # the filing due on another draw of A1
    inspection = make_filled_inspection(world, "A1")  # confirmed, answered, signed; the planner may read it
    make_completed_draw(world, "B1")
    entities, inspector, item, plan, task = own
    with scopes_disabled():
        org = world.orgs["A1"]
        Tag.objects.create(organization=org, region=org.region, kind=Tag.Kind.INSPECTOR, name="网吧")
        entry = RegistryEntry.objects.get(entity=entities[0])
    return {
        "/api/v1/check-items/{id}/": {"id": str(item.pk)},
        "/api/v1/draws/{id}/": {"id": str(filing.draw_id)},
        "/api/v1/due-items/{id}/": {"id": str(due_item.pk)},
        "/api/v1/draws/{id}/record/": {"id": str(filing.draw_id)},
        "/api/v1/entities/{code}/": {"code": entities[0].code},
        "/api/v1/filings/{id}/": {"id": str(filing.pk)},
        "/api/v1/filings/{id}/decide/": {"id": str(filing.pk)},
        "/api/v1/inspectors/{id}/": {"id": str(inspector.pk)},
        "/api/v1/organizations/{code}/": {"code": "T-A1"},
        "/api/v1/plans/{id}/": {"id": str(plan.pk)},
        "/api/v1/regions/{code}/": {"code": "140522"},
        "/api/v1/registry-entries/{id}/": {"id": str(entry.pk)},
        "/api/v1/tasks/{id}/": {"id": str(task.pk)},
        **{path: {"id": str(inspection.pk)} for path in (
            "/api/v1/inspections/{id}/", "/api/v1/inspections/{id}/record.pdf", "/api/v1/inspections/{id}/confirm/",
            "/api/v1/inspections/{id}/draft/", "/api/v1/inspections/{id}/submit/", "/api/v1/inspections/{id}/approve/",
            "/api/v1/inspections/{id}/return/",
        )},
        "/api/v1/inspection-progress/{id}/": {"id": str(inspection.task_id)},
    }


def load_schema(app, key: str):
    headers = {"Authorization": f"Token {key}"}
    config = SchemathesisConfig.from_dict({"seed": SEED, "headers": headers, "generation": {"database": "none"}})
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", app, config=config, headers=headers)


def on_existing_objects(case, objects: dict[str, dict[str, str]]) -> None:
    """A positive case's path parameters name an object that exists (its body and query stay):
    a random id only ever finds a 404."""
    real = objects.get(case.operation.path)
    path = case.meta.components.get(ParameterLocation.PATH) if case.meta else None
    if real and path is not None and path.mode == GenerationMode.POSITIVE:
        case.path_parameters = dict(real)


def mode_of(case) -> GenerationMode:
    return case.meta.generation.mode if case.meta else GenerationMode.POSITIVE


def fuzz(operation, mode: GenerationMode, send) -> None:
    @hypothesis.settings(
        max_examples=FUZZED, derandomize=True, deadline=None, database=None,
        phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:
        send(case)

    # Unsatisfiable: nothing of this operation can be made invalid (no parameters): nothing to refuse.
    with contextlib.suppress(hypothesis.errors.Unsatisfiable):
        run()


def examine(schema, objects: dict[str, dict[str, str]], headers: dict[str, str]) -> tuple[dict[str, str], int]:
    """Every operation through schemathesis' phases: the schema's examples, coverage (boundaries
    and forbidden values, deterministic), fuzzing (derandomized). Returns failures and the count."""
    failures: dict[str, str] = {}
    sent = 0

    def send(case, label: str, checks=None) -> None:
        nonlocal sent
        on_existing_objects(case, objects)
        sent += 1
        try:
            case.call_and_validate(headers=headers, checks=checks or CHECKS[mode_of(case)])
        except BaseException as exc:  # FailureGroup is a BaseExceptionGroup
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.setdefault(label, str(exc)[:3000])

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20, [op.label for op in operations]
    for operation in operations:
        for strategy in schema.get_strategies_from_examples(operation):
            # An example of the schema must be accepted as it is.
            case = hypothesis.find(strategy, lambda _: True, settings=hypothesis.settings(database=None))
            send(case, f"{operation.label} [example]", [*SCHEMA_CHECKS, positive_data_acceptance])
        generation = schema.config.generation_for(operation=operation, phase="coverage")
        coverage = schema.iter_coverage_cases(
            operation, generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], generation_config=generation
        )
        for case in itertools.islice(coverage, COVERAGE_CASES):
            send(case, f"{operation.label} [coverage {mode_of(case).value}]")
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            label = f"{operation.label} [fuzzing {mode.value}]"
            fuzz(operation, mode, lambda case, label=label: send(case, label))
    return failures, sent


def report(failures: dict[str, str]) -> str:
    return "\n\n".join(f"== {label}\n{text}" for label, text in failures.items())


def test_the_api_keeps_its_schema_as_a_department_planner(world, api_world, in_process):
    key = token_for(world, "A1", Role.PLANNER)
    failures, sent = examine(load_schema(in_process, key), api_world, {"Authorization": f"Token {key}"})
    assert sent > 500 and not failures, report(failures)


def test_the_api_keeps_its_schema_as_the_provincial_platform(world, api_world, in_process):
    key = token_for(world, "PLAT", Role.ADMIN)
    failures, sent = examine(load_schema(in_process, key), api_world, {"Authorization": f"Token {key}"})
    assert sent > 500 and not failures, report(failures)
