"""The fault campaign (tests/fixtures/faults.py): a fixture portal crawled six times, with every
fault type injected across the runs, records no falsehood. The figures are in docs/reliability.md."""

from __future__ import annotations

from tests.fixtures.faults import CAMPAIGN, Fault, run_campaign


def test_fault_campaign_records_no_falsehood(db_url: str) -> None:
    result = run_campaign(db_url)
    print(result.table())
    assert set(result.injected) >= set(Fault) - {Fault.SLOW}, "every fault type was served"
    assert result.runs_survived == result.runs_started == len(CAMPAIGN), result.failures
    assert result.versions_wrongly_created == 0
    assert result.articles_wrongly_gone == 0
    assert result.articles_lost == result.articles_blanked == 0
