"""The front door: a dashboard page and its API twin ask the same core question
(`registry.compat`) with the same typed arguments, and a model's or a device's page judges
its fit once (it asked the engine twice or four times before: a count, then a page of
fitting rows, then a page of the others)."""
from __future__ import annotations

import html as html_lib
import re

import pytest

from tinyreg.registry.compat.engine import Engine

from .test_dashboard import page

pytestmark = pytest.mark.stores("embedded")

# The engine's questions over a whole row or column of the fleet.
_FLEET_QUESTIONS = [name for name in ("verdicts", "outcomes", "matrix") if hasattr(Engine, name)]


@pytest.fixture
def engine_asked(monkeypatch) -> list[str]:
    """The fleet questions put to the engine, outermost calls only (one may ask another)."""
    asked, depth = [], [0]
    for name in _FLEET_QUESTIONS:
        def counting(self, *args, _real=getattr(Engine, name), _name=name, **kwargs):
            if depth[0] == 0:
                asked.append(_name)
            depth[0] += 1
            try:
                return _real(self, *args, **kwargs)
            finally:
                depth[0] -= 1
        monkeypatch.setattr(Engine, name, counting)
    return asked


def _rows(html: str) -> list[str]:
    """The names in a page's match table, in order."""
    return [html_lib.unescape(name) for name in re.findall(
        r'<tr class="(?:fit|misfit|unknown)"><td><a href="[^"]+">([^<]+)</a>', html)]


@pytest.mark.parametrize("url, twin, says", [
    ("/models/kws-tiny", "/api/models/kws-tiny/devices", "devices can run it"),
    ("/devices/arduino-nano-33-ble-sense", "/api/devices/arduino-nano-33-ble-sense/models",
     "model versions fit it"),
])
def test_a_page_judges_its_fit_once_and_says_what_its_api_twin_says(client, engine_asked, url,
                                                                     twin, says):
    html = page(client, url)
    assert len(engine_asked) == 1, engine_asked
    answer = client.get(twin, query_string={"explain": "1", "limit": 100}).get_json()
    assert f"{answer['fitting']} of {answer['total']} {says}" in html
    rows, names = _rows(html), [r["name"] or r["id"] for r in answer["items"]]
    shown = min(len(rows), len(names))
    assert shown >= 1 and rows[:shown] == names[:shown]
