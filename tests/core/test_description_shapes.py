"""The description shapes compiled to Python checks (registry/description_shapes.py) give
pySHACL's results, result by result: on the shapes' own samples, on every board of the
catalog, on the device files of tests/data and on a sample of the fuzz corpus."""
from __future__ import annotations

from pathlib import Path

import pytest
import rdflib

from tinyreg.registry import Invalid
from tinyreg.registry.description_shapes import checker, index_graph, index_ntriples
from tinyreg.registry.devices.catalog import iter_catalog
from tinyreg.registry.validation import KINDS, pyshacl_results, sort, validate

from ..conftest import DATA
from ..devices import fuzz_files

# Every 60th fuzzed file of each format: 25 a format. pySHACL's set-up for each graph bounds
# the time (~0.6 s a file on a loaded 2-core machine), under the suite's 300 s a test.
FUZZ_STEP = 60


def compiled(graph, kind: str):
    index = index_ntriples(graph) if isinstance(graph, str) else index_graph(graph)
    return sort(checker(tuple(map(str, KINDS[kind][1]))).results(index))


def comparable(results) -> list[tuple]:
    """Results as both checkers can agree on them: a blank node's label is each one's own."""
    out = []
    for r in results:
        row = r.as_dict()
        for key in ("focus", "value"):
            if isinstance(row.get(key), str) and ":" not in row[key]:
                row[key] = "_:blank"
        out.append(tuple(sorted((k, repr(v)) for k, v in row.items())))
    return sorted(out)


def agree(graph, kind: str) -> list:
    ours = comparable(compiled(graph, kind))
    assert ours == comparable(pyshacl_results(graph, kind))
    return ours


@pytest.mark.parametrize("path", sorted((DATA / "shapes").glob("*.ttl")), ids=lambda p: p.name)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_shapes_samples(path, kind):
    results = agree(rdflib.Graph().parse(path), kind)
    if path.name.startswith(kind) and path.name.endswith("_bad.ttl"):
        assert results  # the samples exercise the checks, not only the conforming path


def test_every_board_of_the_catalog():
    for record in iter_catalog():
        agree(record.ntriples(), "device")


def _graphs_of(files) -> list[tuple[str, str, str]]:
    """(file, kind, N-Triples) of each graph the device readers make of these files."""
    from tinyreg.registry.devices.files import read_file
    out = []
    for name, data in files:
        result, graphs = read_file(data, name)
        for iri, graph in graphs.items():
            kind = "device" if iri in result.devices else "model"
            text = graph if isinstance(graph, str) else graph.serialize(format="nt")
            out.append((name, kind, text))
    return out


def test_the_device_files_of_the_tests():
    files = [(str(p), p.read_bytes()) for p in sorted((DATA / "devices").rglob("*")) if p.is_file()]
    graphs = _graphs_of(files)
    assert len(graphs) > 10
    for name, kind, text in graphs:
        agree(text, kind)


def test_a_sample_of_the_fuzz_corpus(fuzz_corpus):
    files = [f for fmt in fuzz_files.FORMATS for f in fuzz_corpus[fmt][::FUZZ_STEP]]
    graphs = _graphs_of(files)
    assert len(graphs) > 30
    judged = [agree(text, kind) for _, kind, text in graphs]
    assert any(judged)  # some break a shape or warn: the checks ran, not only the happy path


def test_a_shape_the_checker_cannot_compile_is_refused_by_name(tmp_path):
    shapes = rdflib.Graph().parse(Path(__file__).resolve().parents[2] / "shapes" / "device.ttl")
    shapes.parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix tr: <https://w3id.org/tinyreg/ontology#> .
        <urn:x:Odd> a sh:NodeShape ; sh:targetClass tr:Device ;
            sh:property [ sh:path tr:board ; sh:minLength 2 ; sh:message "m" ] .""", format="turtle")
    with pytest.raises(Invalid, match="sh:minLength, which the compiled checker does not read"):
        checker((str(KINDS["device"][1][0]),), shapes)


def test_the_refusal_names_the_first_violation_and_counts_the_rest():
    text = next(iter_catalog()).ntriples().replace(
        '<https://w3id.org/tinyreg/ontology#usableRamBytes> "', '<https://w3id.org/tinyreg/ontology#usableRamBytes> "-')
    with pytest.raises(Invalid) as caught:
        validate(text, "device")
    assert caught.value.detail.startswith(
        "the device description breaks its shape: tr:usableRamBytes is one positive integer count of "
        "bytes, no more than tr:totalRamBytes (usableRamBytes of https://")
    assert [r["message"] for r in caught.value.extra["results"] if r["severity"] == "violation"] == [
        "tr:usableRamBytes is one positive integer count of bytes, no more than tr:totalRamBytes"]
