"""hashrank-v1 conformance: every field of every worked vector, verification, refusals, CLI."""

from __future__ import annotations

import copy
import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sampling import hashrank as hr

pytestmark = pytest.mark.pure

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "hashrank_vectors.json"
SHARED = Path("/work/shared/spec/vectors.json")
CASES: list[dict[str, Any]] = json.loads(FIXTURE.read_text(encoding="utf-8"))
TEAM_CASES = [c for c in CASES if "inspector_pool" in c]
INPUT_FIELDS = {
    "name",
    "spec",
    "task_uid",
    "secret",
    "public_entropy",
    "pool",
    "excluded",
    "strata",
    "reserve_size",
    "inspector_pool",
    "requirements",
    "conflicts",
}


def ids(cases: list[dict[str, Any]]) -> list[str]:
    return [c["name"] for c in cases]


def inputs_of(case: dict[str, Any]) -> dict[str, Any]:
    """The vector case without its outputs (a substitution's ``in`` is an output too)."""
    inputs = {k: v for k, v in case.items() if k in INPUT_FIELDS}
    if "substitutions" in case:
        inputs["substitutions"] = [{k: v for k, v in s.items() if k != "in"} for s in case["substitutions"]]
    return inputs


@pytest.fixture(params=CASES, ids=ids(CASES))
def case(request: pytest.FixtureRequest) -> dict[str, Any]:
    return copy.deepcopy(request.param)


@pytest.fixture(params=TEAM_CASES, ids=ids(TEAM_CASES))
def team_case(request: pytest.FixtureRequest) -> dict[str, Any]:
    return copy.deepcopy(request.param)


def test_fixture_has_cases_with_and_without_teams() -> None:
    assert len(CASES) >= 4
    assert TEAM_CASES and len(TEAM_CASES) < len(CASES)


def test_fixture_equals_shared_spec_vectors() -> None:
    if not SHARED.exists():
        pytest.skip("shared spec vectors not present")
    assert json.loads(SHARED.read_text(encoding="utf-8")) == CASES


# --- every field, step by step through the public API


def test_commitment_and_seed(case: dict[str, Any]) -> None:
    secret = bytes.fromhex(case["secret"])
    assert hr.commitment_of(secret) == case["commitment"]
    assert hr.derive_seed(secret, case["public_entropy"], case["task_uid"]).hex() == case["seed"]


def test_pool_hash(case: dict[str, Any]) -> None:
    pool = [hr.Candidate(c["key"], c["stratum"]) for c in case["pool"]]
    assert hr.pool_hash(pool) == case["pool_hash"]
    assert hr.pool_hash(list(reversed(pool))) == case["pool_hash"]  # order of the input is irrelevant


def test_selection(case: dict[str, Any]) -> None:
    seed = bytes.fromhex(case["seed"])
    pool = [hr.Candidate(c["key"], c["stratum"]) for c in case["pool"]]
    strata = [hr.Stratum(s["stratum"], ratio=s.get("ratio"), count=s.get("count")) for s in case["strata"]]
    selection = hr.select(seed, pool, strata, case["reserve_size"])
    assert [a.as_dict() for a in selection.allocation] == case["allocation"]
    assert [t.as_dict() for t in selection.selected] == case["selected"]
    assert [t.as_dict() for t in selection.reserve] == case["reserve"]
    for t in selection.selected:
        assert hr.target_score(seed, t.key).hex() == t.score


def test_teams_and_substitutions(team_case: dict[str, Any]) -> None:
    seed = bytes.fromhex(team_case["seed"])
    inspectors = [hr.InspectorRef(i["key"], i["department"]) for i in team_case["inspector_pool"]]
    requirements = [hr.Requirement(r["department"], r["count"]) for r in team_case["requirements"]]
    conflicts = [hr.Conflict(c["inspector"], c["target"]) for c in team_case["conflicts"]]
    events = [hr.SubstitutionEvent(s["target"], s["out"], s["reason"]) for s in team_case["substitutions"]]
    keys = [t["key"] for t in team_case["selected"]]
    assignments, loads = hr.assign_teams(seed, keys, inspectors, requirements, conflicts)
    before = copy.deepcopy(assignments)
    subs = hr.apply_substitutions(seed, assignments, loads, inspectors, conflicts, events)
    assert subs == team_case["substitutions"]
    # The vectors record the teams after every substitution...
    assert assignments == team_case["assignments"]
    assert before != team_case["assignments"]
    # ...and each substitute sits where the inspector it replaced sat.
    for s in subs:
        i = next(i for i, a in enumerate(before) if a["target"] == s["target"])
        pos = before[i]["inspectors"].index(s["out"])
        before[i]["inspectors"][pos] = s["in"]
    assert before == assignments
    assert sum(loads.values()) == sum(len(a["inspectors"]) for a in assignments)


def test_team_members_listed_in_byte_wise_department_order(team_case: dict[str, Any]) -> None:
    department = {i["key"]: i["department"] for i in team_case["inspector_pool"]}
    for a in team_case["assignments"]:
        depts = [department[k].encode("utf-8") for k in a["inspectors"]]
        assert depts == sorted(depts)


def test_build_record_reproduces_every_field(case: dict[str, Any]) -> None:
    record = hr.build_record(inputs_of(case))
    for name, value in case.items():
        if name != "name":
            assert record[name] == value, name


def test_record_has_the_spec_fields_in_order(case: dict[str, Any]) -> None:
    record = hr.build_record(inputs_of(case))
    assert list(record) == [
        "spec",
        "task_uid",
        "commitment",
        "secret",
        "public_entropy",
        "seed",
        "pool_hash",
        "pool",
        "excluded",
        "strata",
        "reserve_size",
        "allocation",
        "selected",
        "reserve",
        "inspector_pool",
        "requirements",
        "conflicts",
        "assignments",
        "substitutions",
    ]
    json.dumps(record)  # plain JSON data


# --- verification


def test_verify_accepts_vector_and_built_record(case: dict[str, Any]) -> None:
    assert hr.verify(case) == []
    assert hr.verify(hr.build_record(inputs_of(case))) == []


def test_verify_accepts_public_record(case: dict[str, Any]) -> None:
    public = hr.public_record(hr.build_record(inputs_of(case)))
    assert "inspector_pool" not in public and "conflicts" not in public
    assert all(set(a) == {"target"} for a in public["assignments"])
    assert all(set(s) == {"target", "reason"} for s in public["substitutions"])
    assert hr.verify(public) == []


def _swap_ranks(r: dict[str, Any]) -> None:
    r["selected"][0]["rank"], r["selected"][1]["rank"] = r["selected"][1]["rank"], r["selected"][0]["rank"]


def _swap_selected(r: dict[str, Any]) -> None:
    r["selected"][0], r["selected"][1] = r["selected"][1], r["selected"][0]


TAMPERS = {
    "pool key changed": (lambda r: r["pool"][0].update(key=r["pool"][0]["key"] + "X"), "pool_hash"),
    "secret changed": (lambda r: r.update(secret="ff" * 32), "commitment"),
    "public_entropy changed": (lambda r: r.update(public_entropy=r["public_entropy"] + "1"), "seed"),
    "seed changed": (lambda r: r.update(seed="00" * 32), "seed"),
    "selected rank swapped": (_swap_ranks, "selected"),
    "selected order swapped": (_swap_selected, "selected"),
    "selected score changed": (lambda r: r["selected"][0].update(score="00" * 32), "selected"),
    "allocation changed": (
        lambda r: r["allocation"][0].update(selected=r["allocation"][0]["selected"] + 1),
        "allocation",
    ),
    "strata ratio changed": (lambda r: r["strata"][0].update(ratio="1", count=None), "allocation"),
    "reserve_size changed": (lambda r: r.update(reserve_size=r["reserve_size"] + 1), "reserve"),
    "rank as float": (lambda r: r["selected"][0].update(rank=1.0), "selected"),
}
TEAM_TAMPERS = {
    "substitution in changed": (
        lambda r: r["substitutions"][0].update({"in": r["substitutions"][1]["out"]}),
        "substitutions",
    ),
    "assignment changed": (
        lambda r: r["assignments"][1].update(inspectors=list(reversed(r["assignments"][1]["inspectors"]))),
        "assignments",
    ),
    "assignment member replaced": (
        lambda r: r["assignments"][0]["inspectors"].__setitem__(0, "X"),
        "assignments",
    ),
    "conflict added": (
        lambda r: r["conflicts"].append(
            {"inspector": r["assignments"][1]["inspectors"][0], "target": r["assignments"][1]["target"]}
        ),
        "assignments",
    ),
    # A dropped event shows in the teams, which still carry its substitute.
    "substitution dropped": (lambda r: r["substitutions"].pop(), "assignments"),
}


@pytest.mark.parametrize("tamper", list(TAMPERS), ids=list(TAMPERS))
def test_verify_reports_tampering(case: dict[str, Any], tamper: str) -> None:
    mutate, field = TAMPERS[tamper]
    record = hr.build_record(inputs_of(case))
    mutate(record)
    problems = hr.verify(record)
    assert problems and any(p.startswith(field) for p in problems), problems
    # The public variant catches every tampering of what it still contains.
    assert hr.verify(hr.public_record(record))


@pytest.mark.parametrize("tamper", list(TEAM_TAMPERS), ids=list(TEAM_TAMPERS))
def test_verify_reports_team_tampering(team_case: dict[str, Any], tamper: str) -> None:
    mutate, field = TEAM_TAMPERS[tamper]
    record = hr.build_record(inputs_of(team_case))
    mutate(record)
    problems = hr.verify(record)
    assert problems and any(p.startswith(field) for p in problems), problems


def test_verify_public_record_tampering(team_case: dict[str, Any]) -> None:
    public = hr.public_record(hr.build_record(inputs_of(team_case)))
    dropped = copy.deepcopy(public)
    dropped["assignments"].pop()
    assert any(p.startswith("assignments") for p in hr.verify(dropped))
    foreign = copy.deepcopy(public)
    foreign["substitutions"][0]["target"] = "not-selected"
    assert any(p.startswith("substitutions[0]") for p in hr.verify(foreign))
    named = copy.deepcopy(public)
    named["substitutions"][0]["in"] = "WL-001"
    assert hr.verify(named)


def test_verify_lists_every_problem() -> None:
    record = hr.build_record(inputs_of(TEAM_CASES[0]))
    record["commitment"] = "00" * 32
    _swap_ranks(record)
    record["substitutions"][0]["in"] = "nobody"
    problems = hr.verify(record)
    for field in ("commitment", "selected", "substitutions"):
        assert any(p.startswith(field) for p in problems), (field, problems)


MALFORMED: list[Any] = [
    None,
    [],
    "record",
    {},
    {"spec": "hashrank-v1"},
    {"pool": "x", "strata": 3, "secret": 12, "seed": None},
    {"pool": [1, 2], "secret": "zz", "task_uid": ["x"], "public_entropy": {}},
    {"pool": [{"key": ["a"], "stratum": {"b": 1}}], "strata": [{"stratum": "a"}]},
    {"pool": [{"key": "a\x00", "stratum": "s"}], "strata": [{"stratum": "s", "ratio": 0.5}]},
    {"strata": [{"stratum": "s", "ratio": "0.5", "count": 2}], "reserve_size": True},
    {"inspector_pool": 5, "requirements": [{"department": 1, "count": "2"}], "conflicts": [[1]]},
    {"inspector_pool": [], "substitutions": [None], "assignments": {"a": 1}},
    {"assignments": [{"target": "t", "inspectors": ["x"]}], "substitutions": "s"},
]


@pytest.mark.parametrize("record", MALFORMED, ids=[str(i) for i in range(len(MALFORMED))])
def test_verify_never_raises(record: Any) -> None:
    problems = hr.verify(record)
    assert problems and all(isinstance(p, str) for p in problems)


def test_verify_tolerates_malformed_parts_of_a_real_record(team_case: dict[str, Any]) -> None:
    base = hr.build_record(inputs_of(team_case))
    for name in list(base):
        for junk in (None, 0, "x", [None], [{}], {"k": []}, [[1]], True):
            if junk == base[name] and type(junk) is type(base[name]):
                continue
            record = dict(base)
            record[name] = junk
            problems = hr.verify(record)
            assert problems and all(isinstance(p, str) for p in problems), (name, junk)
        record = dict(base)
        del record[name]
        if name != "excluded":  # absent exclusions mean none
            assert hr.verify(record), name


# --- refusals


def _draw(**overrides: Any) -> dict[str, Any]:
    inputs = inputs_of(TEAM_CASES[0])
    inputs.update(overrides)
    return hr.build_record(inputs)


@pytest.mark.parametrize(
    ("pool", "code"),
    [
        ([{"key": "a\x00b", "stratum": "hotel"}], "invalid_text"),
        ([{"key": "a\tb", "stratum": "hotel"}], "invalid_text"),
        ([{"key": "a\nb", "stratum": "hotel"}], "invalid_text"),
        ([{"key": "", "stratum": "hotel"}], "invalid_text"),
        ([{"key": "a\ud800", "stratum": "hotel"}], "invalid_text"),
        ([{"key": "a", "stratum": "ho\ttel"}], "invalid_text"),
        ([{"key": 7, "stratum": "hotel"}], "invalid_text"),
        ([{"key": "a", "stratum": "hotel"}, {"key": "a", "stratum": "travel-agency"}], "duplicate_key"),
        ([{"key": "a", "stratum": "museum"}], "unknown_stratum"),
        ([{"key": "a"}], "missing_field"),
    ],
)
def test_pool_refusals(pool: list[dict[str, Any]], code: str) -> None:
    with pytest.raises(hr.DrawError) as err:
        _draw(pool=pool)
    assert err.value.code == code
    assert str(err.value)


@pytest.mark.parametrize(
    "ratio", ["0", "0.0", "1.5", "2", ".5", "0.5e0", " 0.1", "0.1 ", "-0.1", "٠.٥", "", "1/2"]
)
def test_ratio_refusals(ratio: str) -> None:
    with pytest.raises(hr.DrawError) as err:
        hr.Stratum("s", ratio=ratio)
    assert err.value.code == "invalid_ratio"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"ratio": 0.03}, "invalid_ratio"),
        ({}, "invalid_stratum"),
        ({"ratio": "0.1", "count": 1}, "invalid_stratum"),
        ({"count": -1}, "invalid_count"),
        ({"count": True}, "invalid_count"),
        ({"count": 1.0}, "invalid_count"),
    ],
)
def test_stratum_refusals(kwargs: dict[str, Any], code: str) -> None:
    with pytest.raises(hr.DrawError) as err:
        hr.Stratum("s", **kwargs)
    assert err.value.code == code


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"task_uid": "a\x00b"}, "invalid_text"),
        ({"public_entropy": "\x00"}, "invalid_text"),
        ({"secret": "00" * 31}, "invalid_secret"),
        ({"secret": "AB" * 32}, "invalid_secret"),
        ({"reserve_size": -1}, "invalid_reserve_size"),
        (
            {"strata": [{"stratum": "hotel", "count": 1}, {"stratum": "hotel", "count": 2}]},
            "duplicate_stratum",
        ),
        ({"excluded": [{"key": "91140522000005000L", "reason": "closed"}]}, "excluded_in_pool"),
        ({"requirements": [{"department": "文化和旅游局", "count": 0}]}, "invalid_requirement"),
        ({"requirements": [{"department": "文化和旅游局", "count": 1}] * 2}, "duplicate_department"),
        ({"requirements": [{"department": "文化和旅游局", "count": 7}]}, "not_enough_inspectors"),
        ({"requirements": [{"department": "公安局", "count": 1}]}, "not_enough_inspectors"),
        ({"inspector_pool": [{"key": "WL-001", "department": "a"}] * 2}, "duplicate_key"),
        ({"conflicts": [{"inspector": "WL-001\n", "target": "x"}]}, "invalid_text"),
        ({"substitutions": [{"target": "nope", "out": "WL-001", "reason": ""}]}, "unknown_target"),
        ({"substitutions": [{"target": "911405220000050067", "out": "WL-001", "reason": ""}]}, "not_on_team"),
        (
            {"substitutions": [{"target": "911405220000050067", "out": "SJ-003", "reason": "\x00"}]},
            "invalid_text",
        ),
        ({"spec": "hashrank-v2"}, "invalid_input"),
        ({"pool": {"key": "a"}}, "invalid_input"),
    ],
)
def test_draw_refusals(overrides: dict[str, Any], code: str) -> None:
    with pytest.raises(hr.DrawError) as err:
        _draw(**overrides)
    assert err.value.code == code, err.value


def test_excluded_candidates_are_recorded() -> None:
    record = _draw(excluded=[{"key": "91140522000009999X", "reason": "注销"}])
    assert record["excluded"] == [{"key": "91140522000009999X", "reason": "注销"}]
    assert hr.verify(record) == []
    record["excluded"].append({"key": record["pool"][0]["key"], "reason": "x"})
    assert any(p.startswith("excluded") for p in hr.verify(record))


def test_no_substitute_leaves_teams_untouched() -> None:
    case = TEAM_CASES[0]
    seed = bytes.fromhex(case["seed"])
    # Two inspectors of one department, teams of two: nobody is left to step in.
    inspectors = [hr.InspectorRef("A", "d"), hr.InspectorRef("B", "d")]
    assignments, loads = hr.assign_teams(seed, ["t1", "t2"], inspectors, [hr.Requirement("d", 2)], [])
    before = (copy.deepcopy(assignments), dict(loads))
    events = [hr.SubstitutionEvent("t1", "A", "病假")]
    with pytest.raises(hr.DrawError) as err:
        hr.apply_substitutions(seed, assignments, loads, inspectors, [], events)
    assert err.value.code == "no_substitute"
    assert err.value.details["target"] == "t1"
    assert (assignments, loads) == before


def test_a_failing_event_rolls_back_earlier_ones() -> None:
    seed = bytes(32)
    inspectors = [hr.InspectorRef(k, "d") for k in "ABC"]
    assignments, loads = hr.assign_teams(seed, ["t1"], inspectors, [hr.Requirement("d", 2)], [])
    before = (copy.deepcopy(assignments), dict(loads))
    first, second = assignments[0]["inspectors"]
    events = [hr.SubstitutionEvent("t1", first, "回避"), hr.SubstitutionEvent("t1", second, "回避")]
    with pytest.raises(hr.DrawError):
        hr.apply_substitutions(seed, assignments, loads, inspectors, [], events)
    assert (assignments, loads) == before


def test_recused_inspector_never_returns_to_the_target() -> None:
    seed = bytes(32)
    inspectors = [hr.InspectorRef(k, "d") for k in "ABC"]
    events = []
    for other_seed in range(256):  # find a seed where the recused inspector would otherwise return
        seed = bytes([other_seed]) * 32
        assignments, loads = hr.assign_teams(seed, ["t1"], inspectors, [hr.Requirement("d", 1)], [])
        first = assignments[0]["inspectors"][0]
        events = [hr.SubstitutionEvent("t1", first, "回避")]
        second = hr.apply_substitutions(seed, assignments, loads, inspectors, [], events)[0]["in"]
        later = [hr.SubstitutionEvent("t1", second, "病假")]
        forgetful = hr.apply_substitutions(
            seed, copy.deepcopy(assignments), dict(loads), inspectors, [], later
        )
        if forgetful[0]["in"] == first:
            break
    else:
        pytest.fail("no seed exercises the recusal rule")
    assignments, loads = hr.assign_teams(seed, ["t1"], inspectors, [hr.Requirement("d", 1)], [])
    both = hr.apply_substitutions(
        seed, copy.deepcopy(assignments), dict(loads), inspectors, [], events + later
    )
    assert both[1]["in"] not in (first, second)
    # Applying the events one call at a time gives the same result when earlier ones are passed on.
    done = hr.apply_substitutions(seed, assignments, loads, inspectors, [], events)
    assert hr.apply_substitutions(seed, assignments, loads, inspectors, [], later, earlier=done) == both[1:]


def test_draw_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        hr.Stratum("s")


def test_draw_error_survives_pickling() -> None:
    err = hr.DrawError("no_substitute", "nobody left", target="t1")
    again = pickle.loads(pickle.dumps(err))
    assert (again.code, str(again), again.details) == ("no_substitute", "nobody left", {"target": "t1"})
    assert str(type(err)(*err.args)) == "nobody left"  # how Celery rebuilds an exception


# --- command line


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sampling.hashrank", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


def test_cli_round_trip(tmp_path: Path) -> None:
    case = TEAM_CASES[-1]
    inputs = tmp_path / "inputs.json"
    inputs.write_text(json.dumps(inputs_of(case), ensure_ascii=False), encoding="utf-8")
    run = _cli("run", str(inputs))
    assert run.returncode == 0, run.stderr
    record = json.loads(run.stdout)
    assert {k: v for k, v in record.items() if k in case} == {k: v for k, v in case.items() if k != "name"}

    path = tmp_path / "record.json"
    path.write_text(run.stdout, encoding="utf-8")
    ok = _cli("verify", str(path))
    assert (ok.returncode, ok.stdout) == (0, "verified\n")

    record["selected"][0]["rank"] = 2
    record["secret"] = "ff" * 32
    bad = _cli("verify", "-", stdin=json.dumps(record, ensure_ascii=False))
    assert bad.returncode == 1
    lines = bad.stdout.splitlines()
    assert "verified" not in lines
    assert any(line.startswith("commitment") for line in lines)
    assert any(line.startswith("selected[0]") for line in lines)


def test_cli_public_and_errors(tmp_path: Path) -> None:
    case = TEAM_CASES[0]
    public = _cli("run", "--public", "-", stdin=json.dumps(inputs_of(case), ensure_ascii=False))
    assert public.returncode == 0, public.stderr
    assert "inspector_pool" not in json.loads(public.stdout)
    assert _cli("verify", "-", stdin=public.stdout).stdout == "verified\n"

    refused = _cli("run", "-", stdin=json.dumps(dict(inputs_of(case), reserve_size=-1)))
    assert refused.returncode == 1 and "invalid_reserve_size" in refused.stderr
    garbage = _cli("verify", "-", stdin="{not json")
    assert garbage.returncode == 1 and garbage.stdout.startswith("cannot read")
    missing = _cli("verify", str(tmp_path / "missing.json"))
    assert missing.returncode == 1
