from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.surveys.conftest import survey, wave  # noqa: F401 (fixtures shared with surveys)

from .receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver("webhook") as server:
        yield server


@pytest.fixture
def slack() -> Iterator[Receiver]:
    with Receiver("slack") as server:
        yield server


@pytest.fixture
def teams() -> Iterator[Receiver]:
    with Receiver("teams") as server:
        yield server


@pytest.fixture
def chatwork(settings) -> Iterator[Receiver]:
    with Receiver("chatwork") as server:
        settings.CHATWORK_API_BASE = server.base_url + "/v2"
        yield server
