"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.test_service import Service


@pytest.fixture
def services() -> Iterator[list[Service]]:
    """Crawl services a test starts (``portal-archive schedule`` processes), killed at its end."""
    started: list[Service] = []
    yield started
    for service in started:
        service.kill()
