"""The national result codes survive a flush (manage.py flush, a live-server test's teardown):
post_migrate ships them into an empty table, and never touches a table that holds codes."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from inspections.models import ResultCode
from inspections.result_codes import NATIONAL, ship_if_empty


@pytest.mark.django_db(transaction=True)
def test_a_flushed_database_gets_the_national_codes_back():
    call_command("flush", interactive=False, verbosity=0)
    shipped = dict(ResultCode.objects.values_list("code", "name"))
    assert shipped == {code: name for code, name, *_ in NATIONAL}
    assert ResultCode.objects.get(code="01").is_clean and ResultCode.objects.get(code="10").requires_reason


@pytest.mark.django_db
def test_codes_an_administrator_changed_are_left_alone():
    ResultCode.objects.filter(code="10").update(name="其他情形")
    ResultCode.objects.exclude(code="10").delete()
    assert ship_if_empty() == 0
    assert list(ResultCode.objects.values_list("code", "name")) == [("10", "其他情形")]
