"""hashrank-v1 properties: determinism, stability, quotas, fair loads, conflicts, substitution.

Two naive reference implementations written straight from DRAW.md (full sorts, full scans) pin the
fast heap-based code to the spec on random inputs.
"""

from __future__ import annotations

import copy
import math
from collections import Counter
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sampling import hashrank as hr

pytestmark = pytest.mark.pure

# Small pools keep the whole file to a few seconds; database=None keeps hypothesis from writing.
SETTINGS = settings(max_examples=100, deadline=None, database=None)

KEY_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY阳城"
LABELS = ["A", "B-一般", "C", "低风险"]
DEPARTMENTS = ["市场监督管理局", "文化和旅游局", "应急管理局"]

seeds = st.binary(min_size=32, max_size=32)
keys = st.text(alphabet=KEY_CHARS, min_size=1, max_size=5)


@st.composite
def ratios(draw: st.DrawFn) -> str:
    places = draw(st.integers(1, 4))
    numerator = draw(st.integers(1, 10**places))
    if numerator == 10**places:
        return draw(st.sampled_from(["1", "1.0", "1." + "0" * places]))
    return f"0.{numerator:0{places}d}"


@st.composite
def plans(draw: st.DrawFn) -> list[hr.Stratum]:
    labels = draw(st.lists(st.sampled_from(LABELS), min_size=1, max_size=len(LABELS), unique=True))
    return [
        hr.Stratum(label, ratio=draw(ratios()))
        if draw(st.booleans())
        else hr.Stratum(label, count=draw(st.integers(0, 8)))
        for label in labels
    ]


@st.composite
def pools(draw: st.DrawFn, plan: list[hr.Stratum], max_size: int = 40) -> list[hr.Candidate]:
    labels = [s.stratum for s in plan]
    pairs = draw(
        st.lists(st.tuples(keys, st.sampled_from(labels)), max_size=max_size, unique_by=lambda p: p[0])
    )
    return [hr.Candidate(k, s) for k, s in pairs]


@st.composite
def draws(draw: st.DrawFn) -> tuple[bytes, list[hr.Candidate], list[hr.Stratum], int]:
    plan = draw(plans())
    return draw(seeds), draw(pools(plan)), plan, draw(st.integers(0, 3))


@st.composite
def teams_setup(draw: st.DrawFn, with_conflicts: bool = True) -> dict[str, Any]:
    departments = draw(st.lists(st.sampled_from(DEPARTMENTS), min_size=1, max_size=2, unique=True))
    inspectors: list[hr.InspectorRef] = []
    requirements: list[hr.Requirement] = []
    for d, department in enumerate(departments):
        size = draw(st.integers(1, 7))
        inspectors += [hr.InspectorRef(f"{d}-{i}", department) for i in range(size)]
        requirements.append(hr.Requirement(department, draw(st.integers(1, size))))
    targets = [f"T{i:02d}" for i in range(draw(st.integers(0, 25)))]
    conflicts: list[hr.Conflict] = []
    if with_conflicts and targets:
        pairs = st.tuples(st.sampled_from([i.key for i in inspectors]), st.sampled_from(targets))
        conflicts = [hr.Conflict(i, t) for i, t in draw(st.lists(pairs, max_size=15))]
    return {
        "seed": draw(seeds),
        "targets": targets,
        "inspectors": draw(st.permutations(inspectors)),
        "requirements": draw(st.permutations(requirements)),
        "conflicts": conflicts,
    }


# --- naive references, straight from the text of DRAW.md


def naive_select(
    seed: bytes, pool: list[hr.Candidate], plan: list[hr.Stratum], reserve_size: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    allocation, chosen, spare = [], [], []
    for s in sorted(plan, key=lambda s: s.stratum.encode()):
        ranked = sorted(
            (hr.target_score(seed, c.key), c.key.encode(), c) for c in pool if c.stratum == s.stratum
        )
        n = len(ranked)
        k = min(n, math.ceil(n * Fraction(s.ratio))) if s.ratio is not None else min(n, s.count or 0)
        allocation.append({"stratum": s.stratum, "eligible": n, "selected": k})
        chosen += ranked[:k]
        spare += ranked[k : k + reserve_size]
    selected = [
        {"rank": r, "key": c.key, "stratum": c.stratum, "score": score.hex()}
        for r, (score, _, c) in enumerate(sorted(chosen), 1)
    ]
    reserve = [{"key": c.key, "stratum": c.stratum, "score": score.hex()} for score, _, c in sorted(spare)]
    return allocation, selected, reserve


def naive_assign(setup: dict[str, Any]) -> list[dict[str, Any]]:
    seed = setup["seed"]
    blocked = {(c.inspector, c.target) for c in setup["conflicts"]}
    loads = {i.key: 0 for i in setup["inspectors"]}
    result = []
    for target in setup["targets"]:
        team: list[str] = []
        for r in sorted(setup["requirements"], key=lambda r: r.department.encode()):
            candidates = [
                i.key
                for i in setup["inspectors"]
                if i.department == r.department and (i.key, target) not in blocked and i.key not in team
            ]
            candidates.sort(key=lambda k: (loads[k], hr.inspector_score(seed, loads[k], k), k.encode()))
            if len(candidates) < r.count:
                raise hr.DrawError("not_enough_inspectors", "naive")
            team += candidates[: r.count]
        for k in team:
            loads[k] += 1
        result.append({"target": target, "inspectors": team})
    return result


def assign(setup: dict[str, Any]) -> tuple[list[hr.Assignment], dict[str, int]]:
    return hr.assign_teams(
        setup["seed"], setup["targets"], setup["inspectors"], setup["requirements"], setup["conflicts"]
    )


def tally(setup: dict[str, Any], assignments: list[hr.Assignment]) -> dict[str, int]:
    """Each inspector's load recounted from the teams."""
    loads = {i.key: 0 for i in setup["inspectors"]}
    loads.update(Counter(k for a in assignments for k in a["inspectors"]))
    return loads


def as_dicts(selection: hr.Selection) -> tuple[list[dict[str, Any]], ...]:
    return (
        [a.as_dict() for a in selection.allocation],
        [t.as_dict() for t in selection.selected],
        [t.as_dict() for t in selection.reserve],
    )


# --- selection


@SETTINGS
@given(draws())
def test_select_is_deterministic_and_matches_the_spec(args: tuple[Any, ...]) -> None:
    seed, pool, plan, reserve_size = args
    first = as_dicts(hr.select(seed, pool, plan, reserve_size))
    assert first == as_dicts(hr.select(seed, list(reversed(pool)), list(reversed(plan)), reserve_size))
    assert first == naive_select(seed, pool, plan, reserve_size)


@SETTINGS
@given(draws(), st.randoms(use_true_random=False))
def test_pool_hash_ignores_input_order(args: tuple[Any, ...], rnd: Any) -> None:
    _, pool, _, _ = args
    shuffled = list(pool)
    rnd.shuffle(shuffled)
    assert hr.pool_hash(pool) == hr.pool_hash(shuffled)
    lines = hr.canonical_pool(pool).decode().split("\n")[:-1]
    assert lines == sorted(lines, key=lambda line: tuple(p.encode() for p in line.split("\t")))
    assert len(lines) == len(pool)


@SETTINGS
@given(draws(), keys, st.data())
def test_adding_a_candidate(args: tuple[Any, ...], new_key: str, data: st.DataObject) -> None:
    """What one more candidate c in stratum S can change, and what it cannot.

    - Scores depend on (seed, key) only: the others' relative order is untouched everywhere.
    - Other strata: allocation, selection and reserve are identical.
    - In S the quota k becomes k' with k <= k' <= k + 1. Every old selection stays selected, except
      that when k' == k and c is selected, exactly the last old selection of S drops out (to
      the head of S's reserve when reserve_size > 0).
    """
    seed, pool, plan, reserve_size = args
    assume(all(c.key != new_key for c in pool))
    newcomer = hr.Candidate(new_key, data.draw(st.sampled_from([s.stratum for s in plan])))
    before = hr.select(seed, pool, plan, reserve_size)
    after = hr.select(seed, [*pool, newcomer], plan, reserve_size)

    old_order = [t.key for t in before.selected]
    assert [t.key for t in after.selected if t.key != new_key and t.key in old_order] == [
        k for k in old_order if k in {t.key for t in after.selected}
    ]
    for a, b in zip(before.allocation, after.allocation, strict=True):
        if a.stratum != newcomer.stratum:
            assert a == b
            assert [t for t in before.reserve if t.stratum == a.stratum] == [
                t for t in after.reserve if t.stratum == a.stratum
            ]
            continue
        assert b.eligible == a.eligible + 1
        assert a.selected <= b.selected <= a.selected + 1
        old = [t.key for t in before.selected if t.stratum == a.stratum]
        new = {t.key for t in after.selected if t.stratum == a.stratum}
        dropped = [k for k in old if k not in new]
        if new_key in new and b.selected == a.selected and old:
            assert dropped == [old[-1]]
            if reserve_size:
                assert [t.key for t in after.reserve if t.stratum == a.stratum][0] == old[-1]
        else:
            assert dropped == []
    # Untouched strata keep their ranks relative to each other; the rank numbers may shift.
    assert {t.key for t in before.selected if t.stratum != newcomer.stratum} <= {
        t.key for t in after.selected
    }


@SETTINGS
@given(st.integers(0, 10**7), ratios(), st.integers(0, 10**7), st.booleans())
def test_quota_is_never_below_the_ratio(n: int, ratio: str, count: int, exact_product: bool) -> None:
    if exact_product:
        # n × ratio a whole number: where floating point would round 7.000000000000001 up to 8.
        n = n // 1000 * Fraction(ratio).denominator
    k = hr.quota(n, hr.Stratum("s", ratio=ratio))
    exact = n * Fraction(ratio)
    assert k >= exact  # "not less than 3 %"
    assert k - 1 < exact or k == 0  # and no more than needed
    assert 0 <= k <= n
    assert hr.quota(n, hr.Stratum("s", count=count)) == min(n, count)


@pytest.mark.parametrize(
    ("n", "ratio", "k"),
    [
        (100, "0.03", 3),
        (101, "0.03", 4),
        (80, "0.05", 4),
        (81, "0.05", 5),
        (1, "0.0001", 1),
        (0, "0.5", 0),
        (100, "0.07", 7),  # 100 * 0.07 == 7.000000000000001 in floating point
        (7, "1", 7),
        (7, "1.00", 7),
    ],
)
def test_quota_examples(n: int, ratio: str, k: int) -> None:
    assert hr.quota(n, hr.Stratum("s", ratio=ratio)) == k


# --- teams


@SETTINGS
@given(teams_setup())
def test_assignment_matches_the_spec(setup: dict[str, Any]) -> None:
    try:
        expected = naive_assign(setup)
    except hr.DrawError:
        with pytest.raises(hr.DrawError) as err:
            assign(setup)
        assert err.value.code == "not_enough_inspectors"
        return
    assignments, loads = assign(setup)
    assert assignments == expected
    assert assign(setup) == (assignments, loads)  # same inputs, same teams
    assert loads == tally(setup, assignments)


@SETTINGS
@given(teams_setup(with_conflicts=False))
def test_loads_stay_within_one_without_conflicts(setup: dict[str, Any]) -> None:
    _, loads = assign(setup)
    for department in {i.department for i in setup["inspectors"]}:
        dept_loads = [loads[i.key] for i in setup["inspectors"] if i.department == department]
        assert max(dept_loads) - min(dept_loads) <= 1


@SETTINGS
@given(teams_setup(), st.data())
def test_conflicts_and_substitutions(setup: dict[str, Any], data: st.DataObject) -> None:
    try:
        assignments, loads = assign(setup)
    except hr.DrawError:
        assume(False)
        return
    blocked = {(c.inspector, c.target) for c in setup["conflicts"]}
    department = {i.key: i.department for i in setup["inspectors"]}
    sizes = {a["target"]: len(a["inspectors"]) for a in assignments}
    recused: set[tuple[str, str]] = set()
    done: list[hr.Substitution] = []

    def check() -> None:
        for a in assignments:
            team = a["inspectors"]
            assert len(team) == sizes[a["target"]] == len(set(team))
            assert not any((k, a["target"]) in blocked for k in team)
            assert not any((k, a["target"]) in recused for k in team)
            depts = [department[k].encode() for k in team]
            assert depts == sorted(depts)  # department blocks keep their places
        assert loads == tally(setup, assignments)

    check()
    for _ in range(data.draw(st.integers(0, 6)) if assignments else 0):
        i = data.draw(st.integers(0, len(assignments) - 1))
        target = assignments[i]["target"]
        out = data.draw(st.sampled_from(assignments[i]["inspectors"]))
        before = copy.deepcopy(assignments), dict(loads)
        event = hr.SubstitutionEvent(target, out, "回避")
        try:
            (sub,) = hr.apply_substitutions(
                setup["seed"],
                assignments,
                loads,
                setup["inspectors"],
                setup["conflicts"],
                [event],
                earlier=done,
            )
        except hr.DrawError as err:
            assert err.code == "no_substitute"
            assert (assignments, loads) == before  # the team stays as it was
            continue
        recused.add((out, target))
        done.append(sub)
        assert department[sub["in"]] == department[out]
        old_team, new_team = before[0][i]["inspectors"], assignments[i]["inspectors"]
        pos = old_team.index(out)
        assert new_team == [*old_team[:pos], sub["in"], *old_team[pos + 1 :]]  # same position
        assert (loads[out], loads[sub["in"]]) == (before[1][out] - 1, before[1][sub["in"]] + 1)
        check()

    # The events applied one by one give the same result as all of them at once.
    fresh, fresh_loads = assign(setup)
    events = [hr.SubstitutionEvent(s["target"], s["out"], s["reason"]) for s in done]
    again = hr.apply_substitutions(
        setup["seed"], fresh, fresh_loads, setup["inspectors"], setup["conflicts"], events
    )
    assert (again, fresh, fresh_loads) == (done, assignments, loads)


# --- records


@SETTINGS
@given(draws(), teams_setup(), st.text(max_size=8), st.data())
def test_records_verify_and_are_deterministic(
    args: tuple[Any, ...], setup: dict[str, Any], entropy: str, data: st.DataObject
) -> None:
    seed, pool, plan, reserve_size = args
    assume("\x00" not in entropy)
    secret = seed  # any 32 bytes
    conflicts = [
        hr.Conflict(data.draw(st.sampled_from([i.key for i in setup["inspectors"]])), c.key) for c in pool[:3]
    ]
    kwargs: dict[str, Any] = {
        "task_uid": "T-1",
        "secret": secret,
        "public_entropy": entropy,
        "pool": pool,
        "strata": plan,
        "reserve_size": reserve_size,
        "inspector_pool": setup["inspectors"],
        "requirements": setup["requirements"],
        "conflicts": conflicts,
    }
    try:
        record = hr.run_draw(**kwargs)
    except hr.DrawError as err:
        assert err.code == "not_enough_inspectors"
        return
    assert record == hr.run_draw(**kwargs)
    assert hr.verify(record) == []
    assert hr.verify(hr.public_record(record)) == []
    assert [a["target"] for a in record["assignments"]] == [t["key"] for t in record["selected"]]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
RECORD = hr.run_draw(
    task_uid="T-1",
    secret=bytes(32),
    public_entropy="",
    pool=[hr.Candidate(f"K{i}", "AB"[i % 2]) for i in range(30)],
    strata=[hr.Stratum("A", ratio="0.2"), hr.Stratum("B", count=2)],
    reserve_size=1,
    inspector_pool=[hr.InspectorRef(f"I{i}", "d") for i in range(5)],
    requirements=[hr.Requirement("d", 2)],
    conflicts=[hr.Conflict("I1", "K1")],
)


@SETTINGS
@given(json_values)
def test_verify_never_raises_on_junk(junk: Any) -> None:
    problems = hr.verify(junk)
    assert problems and all(isinstance(p, str) for p in problems)


@SETTINGS
@given(st.sampled_from(sorted(RECORD)), json_values)
def test_verify_never_raises_on_a_damaged_record(name: str, junk: Any) -> None:
    record = copy.deepcopy(RECORD)
    record[name] = junk
    problems = hr.verify(record)
    assert all(isinstance(p, str) for p in problems)
    # Conflicts and exclusions are inputs that may change without changing any result.
    if junk != RECORD[name] and name not in ("conflicts", "excluded"):
        assert problems
