"""Masks for published fields (tenancy.masks): the public form of a name, an ID, a phone, an address."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenancy import masks
from tenancy.masks import address_detail, id_number, person_name, phone, withheld

pytestmark = pytest.mark.pure


@pytest.mark.parametrize(
    ("raw", "public"),
    [
        ("张三", "张*"),
        ("张三丰", "张**"),
        ("王小明", "王**"),
        ("欧阳修文", "欧阳**"),
        ("司马光", "司马*"),
        ("欧阳", "欧*"),  # two characters: the second is the given name
        ("阿卜杜拉·艾买提", "阿***·***"),
        (" 李四 ", "李*"),
        ("张", "张"),
        ("", ""),
        (None, None),
    ],
)
def test_a_name_keeps_its_surname(raw, public):
    assert person_name(raw) == public


@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=2, max_size=6))
def test_a_chinese_name_shows_one_star_per_hidden_character(name):
    public = person_name(name)
    kept = 2 if name[:2] in masks.COMPOUND_SURNAMES and len(name) > 2 else 1
    assert public == name[:kept] + "*" * (len(name) - kept)


@pytest.mark.parametrize(
    ("raw", "public"),
    [
        ("140522199003071234", "1405221990****1234"),
        ("14052219900307123x", "1405221990****123X"),
        ("1405 2219 9003 0712 34", "1405221990****1234"),
        ("140522900307123", "140522******123"),  # the 15-digit form: the YYMMDD birth hidden
        ("E12345678", "E1*****78"),  # a passport: first and last two
        ("AB12", "****"),
        ("", ""),
        (None, None),
    ],
)
def test_an_id_number_hides_the_birthday(raw, public):
    assert id_number(raw) == public


@given(st.from_regex(r"\A[0-9]{6}(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9])[0-9]{3}[0-9X]\Z"))
def test_an_id_number_never_shows_month_and_day(number):
    public = id_number(number)
    assert len(public) == 18
    assert public[:10] == number[:10] and public[-4:] == number[-4:]
    assert public[10:14] == "****"


@pytest.mark.parametrize(
    ("raw", "public"),
    [
        ("13800138000", "138****8000"),
        ("138 0013 8000", "138****8000"),
        ("+86 138-0013-8000", "138****8000"),
        ("8613800138000", "138****8000"),
        ("１３８００１３８０００", "138****8000"),
        ("0356-4221234", "0356-*****34"),
        ("（0356）4221234", "0356-*****34"),
        ("010 12345678", "010-******78"),
        ("+86 356 4221234", "0356-*****34"),
        ("0356-4221234 转 123", "0356-*****34"),  # the extension is dropped
        ("400-123-4567", "********67"),
        ("12345", "***45"),
        ("1234", "****"),
        ("电话：见附件", "****"),
        ("", ""),
        (None, None),
    ],
)
def test_a_phone_keeps_little(raw, public):
    assert phone(raw) == public


@given(st.from_regex(r"\A1[3-9][0-9]{9}\Z"))
def test_a_mobile_number_hides_its_middle_four(number):
    assert phone(number) == number[:3] + "****" + number[-4:]


@pytest.mark.parametrize(
    ("raw", "public"),
    [
        ("山西省阳城县凤城镇新阳东街12号", "山西省阳城县凤城镇****"),
        ("山西省晋城市阳城县凤城镇新阳东街12号3单元501室", "山西省晋城市阳城县凤城镇****"),
        ("北京市朝阳区建国路88号", "北京市朝阳区****"),
        ("阳城县凤城镇市场路5号", "阳城县凤城镇****"),  # 市 in a street name is no city
        ("晋城市城区西街街道凤台东街1号", "晋城市城区西街街道****"),
        ("晋城市高平市米山镇东关村3组", "晋城市高平市米山镇****"),
        ("内蒙古自治区呼和浩特市新城区海东路9号", "内蒙古自治区呼和浩特市新城区****"),
        ("河北省曲阳县", "河北省曲阳县"),  # nothing below the county: nothing to hide
        ("新阳东街12号", "****"),  # no division starts it: hidden whole
        ("", ""),
        (None, None),
    ],
)
def test_an_address_keeps_its_divisions(raw, public):
    assert address_detail(raw) == public


@given(st.text(max_size=40))
def test_masks_take_any_text_and_hide_at_least_part_of_it(text):
    for mask in (person_name, id_number, phone, address_detail, withheld):
        assert isinstance(mask(text), str)
    if len(text.strip()) >= 2:
        assert "*" in id_number(text) and "*" in phone(text)
        name = person_name(text)
        assert name[0] == text.strip()[0] and all(c == "*" or c in masks.NAME_SEPARATORS for c in name[2:])


def test_withheld_hides_everything_but_emptiness():
    assert [withheld(v) for v in ("商业秘密", 12, None, "")] == ["****", "****", None, ""]
