"""A model's page as a model card: its prose, its versions side by side with the figures
that changed marked, its lineage, and the same comparison as JSON."""
from __future__ import annotations

import re

import pytest

from tinyreg.registry.models import register_model
from tinyreg.registry.tflite import writer

from .test_dashboard import page

# The page renders what the API answers; the versions' query reads each version's graph,
# which tests/models holds to every store.
pytestmark = pytest.mark.stores("embedded")

CARD = {"name": "Lineage demo", "model": "lineage-demo", "task": "keyword-spotting",
        "description": "Spots one word.\n\nTrained for the tests: its second paragraph."}


@pytest.fixture(scope="module")
def versions(loaded):
    """Two versions of one model: the second has more filters (other figures, other bytes)."""
    first = register_model(loaded, writer.conv2d(size=16, channels=1, filters=4), CARD)
    second = register_model(loaded, writer.conv2d(size=16, channels=1, filters=8), CARD)
    assert (first.number, second.number) == (1, 2)
    return first, second


def test_versions_side_by_side_with_changes_marked_and_lineage(client, versions):
    first, second = versions
    answer = client.get("/api/models/lineage-demo/versions").get_json()["items"]
    assert [v["version"] for v in answer] == [2, 1]
    assert answer[0]["revision_of"] == first.iri and answer[1]["revision_of"] is None
    assert answer[0]["parameters"] > answer[1]["parameters"]
    assert answer[0]["sha256"] == second.sha256 != answer[1]["sha256"]

    html = page(client, "/models/lineage-demo@2")
    section = re.search(r'<section class="card" id="versions">.*?</section>', html, re.S).group(0)
    lineage = re.sub(r"<[^>]+>", "", re.search(r'<p class="lineage">(.*?)</p>', section, re.S).group(1))
    assert " ".join(lineage.split()) == "Lineage: v2 revision of v1 (first version)"
    row = re.search(r"<tr><th>Parameters</th>(.*?)</tr>", section, re.S).group(1)
    cells = re.findall(r'<td class="num( changed)?"(?: title="([^"]*)")?>([^<]*)', row)
    assert [c[0] for c in cells] == [" changed", ""]  # v2 differs from v1; v1 is the first
    assert cells[0][1] == f"v1: {answer[1]['parameters']}"
    assert cells[0][2].strip() == f"{answer[0]['parameters']:,}"
    same = re.search(r"<tr><th>Source</th>(.*?)</tr>", section, re.S).group(1)
    assert "changed" not in same


def test_the_card_prose_is_on_the_page_paragraph_by_paragraph(client, versions):
    html = page(client, "/models/lineage-demo")
    prose = re.search(r'<section class="prose" id="card">(.*?)</section>', html, re.S).group(1)
    assert re.findall(r"<p>(.*?)</p>", prose) == ["Spots one word.",
                                                   "Trained for the tests: its second paragraph."]


def test_an_unknown_model_has_no_versions(client):
    answer = client.get("/api/models/no-such-model/versions")
    assert answer.status_code == 404 and answer.mimetype == "application/problem+json"
