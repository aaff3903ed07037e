"""However the upstream's bytes are cut, the client gets the same stream."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amux_tui.proxy.protocols import translate

from test_proxy_translate_golden import SCENARIOS, clients_for, load, observed, upstream_bytes  # noqa: E402


@pytest.fixture(autouse=True)
def no_safety_net(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(translate, "SAFETY_NET", False)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.floats(min_value=0, max_value=1), max_size=12))
def test_any_split_gives_the_golden_stream(path, cuts: list[float]) -> None:
    scenario = load(path)
    raw = upstream_bytes(scenario)
    points = sorted({int(c * len(raw)) for c in cuts})
    chunks = [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)])]
    for client in clients_for(scenario):
        assert observed(scenario, client, chunks) == scenario["expected"][client]
