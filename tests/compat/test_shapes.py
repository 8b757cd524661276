"""The description shapes on the data pairs of tests/data/shapes, and the shapes graph itself."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import rdflib

from tinyreg.registry.devices.catalog import iter_catalog
from tinyreg.registry.errors import Invalid
from tinyreg.registry.resources import shapes_dir
from tinyreg.registry.validation import validate
from tinyreg.registry.vocab import PREFIXES

from ..conftest import DATA

SHAPES_DATA = DATA / "shapes"
_EXPECT = re.compile(r"^# expect: (violation|warning) (\S+)$", re.M)


def _expected(path: Path) -> set[tuple[str, str]]:
    found = set()
    for level, curie in _EXPECT.findall(path.read_text()):
        prefix, local = curie.split(":")
        found.add((level, PREFIXES[prefix] + local))
    return found


def _kind(path: Path) -> str:
    return path.name.split("_")[0]


def _seen(results) -> set[tuple[str, str]]:
    return {(r["severity"] if isinstance(r, dict) else r.level,
             r["path"] if isinstance(r, dict) else r.path) for r in results}


def test_there_are_pairs_of_each_kind():
    names = {p.name for p in SHAPES_DATA.glob("*.ttl")}
    for kind in ("device", "model"):
        assert any(n.startswith(kind) and n.endswith("_ok.ttl") for n in names)
        assert any(n.startswith(kind) and n.endswith("_bad.ttl") for n in names)


@pytest.mark.parametrize("path", sorted(SHAPES_DATA.glob("*_ok.ttl")), ids=lambda p: p.name)
def test_ok_descriptions_are_accepted_with_exactly_their_warnings(path):
    report = validate(rdflib.Graph().parse(path), _kind(path))
    assert report.conforms and report.violations == []
    assert _seen(report.warnings) == _expected(path)


@pytest.mark.parametrize("path", sorted(SHAPES_DATA.glob("*_bad.ttl")), ids=lambda p: p.name)
def test_bad_descriptions_are_refused_with_every_result(path):
    with pytest.raises(Invalid) as refused:
        validate(rdflib.Graph().parse(path), _kind(path))
    results = refused.value.extra["results"]
    assert _seen(results) == _expected(path)
    assert all(r["message"] and r["focus"] and r["constraint"].startswith("https://w3id.org/tinyreg/shapes#")
               for r in results)
    assert refused.value.detail.startswith(f"the {'model version' if _kind(path) == 'model' else 'device'} "
                                           "description breaks its shape: ")
    assert "\n" not in refused.value.detail


def test_a_refusal_carries_the_offending_value():
    graph = rdflib.Graph().parse(SHAPES_DATA / "device_bad.ttl")
    with pytest.raises(Invalid) as refused:
        validate(graph.serialize(format="nt"), "device")  # N-Triples text, as importers write
    values = {r["path"].rsplit("#", 1)[-1]: r.get("value") for r in refused.value.extra["results"]
              if r["severity"] == "violation"}
    assert values["usableRamBytes"] == -65536 and values["usableFlashBytes"] == "512.5"


def test_every_board_of_the_catalog_is_a_valid_description():
    graph = rdflib.Graph()
    for record in iter_catalog():
        graph += record.graph
    report = validate(graph, "device")
    # Only the Alif kit, whose vendor states device totals only, warns: no usable figures.
    assert report.conforms
    assert {(r.focus.rsplit("/", 1)[1], r.path.rsplit("#", 1)[1]) for r in report.warnings} == {
        ("alif-ensemble-e7-appkit", "usableRamBytes"), ("alif-ensemble-e7-appkit", "usableFlashBytes")}


def test_a_graph_without_the_kind_is_refused():
    with pytest.raises(Invalid, match="describes no device"):
        validate(rdflib.Graph().parse(SHAPES_DATA / "model_ok.ttl"), "device")
    with pytest.raises(Invalid, match="cannot validate"):
        validate(rdflib.Graph(), "deployment")
    with pytest.raises(Invalid, match="not valid N-Triples"):
        validate("<not n-triples", "device")


# ---------------------------------------------------------------- the compatibility shapes

def _shapes_with(tmp_path, extra: str) -> rdflib.Graph:
    copy = tmp_path / "shapes"
    shutil.copytree(shapes_dir(), copy)
    (copy / "extra.ttl").write_text(extra)
    graph = rdflib.Graph()
    for path in sorted(copy.glob("*.ttl")):
        graph.parse(path)
    return graph


_PREAMBLE = """@prefix tr: <https://w3id.org/tinyreg/ontology#> .
@prefix trs: <https://w3id.org/tinyreg/shapes#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
"""


def test_a_shape_missing_a_parameter_is_refused_by_name(tmp_path):
    from tinyreg.registry.compat.shapes import read_constraints
    shapes = _shapes_with(tmp_path, _PREAMBLE + """
        trs:Broken a sh:NodeShape ; sh:targetClass tr:DeploymentCandidate ; sh:sparql trs:ResourceFit ;
            trs:needProperty tr:arenaBytes ; trs:resourceLabel "RAM" ; sh:message "m" .""")
    with pytest.raises(Invalid, match="Broken uses ResourceFit but lacks capacityProperty"):
        read_constraints(shapes)


def test_a_candidate_shape_the_engine_cannot_compile_is_refused(tmp_path):
    from tinyreg.registry.compat.shapes import read_constraints
    shapes = _shapes_with(tmp_path, _PREAMBLE + """
        trs:Core a sh:NodeShape ; sh:targetClass tr:DeploymentCandidate ; sh:sparql trs:FigureKnown ;
            trs:side tr:candidateDevice ; trs:figureProperty tr:usableRamBytes ; trs:resourceLabel "RAM" ;
            sh:message "m" ; sh:property [ sh:path tr:candidateDevice ; sh:minCount 1 ] .""")
    with pytest.raises(Invalid, match="not a parameter of FigureKnown"):
        read_constraints(shapes)
