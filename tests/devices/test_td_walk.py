"""The direct walk over a TD gives the same graph as pyld, or leaves the TD to pyld.

Each TD goes through `record_from_td` twice: once as the importer runs (the walk, with
pyld behind it for what the walk does not cover) and once with the walk switched off, so
pyld reads everything. The two device graphs must be isomorphic, or both refused with the
same message. Sources: the TD fixtures, the W3C plugfest TDs in ../shared/ref/wot-td
(when present) and generated TDs that vary what TDs carry.

rdflib.compare.isomorphic takes a tenth of a second for a TD's dozens of blank nodes, so it
judges the fixtures, the plugfest TDs and the first generated ones; Oxigraph's
canonicalisation (the same question, answered in Rust) judges all generated ones.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from tinyreg.registry.devices import td, td_walk
from tinyreg.registry.errors import Invalid

from .td_samples import random_td

DATA = Path(__file__).resolve().parents[1] / "data" / "devices"
REF_TDS = Path(__file__).resolve().parents[3] / "shared" / "ref" / "wot-td"
GENERATED = 300
JUDGED_BY_RDFLIB = 10


def _outcome(doc: dict) -> tuple[str, object]:
    try:
        return "graph", td.record_from_td(doc).ntriples()
    except Invalid as exc:
        return "refused", exc.detail


def _canonical(text: str) -> list[str]:
    dataset = ox.Dataset(ox.parse(text, format=ox.RdfFormat.N_TRIPLES))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return sorted(str(q) for q in dataset)


def _pyld_only(doc: dict, monkeypatch) -> tuple[str, object]:
    def unsupported(_doc, _base):
        raise td_walk.Unsupported
    with monkeypatch.context() as patch:
        patch.setattr(td, "walk", unsupported)
        return _outcome(doc)


def _walked(doc: dict) -> bool:
    """Whether the walk itself read `doc` (rather than handing it to pyld)."""
    doc = dict(doc)
    try:
        doc["@context"] = td._usable_contexts(doc.get("@context"), [], True)
        td_walk.walk(doc, doc["base"] if isinstance(doc.get("base"), str) else None)
    except (td_walk.Unsupported, Invalid):
        return False
    return True


def _assert_same(doc: dict, monkeypatch, label: str, rdflib_judges: bool = True) -> None:
    ours, reference = _outcome(doc), _pyld_only(doc, monkeypatch)
    assert ours[0] == reference[0], f"{label}: {ours[1]!r} vs pyld {reference[1]!r}"
    if ours[0] == "refused":
        assert ours[1] == reference[1], label
    elif rdflib_judges:
        ours_g, reference_g = (Graph().parse(data=text, format="nt") for text in (ours[1], reference[1]))
        assert len(ours_g) == len(reference_g) and isomorphic(ours_g, reference_g), label
    else:
        assert _canonical(ours[1]) == _canonical(reference[1]), label


def _fixture_tds() -> list[Path]:
    """The fixtures that reach JSON-LD (the others are refused before: no TD context)."""
    return sorted(p for p in DATA.rglob("*.jsonld") if td.is_td(json.loads(p.read_text())))


@pytest.mark.parametrize("path", _fixture_tds(), ids=lambda p: p.name)
def test_fixture_tds_give_pyld_graph(path, monkeypatch):
    _assert_same(json.loads(path.read_text()), monkeypatch, path.name)


@pytest.mark.skipif(not REF_TDS.is_dir(), reason="../shared/ref/wot-td is not present")
def test_plugfest_tds_give_pyld_graph(monkeypatch):
    paths = sorted(p for p in REF_TDS.iterdir() if p.suffix in (".json", ".jsonld"))
    assert paths
    walked = 0
    for path in paths:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
        _assert_same(doc, monkeypatch, path.name)
        walked += _walked(doc)
    # Only the TD with colliding keywords needs pyld (which refuses it).
    assert walked >= len(paths) - 1


def test_generated_tds_give_pyld_graph(monkeypatch):
    rng = random.Random(2024)
    docs = [random_td(i, rng) for i in range(GENERATED)]
    for i, doc in enumerate(docs):
        _assert_same(doc, monkeypatch, f"generated TD {i}: {json.dumps(doc)[:400]}",
                     rdflib_judges=i < JUDGED_BY_RDFLIB)
    walked = sum(_walked(doc) for doc in docs)
    # The rare JSON-LD features go to pyld; everything TD-shaped is walked.
    assert 0.8 * GENERATED <= walked < GENERATED


def test_what_the_walk_does_not_cover_goes_to_pyld():
    base = {"@context": "https://www.w3.org/2022/wot/td/v1.1", "id": "urn:x", "title": "t"}
    for extra in ({"description": {"@value": "v", "@language": "en"}},
                  {"properties": {"p": {"@context": {"@language": "fr"}, "title": "x"}}},
                  {"@reverse": {"td:hasLink": {"@id": "urn:y"}}},
                  {"@id": "urn:x"}):
        with pytest.raises(td_walk.Unsupported):
            td_walk.walk({**base, **extra}, None)
