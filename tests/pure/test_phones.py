"""Mainland phone numbers (inventory.codes.is_valid_phone): one rule for forms, API and import."""

from __future__ import annotations

import pytest

from inventory.codes import is_valid_phone, normalize_phone

pytestmark = pytest.mark.pure

VALID = [
    "13800138000", "138 0013 8000", "138-0013-8000", "+86 138 0013 8000", "+8613800138000", "8613800138000",
    "0086 13800138000", "19912345678", "0356-4221234", "03564221234", "(0356)4221234", "（0356）4221234",
    "0356 4221234", "010-12345678", "010 1234 5678", "+86 356 4221234", "+86 10 12345678", "0356-4221234 转 123",
    "0356-4221234转8", "0356-4221234-123", "0356-4221234 ext. 12", "0356-4221234#123", "010-12345678 分机 2",
    "400-123-4567", "800 123 4567", "4001234567", "１３８００１３８０００",
]
INVALID = [
    "[", "_3t", "", "12345", "4221234", "12800138000", "1380013800", "138001380001", "0356-42212", "abc",
    "13800138000 转 1", "0356-4221234 转", "0356-4221234 转 1234567", "++8613800138000", "86 0356 4221234 x",
    "0056-4221234", "300-123-4567", "13800138000;", "0356_4221234",
]


@pytest.mark.parametrize("raw", VALID)
def test_mainland_mobile_landline_and_service_numbers_are_valid(raw):
    assert is_valid_phone(normalize_phone(raw)), raw


@pytest.mark.parametrize("raw", INVALID)
def test_anything_else_is_refused(raw):
    assert not is_valid_phone(normalize_phone(raw)), raw


def test_normalize_keeps_what_was_typed_in_half_width():
    assert normalize_phone("  １３８　0013  8000 ") == "138 0013 8000"
