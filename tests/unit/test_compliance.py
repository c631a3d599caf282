"""The compliance table (core/compliance.py) and its evaluators."""

from __future__ import annotations

from collections import Counter

from alpr_desktop.core.compliance import (
    REQUIREMENTS,
    Source,
    Status,
    by_source,
    check_keys,
    summary,
)
from alpr_desktop.services.compliance import EVALUATORS

#: Pages a requirement may link to: the main window's, landed or still to come.
KNOWN_PAGES = {
    "",
    "alerts",
    "audit",
    "audit_report",
    "policy",
    "releases",
    "retention",
    "settings",
    "users",
}


def test_every_clause_is_unique() -> None:
    clauses = Counter(r.clause for r in REQUIREMENTS)
    assert [c for c, n in clauses.items() if n > 1] == []
    assert len({r.text for r in REQUIREMENTS}) == len(REQUIREMENTS)


def test_every_check_key_has_an_evaluator_and_every_evaluator_a_row() -> None:
    assert check_keys() - set(EVALUATORS) == set()
    assert set(EVALUATORS) - check_keys() == set()


def test_clauses_belong_to_their_source_and_pages_are_known() -> None:
    for requirement in REQUIREMENTS:
        prefix = "471." if requirement.source is Source.POLICY else "1798.90.5"
        assert requirement.clause.startswith(prefix), requirement
        assert requirement.page in KNOWN_PAGES, requirement
        assert requirement.text.endswith("."), requirement


def test_both_sources_and_each_statute_section_are_covered() -> None:
    grouped = by_source()
    assert [r.clause for r in grouped[Source.POLICY]][:2] == ["471.3", "471.3.1(a)"]
    statute = {r.clause.split("(")[0] for r in grouped[Source.STATUTE]}
    # 1798.90.54 (a right to sue) asks nothing of the department.
    assert statute == {"1798.90.51", "1798.90.52", "1798.90.53", "1798.90.55"}
    policy = {r.clause for r in grouped[Source.POLICY]}
    for clause in ("471.3.1(e)", "471.3.1(g)", "471.4(d)", "471.5", "471.6(c)", "471.7(b)"):
        assert clause in policy


def test_summary_counts_and_words() -> None:
    statuses = [Status.MET] * 12 + [Status.ATTENTION] * 3 + [Status.NOT_MET]
    assert summary(statuses) == "12 met, 3 need attention, 1 not met"
    assert summary([Status.ATTENTION, Status.PROCEDURE]) == (
        "0 met, 1 needs attention, 0 not met, 1 by procedure"
    )
    assert Status.NOT_MET.label == "Not met"
