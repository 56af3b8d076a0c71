"""GB/T 4754 industry codes and prefixes: the one rule for entities, imports and plan scopes."""

from __future__ import annotations

import pytest

from inventory.codes import canonical_industry_code, industry_section, is_valid_industry_code, normalize_code

pytestmark = pytest.mark.pure


@pytest.mark.parametrize("code", ["F", "T", "F52", "F521", "F5211", "52", "521", "5211", "8710", "R8710"])
def test_codes_and_prefixes_of_every_level(code):
    assert is_valid_industry_code(code)


@pytest.mark.parametrize("code", ["", "abc", "ABC", "U52", "F5", "5", "52111", "F52111", "F-52", "5２", "f52"])
def test_not_industry_codes(code):
    assert not is_valid_industry_code(code)


def test_normalised_input_is_accepted():
    assert is_valid_industry_code(normalize_code(" ｆ５２ "))


@pytest.mark.parametrize(
    ("code", "canonical"),
    [("5211", "F5211"), ("F5211", "F5211"), ("52", "F52"), ("F", "F"), ("0110", "A0110"), ("8710", "R8710"),
     ("4410", "D4410"), ("70", "K70"), ("9800", "T9800"), ("6110", "H6110"), ("I6510", "I6510")],
)
def test_one_stored_form_with_the_section_letter(code, canonical):
    assert canonical_industry_code(code) == canonical


@pytest.mark.parametrize("code", ["A52", "F61", "99", "00", "C44"])
def test_a_letter_that_is_not_the_divisions_or_a_division_of_no_section(code):
    assert canonical_industry_code(code) is None
    assert not is_valid_industry_code(code)


def test_every_division_has_one_section():
    sections = [industry_section(d) for d in range(1, 99)]
    assert all(sections), [d for d, s in zip(range(1, 99), sections, strict=True) if s is None]
    assert industry_section(99) is None and industry_section(0) is None
