"""One test over every site: each fixture article and listing page through its spider,
compared with the reviewed expected JSON (regenerate: python -m tests.golden --write)."""

from __future__ import annotations

import json

import pytest

from tests.golden import KINDS, Case, cases, parse

CASES = list(cases(KINDS))


def test_every_site_has_golden_cases() -> None:
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    sites = set(SpiderLoader.from_settings(get_project_settings()).list()) - {"generic"}
    for kind in KINDS:
        covered = {case.spider for case in CASES if case.kind == kind}
        assert sites <= covered, f"sites without fixture {kind} pages: {sorted(sites - covered)}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_golden(case: Case) -> None:
    assert case.expected_path.exists(), "no expected file; run python -m tests.golden --write and review it"
    expected = json.loads(case.expected_path.read_text(encoding="utf-8"))
    assert parse(case) == expected
