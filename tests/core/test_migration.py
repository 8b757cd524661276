"""A store written by the release before the need/capacity split answers the same questions
once the registry has opened it (registry.migrate), on each store.

tests/data/migration holds that store as N-Quads and the answers that release gave, both
written by write_v1_store.py run on the code of that release (main at 8986526).
"""
from __future__ import annotations

import gzip
import json
from collections import defaultdict

import pyoxigraph as ox
import pytest
import rdflib

from tinyreg.registry import Registry, compat
from tinyreg.registry.competency import competency_question
from tinyreg.registry.devices.register import list_devices
from tinyreg.registry.errors import MigrationFailed
from tinyreg.registry.migrate import DATA_VERSION, STEPS, data_version, migrate
from tinyreg.registry.resources import ontology_graph
from tinyreg.registry.store import IRI
from tinyreg.registry.vocab import ONTOLOGY_IRI, TR

from ..conftest import DATA

FIXTURE = DATA / "migration"
DEPRECATED = [TR.flashBytes, TR.ramBytes, TR.ramOverheadBytes, TR.codeBytes]


def _load_v1(store) -> None:
    graphs: dict[str, list[str]] = defaultdict(list)
    with gzip.open(FIXTURE / "v1-store.nq.gz", "rb") as handle:
        for quad in ox.parse(handle.read(), format=ox.RdfFormat.N_QUADS):
            graphs[quad.graph_name.value].append(f"{quad.subject} {quad.predicate} {quad.object} .\n")
    store.put_graphs({name: "".join(lines) for name, lines in graphs.items()})


@pytest.fixture
def old(store, settings, seeded):
    seeded("v1-store", lambda: _load_v1(store))
    registry = Registry(settings, store=store)
    yield registry


@pytest.fixture(scope="module")
def answers():
    return json.loads((FIXTURE / "v1-answers.json").read_text())


def _uses(store, term) -> bool:
    return store.ask("ASK WHERE { GRAPH ?g { ?s ?p ?o } FILTER(?g != ?onto) }",
                     {"p": IRI(str(term)), "onto": IRI(ONTOLOGY_IRI)})


def test_the_fixture_is_in_the_old_layout(old):
    assert data_version(old.store) == 1
    assert all(_uses(old.store, term) for term in (TR.flashBytes, TR.ramBytes))
    assert not _uses(old.store, TR.usableRamBytes)


def test_opening_an_old_store_migrates_it_once(old):
    before = old.store.revision()
    old.ensure_initialized()
    assert data_version(old.store) == DATA_VERSION
    assert not any(_uses(old.store, term) for term in DEPRECATED)
    assert old.store.revision() > before
    # the ontology graph is the shipped one again, where the old terms are declared deprecated
    onto = old.store.get_graph(ONTOLOGY_IRI)
    assert (TR.usableRamBytes, None, None) in onto and len(onto) > len(ontology_graph())
    settled = old.store.revision()
    old.ensure_initialized()
    assert migrate(old.store) == [] and old.store.revision() == settled


def test_a_migrated_store_answers_what_it_answered(old, answers):
    old.ensure_initialized()
    matrix = compat.matrix(old)
    ours = {model: {device: [bool(matrix.row(i)[j]), bool(matrix.warned_row(i)[j])]
                    for j, device in enumerate(matrix.devices)}
            for i, model in enumerate(matrix.models)}
    assert ours == answers["fits"]
    assert sum(fits for row in ours.values() for fits, _ in row.values()) > 100
    assert list_devices(old) == answers["devices"]
    # the migrated graphs carry the RDFS entailments of the new release: every device is a tr:Device
    typed = old.store.select("SELECT DISTINCT ?d WHERE { ?d a <https://w3id.org/tinyreg/ontology#Device> }")
    assert len(typed) == len(answers["devices"])
    flash = {r["v"]: r["f"] for r in old.store.select(
        "SELECT ?v ?f WHERE { ?v a <https://w3id.org/tinyreg/ontology#ModelVersion> ; "
        "<https://w3id.org/tinyreg/ontology#modelFlashBytes> ?f }")}
    assert flash == answers["model_flash"]
    question = competency_question("devices-for-model")
    assert {model: sorted(r["device"] for r in old.store.select(question.sparql, {"model": IRI(model)}))
            for model in matrix.models} == answers["devices_for_model"]


def test_device_figures_keep_their_meaning_in_the_verdicts(old):
    old.ensure_initialized()
    # the figure the verdicts were computed against is the usable one now
    nano = "https://w3id.org/tinyreg/id/device/arduino-nano-33-ble-sense-rev2"
    graph = old.store.get_graph(nano)
    assert graph.value(rdflib.URIRef(nano), TR.usableRamBytes).toPython() == 262144
    verdict = compat.check(old, "https://w3id.org/tinyreg/id/model/kws-micro/v1", nano)
    assert verdict.headroom["RAM"]["capacity_kind"] == "usable"


def test_a_step_that_does_not_take_is_an_error_not_a_half_migrated_store(store, seeded, monkeypatch):
    seeded("v1-store", lambda: _load_v1(store))
    # a step whose update leaves the old terms (a store that ignored it) is refused
    step = STEPS[1]
    monkeypatch.setitem(STEPS, 1, type(step)(step.to, step.update.split(";\n", 1)[0], step.left))
    with pytest.raises(MigrationFailed, match="did not take"):
        migrate(store)
