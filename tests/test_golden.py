"""One test over every site: each fixture article and listing page through its spider,
compared with the reviewed expected JSON (regenerate: python -m tests.golden --write)."""

from __future__ import annotations

import json

import pytest

from tests.golden import KINDS, Case, cases, parse

CASES = list(cases(KINDS))


def test_every_family_has_golden_cases() -> None:
    """Per-family fixtures, not per-site ones: a site that is only a registry entry has none, but
    every family a registered site runs has fixture article and listing pages (the registry's generic entries run
    the generic spider, whose own fixtures are under tests/fixtures/sites/generic)."""
    from scrapy.spiderloader import get_spider_loader
    from scrapy.utils.project import get_project_settings

    loader = get_spider_loader(get_project_settings())
    families = {loader.load(name).family for name in loader.list()} - {"generic"}
    for kind in KINDS:
        covered = {loader.load(case.spider).family for case in CASES if case.kind == kind}
        assert families <= covered, f"families without fixture {kind} pages: {sorted(families - covered)}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_golden(case: Case) -> None:
    assert case.expected_path.exists(), "no expected file; run python -m tests.golden --write and review it"
    expected = json.loads(case.expected_path.read_text(encoding="utf-8"))
    assert parse(case) == expected
