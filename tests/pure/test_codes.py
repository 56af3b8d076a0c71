"""Tests for inventory.codes: USCC (GB 32100-2015), 15-digit 注册号 (GB/T 17710), 登记编码.

Error-detection properties proved by the property tests below:

* USCC — every single-character substitution is detected (weights non-zero mod the prime 31);
  every transposition of two different characters among positions 1–17 is detected, adjacent
  or not (the weights 3^(i-1) mod 31 are pairwise distinct because 3 is a primitive root
  mod 31); a transposition between position 18 and position i is detected for every i
  except i = 1, whose weight is 1 — the same implicit weight as the check character.
* 注册号 (ISO 7064 MOD 11,10) — every single-digit substitution is detected; adjacent
  transpositions are *not* all detected (about 1.4 % slip through in sampling).
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from inventory.codes import (
    ERROR_CODES,
    PROVINCE_PREFIXES,
    USCC_ALPHABET,
    USCC_WEIGHTS,
    CodeCheck,
    classify_code,
    has_valid_org_code,
    is_valid_region_code,
    is_valid_registry_code,
    is_valid_regno,
    is_valid_uscc,
    make_registry_code,
    make_regno,
    make_uscc,
    normalize_code,
    normalize_text,
    org_code_check_char,
    regno_check_digit,
    uscc_check_char,
)

pytestmark = pytest.mark.pure

# Published codes of real organisations (company registries, EV certificate subjects, annual
# reports).  Each passes the mod-31 check, which a wrongly remembered code would do with
# probability 1/31 — so together they also pin down the weights and the alphabet order.
REAL_USCCS = {
    "9144030010001686XA": "招商银行股份有限公司",
    "9144030071526726XG": "腾讯科技（深圳）有限公司",
    "911000001000013428": "中国银行股份有限公司",
    "91100000100003962T": "中国工商银行股份有限公司",
    "91440300192317458F": "比亚迪股份有限公司",
    "91440400192548256N": "珠海格力电器股份有限公司",
    "91440300192181490G": "万科企业股份有限公司",
    "91520000214434146R": "中航重机股份有限公司",
    "914403001922038216": "华为技术有限公司",
    "9144030027939873X7": "中兴通讯股份有限公司",
    "92340602MA2PBMEM24": "个体工商户 (淮北市, 公开名录)",
    "121200004013590816": "事业单位 (天津市, 登记管理部门 1 = 机构编制)",
}

# Pre-2016 15-digit registration numbers seen in the wild.
REAL_REGNOS = {
    "110000006499259": "中国金融认证中心 (CFCA), EV certificate serialNumber",
    "440301103308619": "沃通电子认证服务有限公司 (WoSign), EV certificate serialNumber",
    "520000000005018": "中航重机股份有限公司, 注册号 before its USCC",
}

# --------------------------------------------------------------------------- strategies

uscc_char = st.sampled_from(USCC_ALPHABET)
province = st.sampled_from(sorted(PROVINCE_PREFIXES))
region6 = st.builds(lambda p, rest: p + rest, province, st.text("0123456789", min_size=4, max_size=4))
prefix2 = st.text(USCC_ALPHABET, min_size=2, max_size=2)
body9 = st.text(USCC_ALPHABET, min_size=9, max_size=9)
valid_uscc = st.builds(make_uscc, prefix2, region6, body9)
valid_regno = st.builds(
    lambda r, seq: make_regno(r + seq), region6, st.text("0123456789", min_size=8, max_size=8)
)
FULLWIDTH = "".join(chr(cp) for cp in range(0xFF01, 0xFF5F)) + "\u3000"
messy_text = st.text(
    st.one_of(st.characters(), st.sampled_from(FULLWIDTH), st.sampled_from(" \t\n\u00a0\u3000aZ9"))
)


def _swap(code: str, i: int, j: int) -> str:
    chars = list(code)
    chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


# --------------------------------------------------------------------------- the algorithm


def test_weights_are_powers_of_three_mod_31_and_distinct() -> None:
    assert tuple(pow(3, i, 31) for i in range(17)) == USCC_WEIGHTS
    assert len(set(USCC_WEIGHTS)) == 17 and 0 not in USCC_WEIGHTS
    assert len(USCC_ALPHABET) == 31 and not set("IOZSV") & set(USCC_ALPHABET)


@pytest.mark.parametrize("code", REAL_USCCS)
def test_real_uscc_passes(code: str) -> None:
    assert is_valid_uscc(code)
    assert uscc_check_char(code[:17]) == code[17]
    # Same thing written as the standard's congruence: Σ vᵢwᵢ + v₁₈ ≡ 0 (mod 31).
    values = [USCC_ALPHABET.index(ch) for ch in code]
    assert (sum(v * w for v, w in zip(values[:17], USCC_WEIGHTS, strict=True)) + values[17]) % 31 == 0
    result = classify_code(code)
    assert result == CodeCheck(code, "uscc", False, True, None, None, code[2:8])


def test_check_value_31_maps_to_zero() -> None:
    # When Σ vᵢwᵢ ≡ 0 (mod 31), "31 − 0 = 31" must become check character '0'.
    code = next(c for n in range(1000) if (c := make_uscc("91", "440300", f"{n:09d}"))[17] == "0")
    weighted = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(code[:17], USCC_WEIGHTS, strict=True))
    assert weighted % 31 == 0
    assert is_valid_uscc(code)


@pytest.mark.parametrize("code", REAL_USCCS)
def test_real_uscc_every_single_substitution_is_rejected(code: str) -> None:
    for pos in range(18):
        for ch in USCC_ALPHABET:
            if ch != code[pos]:
                assert not is_valid_uscc(code[:pos] + ch + code[pos + 1 :]), (pos, ch)


def test_embedded_org_code_is_reported_not_required() -> None:
    assert has_valid_org_code("91440300192317458F")  # BYD: 组织机构代码 19231745-8
    assert org_code_check_char("19231745") == "8"
    assert org_code_check_char("10000396") == "2"  # ICBC 10000396-2
    # A code whose positions 9–17 break GB 11714 is still a valid USCC.
    odd = make_uscc("92", "440300", "192317450")
    assert is_valid_uscc(odd) and not has_valid_org_code(odd)
    assert not has_valid_org_code("short")


def test_org_code_check_char_10_and_11() -> None:
    # find bodies whose check is X (c=10) and 0 (c=11) among a simple sequence
    seen = {org_code_check_char(f"{n:08d}") for n in range(200)}
    assert {"X", "0"} <= seen


# --------------------------------------------------------------------------- USCC bad input


@pytest.mark.parametrize(
    ("raw", "error_code", "message"),
    [
        ("91440300192317450F", "bad_check", "统一社会信用代码校验位错误：应为 N，实为 F"),
        ("9144I300192317458F", "bad_char", "第 5 位含非法字符 'I'"),
        ("9144030019231745OF", "bad_char", "第 17 位含非法字符 'O'"),
        ("Z1440300192317458F", "bad_char", "第 1 位含非法字符 'Z'"),
        ("9S440300192317458F", "bad_char", "第 2 位含非法字符 'S'"),
        ("91440300192317458V", "bad_char", "第 18 位含非法字符 'V'"),
        ("9144030019231745#F", "bad_char", "第 17 位含非法字符 '#'"),
        ("9144 0300192317458", "bad_char", "第 5 位含非法字符 空白字符"),
        ("91A40300192317458F", "bad_region", "第 3–8 位行政区划码应全为数字，第 3 位实为 'A'"),
        ("91990300192317458F", "bad_region", "'99' 不是省级行政区划代码"),
        ("91440300192317458", "bad_length", "实为 17 位"),
        ("91440300192317458FF", "bad_length", "实为 19 位"),
        ("", "empty", "编码为空"),
        (" \u3000 ", "empty", "编码为空"),
    ],
)
def test_bad_codes_are_explained(raw: str, error_code: str, message: str) -> None:
    result = classify_code(raw)
    assert not result.valid
    assert result.error_code == error_code
    assert result.error is not None and message in result.error
    assert result.error_code in ERROR_CODES


def test_forbidden_letters_mentioned_in_message() -> None:
    for letter in "IOZSV":
        result = classify_code("91440300192317458" + letter)
        assert result.error_code == "bad_char"
        assert result.error is not None and "I、O、Z、S、V" in result.error


def test_lowercase_and_fullwidth_are_normalised() -> None:
    assert classify_code("9144030010001686xa").valid
    assert classify_code("9144030010001686xa").normalized == "9144030010001686XA"
    fullwidth = "\u3000９１４４０３００１０００１６８６ｘａ \t"
    result = classify_code(fullwidth)
    assert result.valid and result.normalized == "9144030010001686XA" and result.kind == "uscc"


def test_strict_validators_do_not_normalise() -> None:
    assert not is_valid_uscc("9144030010001686xa")
    assert not is_valid_uscc(" 9144030010001686XA")
    assert not is_valid_regno("11000000649925９")


def test_uscc_check_char_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        uscc_check_char("9144030010001686")
    with pytest.raises(ValueError):
        uscc_check_char("9144030010001686I")


def test_make_uscc_rejects_bad_parts() -> None:
    for args in [
        ("9", "440300", "MA5F00001"),
        ("9I", "440300", "MA5F00001"),
        ("91", "990300", "MA5F00001"),
        ("91", "44030", "MA5F00001"),
        ("91", "440300", "MA5F0000O"),
    ]:
        with pytest.raises(ValueError):
            make_uscc(*args)


# --------------------------------------------------------------------------- 15-digit regno


@pytest.mark.parametrize("code", REAL_REGNOS)
def test_real_regno_passes_and_is_legacy(code: str) -> None:
    assert is_valid_regno(code)
    assert regno_check_digit(code[:14]) == code[14]
    result = classify_code(code)
    assert result == CodeCheck(code, "regno", True, True, None, None, code[:6])


def test_regno_errors() -> None:
    bad = classify_code("110000006499258")
    assert (bad.kind, bad.legacy, bad.error_code) == ("regno", True, "bad_check")
    assert bad.error == "注册号校验位错误：应为 9，实为 8"
    letter = classify_code("11000000649925X")
    assert letter.error_code == "bad_char" and "第 15 位含非法字符 'X'" in (letter.error or "")
    region = classify_code("990000006499259")
    assert region.error_code == "bad_region" and region.region_code is None
    assert classify_code("１１００００００６４９９２５９").valid  # full-width digits
    with pytest.raises(ValueError):
        regno_check_digit("1100000064992")
    with pytest.raises(ValueError):
        make_regno("99000000649925")


def test_regno_adjacent_transposition_can_slip_through() -> None:
    # Documented weakness of the MOD 11,10 hybrid system: swapping the last two digits here
    # yields another valid number.
    assert is_valid_regno("440300100000127")
    assert is_valid_regno("440300100000217")


# --------------------------------------------------------------------------- registry code


@pytest.mark.parametrize(
    "code", ["R440300-XM2024-001", "R110000-1", "R330106-" + "A" * 20, "R100000-SITE-7-B"]
)
def test_registry_code_valid(code: str) -> None:
    assert is_valid_registry_code(code)
    result = classify_code(code.lower())
    assert result == CodeCheck(code, "registry", False, True, None, None, code[1:7])


@pytest.mark.parametrize(
    ("raw", "error_code"),
    [
        ("R440300-", "bad_length"),
        ("R440300-" + "A" * 21, "bad_length"),
        ("R440300--X", "bad_format"),
        ("R440300-X-", "bad_format"),
        ("R440300-X_1", "bad_char"),
        ("R440300-项目1", "bad_char"),
        ("R44A300-1", "bad_region"),
        ("R990300-1", "bad_region"),
        ("R4403-1", "bad_region"),
        ("R440300X1", "bad_format"),
    ],
)
def test_registry_code_invalid(raw: str, error_code: str) -> None:
    result = classify_code(raw)
    assert result.kind == "registry" and not result.valid
    assert result.error_code == error_code, result.error
    assert not is_valid_registry_code(normalize_code(raw))


def test_make_registry_code() -> None:
    assert make_registry_code("440300", "XM-1") == "R440300-XM-1"
    with pytest.raises(ValueError, match="不是省级行政区划代码"):
        make_registry_code("990300", "XM-1")


def test_unknown_length_has_no_kind() -> None:
    result = classify_code("12345")
    assert (result.kind, result.error_code, result.region_code) == (None, "bad_length", None)
    assert result.error is not None and "实为 5 位" in result.error


def test_region_code_helper() -> None:
    assert is_valid_region_code("440300") and is_valid_region_code("100000")
    assert not is_valid_region_code("990300")
    assert not is_valid_region_code("4403")
    assert not is_valid_region_code("44030\u0661")  # Arabic-Indic digit is not ASCII


# --------------------------------------------------------------------------- normalisation


def test_normalize_code_examples() -> None:
    assert normalize_code("\u3000ａｂｃ－１２３ ") == "ABC-123"
    assert normalize_code("ﬀ") == "ﬀ"  # no Unicode case-folding tricks
    assert normalize_code("") == ""


def test_normalize_text_examples() -> None:
    assert normalize_text("  深圳市\u3000腾讯（ＡＢＣ）\t\n有限公司\u00a0 ") == "深圳市 腾讯(ABC) 有限公司"
    assert normalize_text("Keep Case") == "Keep Case"
    assert normalize_text(" \u3000 ") == ""


@given(messy_text)
def test_normalize_code_idempotent(raw: str) -> None:
    once = normalize_code(raw)
    assert normalize_code(once) == once
    assert not any(0xFF01 <= ord(ch) <= 0xFF5E or ch == "\u3000" for ch in once)


@given(messy_text)
def test_normalize_text_idempotent(raw: str) -> None:
    once = normalize_text(raw)
    assert normalize_text(once) == once
    assert once == once.strip() and "  " not in once


@given(messy_text)
def test_classify_never_crashes_and_is_consistent(raw: str) -> None:
    result = classify_code(raw)
    assert result.normalized == normalize_code(raw)
    assert result.valid == (result.error_code is None) == (result.error is None)
    assert result.error_code is None or result.error_code in ERROR_CODES
    assert result.legacy == (result.kind == "regno")


# --------------------------------------------------------------------------- USCC properties


@given(prefix2, region6, body9)
def test_make_uscc_always_validates(p: str, r: str, b: str) -> None:
    code = make_uscc(p, r, b)
    assert is_valid_uscc(code)
    result = classify_code(code.lower())
    assert result.valid and result.kind == "uscc" and result.region_code == r


@given(valid_uscc, st.integers(0, 17), uscc_char)
def test_any_single_substitution_is_detected(code: str, pos: int, ch: str) -> None:
    assume(ch != code[pos])
    assert not is_valid_uscc(code[:pos] + ch + code[pos + 1 :])


@given(valid_uscc, st.integers(0, 16))
def test_adjacent_transposition_is_detected(code: str, i: int) -> None:
    assume(code[i] != code[i + 1])
    assert not is_valid_uscc(_swap(code, i, i + 1))


@given(valid_uscc, st.integers(0, 17), st.integers(0, 17))
def test_any_transposition_except_first_and_check_is_detected(code: str, i: int, j: int) -> None:
    i, j = sorted((i, j))
    assume(code[i] != code[j] and (i, j) != (0, 17))
    assert not is_valid_uscc(_swap(code, i, j))


@given(valid_uscc)
def test_swapping_position_1_with_check_char_is_not_detected(code: str) -> None:
    # Position 1 has weight 1, the same implicit weight as the check character, so this
    # particular (rare, non-adjacent) swap is invisible to the check.  Stated, not hidden.
    assume(code[0] != code[17])
    assert is_valid_uscc(_swap(code, 0, 17))


# --------------------------------------------------------------------------- regno properties


@given(valid_regno)
def test_make_regno_always_validates(code: str) -> None:
    assert is_valid_regno(code)
    assert classify_code(code).legacy


@given(valid_regno, st.integers(0, 14), st.sampled_from("0123456789"))
def test_regno_single_substitution_is_detected(code: str, pos: int, d: str) -> None:
    assume(d != code[pos])
    assert not is_valid_regno(code[:pos] + d + code[pos + 1 :])
