"""GB/T 4754 industry codes and prefixes: the one rule for entities, imports and plan scopes."""

from __future__ import annotations

import pytest

from inventory.codes import is_valid_industry_code, normalize_code

pytestmark = pytest.mark.pure


@pytest.mark.parametrize("code", ["F", "T", "F52", "F521", "F5211", "52", "521", "5211", "8710", "R8710"])
def test_codes_and_prefixes_of_every_level(code):
    assert is_valid_industry_code(code)


@pytest.mark.parametrize("code", ["", "abc", "ABC", "U52", "F5", "5", "52111", "F52111", "F-52", "5２", "f52"])
def test_not_industry_codes(code):
    assert not is_valid_industry_code(code)


def test_normalised_input_is_accepted():
    assert is_valid_industry_code(normalize_code(" ｆ５２ "))
