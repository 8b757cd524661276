"""After writes, the engine refreshed from the store's change log answers exactly as an
engine built afresh from the store: same entities, names, verdicts and explanations."""
from __future__ import annotations

import random

import numpy as np
import pytest

from tinyreg.registry import compat
from tinyreg.registry.compat.engine import Engine
from tinyreg.registry.compat.fleet import Unpatchable
from tinyreg.registry.compat.patterns import RuntimeSupport
from tinyreg.registry.compat.reference_reads import DECLARED
from tinyreg.registry.store import changelog
from tinyreg.registry.store.base import revision_update_text
from tinyreg.registry.vocab import DEPLOYMENT_BASE, ID, META_GRAPH

from . import synthetic
from .test_agreement import _key

DEPLOYMENT = f"{ID}deployment/refresh-test"
TR = "https://w3id.org/tinyreg/ontology#"
_INTEGER = '"{}"^^<http://www.w3.org/2001/XMLSchema#integer>'


def _assert_same(ours: Engine, fresh: Engine, rng: random.Random, devices: tuple[str, ...] = (),
                 models: tuple[str, ...] = ()) -> None:
    """Same entities, names, every answer of every pair, and the results and latency of
    random pairs and of every pair of `devices` and `models` (those just written)."""
    assert ours.revision == fresh.revision
    assert ours.fleet.models == fresh.fleet.models and ours.fleet.devices == fresh.fleet.devices
    assert ours.fleet.model_names == fresh.fleet.model_names
    assert ours.fleet.device_names == fresh.fleet.device_names
    a, b = ours.matrix(), fresh.matrix()
    for name in ("fits", "warned", "runs", "fits_unknown", "runs_unknown"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    pairs = [(rng.randrange(len(ours.fleet.models)), rng.randrange(len(ours.fleet.devices)))
             for _ in range(25)]
    pairs += [(m, ours.device(d)) for d in devices for m in range(len(ours.fleet.models))]
    pairs += [(ours.model(m), d) for m in models for d in range(len(ours.fleet.devices))]
    for m, d in pairs:
        assert _key(ours.results(m, d)) == _key(fresh.results(m, d))
        assert ours.timing(m, d) == fresh.timing(m, d)
    # the fastest estimates of some devices (the heatmap's) are those of the whole fleet's
    if ours.latency is not None:
        models, some = np.arange(len(ours.fleet.models)), np.array([d for _, d in pairs])
        assert all(np.array_equal(a, b[:, some], equal_nan=True) for a, b in
                   zip(ours.latency.fastest(models, some), ours.latency.fastest(models, slice(None))))


def _index(iri: str) -> int:
    return int(iri.split("/syn-")[1].split("/")[0])


@pytest.fixture
def loaded(registry, seeded):
    seeded("refresh-fleet", lambda: registry.store.bulk_load(
        list(synthetic.models(25)) + list(synthetic.devices(120))))
    engine = compat.fleet_engine(registry)
    assert engine.origin == "full"
    return registry


def test_random_writes_refresh_to_the_verdicts_of_a_fresh_build(loaded, store_kind, run_seed):
    """Six rounds of random writes on the embedded store, three on a server (each round
    there reads the whole fleet over HTTP twice, 3 s on Virtuoso); a new walk every run
    (run_seed), so the runs between them cover more than one fixed walk did."""
    registry, store = loaded, loaded.store
    rng = random.Random(run_seed)
    fresh_index = iter(range(1000, 2000))
    rounds = 6 if store_kind == "embedded" else 3
    for round_ in range(rounds):
        engine = compat.fleet_engine(registry)
        models, devices = list(engine.fleet.models), list(engine.fleet.devices)
        # Rounds that write devices only or model versions only are patched along that
        # axis; a round that writes both compiles everything again.
        kind = ("devices", "models", "both")[round_ % 3]
        graphs: dict[str, str] = {}
        if kind != "models":
            # New devices, others replaced by new random descriptions (a board may become
            # a Linux device, lose its RAM figure or its runtime), in one transaction...
            graphs.update(synthetic.device_graph(next(fresh_index), rng) for _ in range(rng.randint(1, 3)))
            graphs.update((iri, synthetic.device_graph(_index(iri), rng)[1]) for iri in rng.sample(devices, 3))
        if kind != "devices":
            graphs.update((iri, synthetic.model_graph(_index(iri), rng)[1]) for iri in rng.sample(models, 2))
            graphs.update([synthetic.model_graph(next(fresh_index), rng)])
        store.put_graphs(graphs)
        # ...deletions, each a write of its own, and new graphs through the bulk path.
        if kind != "models":
            store.delete_graph(rng.choice(devices))
            # Once, more devices at a time than are placed in the lists one by one.
            store.bulk_load([synthetic.device_graph(next(fresh_index), rng)
                             for _ in range(70 if round_ == 0 else 1)])
        if kind != "devices":
            store.delete_graph(rng.choice(models))
            store.bulk_load([synthetic.model_graph(next(fresh_index), rng)])
        refreshed = compat.fleet_engine(registry)
        assert refreshed.origin == ("refreshed" if kind == "both" else "patched"), kind
        _assert_same(refreshed, Engine.load(store), rng,
                     tuple(iri for iri in graphs if iri in refreshed.fleet.device_index))


def test_writes_of_other_graphs_keep_the_compiled_engine(loaded):
    registry, store = loaded, loaded.store
    engine = compat.fleet_engine(registry)
    store.update_graphs(f'INSERT DATA {{ GRAPH <{DEPLOYMENT}> {{ <{DEPLOYMENT}> a '
                        f'<https://w3id.org/tinyreg/ontology#Deployment> }} }}', [DEPLOYMENT])
    kept = compat.fleet_engine(registry)
    assert kept.origin == "kept" and kept.compiled is engine.compiled
    assert kept.revision == store.revision() > engine.revision
    # A write that names its graphs by namespace (a rollout's activation) is looked into,
    # and kept when no model version or device lies there.
    store.update_graphs(f'DELETE WHERE {{ GRAPH <{DEPLOYMENT}> {{ ?s ?p ?o }} }}', [],
                        under=[f"{ID}deployment/"])
    assert compat.fleet_engine(registry).compiled is engine.compiled
    # A namespace holding devices refreshes them.
    device = engine.fleet.devices[0]
    store.update_graphs(f'DELETE WHERE {{ GRAPH <{device}> {{ ?s ?p ?o }} }}', [], under=[f"{ID}device/"])
    refreshed = compat.fleet_engine(registry)
    assert refreshed.origin == "patched" and device not in refreshed.fleet.devices
    _assert_same(refreshed, Engine.load(store), random.Random(2))


def test_a_deployment_only_write_reads_nothing_of_the_fleet(loaded, monkeypatch):
    """A deployment report is logged by its graph and by the deployments' namespace; neither
    can name a model version or a device, so the refresh asks the store only what changed."""
    registry, store = loaded, loaded.store
    engine = compat.fleet_engine(registry)
    asked: list[str] = []
    for name in ("table", "select"):
        real = getattr(store, name)
        monkeypatch.setattr(store, name, lambda q, b=None, real=real: asked.append(q) or real(q, b))
    store.update_graphs(f'INSERT DATA {{ GRAPH <{DEPLOYMENT}> {{ <{DEPLOYMENT}> a '
                        f'<https://w3id.org/tinyreg/ontology#Deployment> }} }}', [DEPLOYMENT],
                        under=[DEPLOYMENT_BASE])
    asked.clear()
    kept = compat.fleet_engine(registry)
    assert kept.origin == "kept" and kept.compiled is engine.compiled
    assert kept.revision == store.revision()
    # Reads of the revision and the change log (the meta graph) only: no member scan,
    # reference query or device listing.
    assert asked and all(f"GRAPH <{META_GRAPH}>" in q for q in asked), asked


def test_what_the_log_cannot_vouch_for_is_read_again_whole(loaded, monkeypatch):
    registry, store = loaded, loaded.store
    rng = random.Random(5)
    # A change to the facts every device is read against (here a runtime's operators).
    store.put_graph(f"{ID}runtime-notes", "<https://w3id.org/tinyreg/ontology#TFLM> "
                    "<https://w3id.org/tinyreg/ontology#supportsOperator> <https://w3id.org/tinyreg/op/RFFT2D> .\n")
    engine = compat.fleet_engine(registry)
    assert engine.origin == "full"
    _assert_same(engine, Engine.load(store), rng)
    # An update that cannot say what it wrote.
    store.update(f'INSERT DATA {{ GRAPH <{ID}device/syn-0> {{ <{ID}device/syn-0> '
                 f'<https://w3id.org/tinyreg/ontology#usableRamBytes> 1 }} }} ;\n' + revision_update_text())
    assert compat.fleet_engine(registry).origin == "full"
    # More writes than the log keeps.
    monkeypatch.setattr(changelog, "LOG_ENTRIES", 3)
    for i in range(5):
        store.put_graph(*synthetic.device_graph(3000 + i, rng))
    engine = compat.fleet_engine(registry)
    assert engine.origin == "full"
    _assert_same(engine, Engine.load(store), rng)


def _renamed(graph: tuple[str, str], iri: str) -> str:
    return graph[1].replace(f"<{graph[0]}>", f"<{iri}>")


def _unlike_any_other(i: int, rng: random.Random) -> tuple[str, str]:
    """A device whose core, runtime, NPU and sensor no other device has (values the fleet
    has no term for yet), with the runtime's cost, calibration and figures unknown."""
    iri, text = synthetic.device_graph(i, rng)
    text += (f"<{iri}> <{TR}hasProcessor> _:q{i} .\n_:q{i} <{TR}core> <{TR}CortexM99> .\n"
             f"_:q{i} <{TR}clockHz> \"333000000\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n"
             f"_:q{i} <{TR}hasNPU> <{TR}NPUOfItsOwn> .\n"
             f"<{iri}> <{TR}hasRuntime> _:k{i} .\n_:k{i} <{TR}runtime> <{TR}RuntimeOfItsOwn> .\n"
             f"<{iri}> <{TR}hasSensor> _:t{i} .\n_:t{i} {synthetic.RDF_TYPE} <{TR}SensorOfItsOwn> .\n")
    return iri, text


def test_device_writes_patch_the_engine_to_the_answers_of_a_fresh_build(loaded):
    """Each kind of device write, alone, is spliced into the compiled engine; a model
    version written compiles it again."""
    registry, store = loaded, loaded.store
    rng = random.Random(8)
    engine = compat.fleet_engine(registry)
    _assert_same(engine, Engine.load(store), rng)  # reads names, classes: spliced below
    devices = list(engine.fleet.devices)
    writes = [
        ("delete", lambda: store.delete_graph(devices[7])),
        ("replace", lambda: store.put_graph(devices[11], synthetic.device_graph(_index(devices[11]), rng)[1])),
        # first and last in IRI order (devices are kept sorted), in one transaction
        ("add two", lambda: store.put_graphs({
            f"{ID}device/a-first": _renamed(synthetic.device_graph(5000, rng), f"{ID}device/a-first"),
            f"{ID}device/zz-last": _renamed(synthetic.device_graph(5001, rng), f"{ID}device/zz-last")})),
        ("add one of its own", lambda: store.put_graph(*_unlike_any_other(5002, rng))),
        ("replace by one of its own", lambda: store.put_graph(devices[3], _unlike_any_other(_index(devices[3]), rng)[1])),
        ("delete the one of its own", lambda: store.delete_graph(f"{ID}device/syn-5002")),
    ]
    for what, write in writes:
        write()
        ours = compat.fleet_engine(registry)
        assert ours.origin == "patched", what
        _assert_same(ours, Engine.load(store), rng,
                     tuple(d for d in (f"{ID}device/syn-5002", devices[3], devices[11],
                                       f"{ID}device/a-first", f"{ID}device/zz-last")
                           if d in ours.fleet.device_index))
    # the runtime no other device had is a column of the patched runtime constraint
    supports = [c for c in compat.fleet_engine(registry).compiled if isinstance(c, RuntimeSupport)]
    assert supports and all(f"{TR}RuntimeOfItsOwn" in map(str, c.runtimes) for c in supports)
    # A model version and a device written at once: compiled again, not patched.
    store.put_graphs(dict([synthetic.model_graph(6000, rng), synthetic.device_graph(6001, rng)]))
    ours = compat.fleet_engine(registry)
    assert ours.origin == "refreshed"
    _assert_same(ours, Engine.load(store), rng)


def _model_of_its_own(i: int, rng: random.Random) -> tuple[str, str]:
    """A model version requiring a sensor class no other requires, with a failed check on
    a runtime no device has and a figure for it, and an operator no runtime supports."""
    iri, text = synthetic.model_graph(i, rng)
    s = f"<{iri}>"
    text += (f"{s} <{TR}requiresSensor> <{TR}SensorOfItsOwn> .\n"
             f"{s} <{TR}runtimeCheck> _:c{i} .\n_:c{i} {synthetic.RDF_TYPE} <{TR}RuntimeCheck> .\n"
             f"_:c{i} <{TR}onRuntime> <{TR}RuntimeOfItsOwn> .\n"
             f"_:c{i} <{TR}runs> \"false\"^^<http://www.w3.org/2001/XMLSchema#boolean> .\n"
             f"{s} <{TR}runtimeFigure> _:f{i} .\n_:f{i} <{TR}onRuntime> <{TR}TFLM> .\n"
             f"_:f{i} <{TR}figureRamBytes> \"1000\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n"
             f"{s} <{TR}usesOperator> _:u{i} .\n_:u{i} <{TR}operator> <{synthetic.OP}OPERATOR_OF_ITS_OWN> .\n")
    return iri, text


def test_model_writes_patch_the_engine_to_the_answers_of_a_fresh_build(loaded):
    """Each kind of write to model versions only, alone, is spliced along the model axis;
    the devices' side is kept or, where the model versions ask for other device columns
    (a sensor class no other requires), worked out again."""
    registry, store = loaded, loaded.store
    rng = random.Random(9)
    engine = compat.fleet_engine(registry)
    _assert_same(engine, Engine.load(store), rng)  # reads names, classes: spliced below
    models = list(engine.fleet.models)
    own = synthetic.model_graph(8002, rng)[0]
    writes = [
        ("delete", lambda: store.delete_graph(models[4])),
        ("replace", lambda: store.put_graph(models[6], synthetic.model_graph(_index(models[6]), rng)[1])),
        # figures for other runtimes and NPUs (by number, synthetic.model_graph)
        ("add two", lambda: store.put_graphs(dict(synthetic.model_graph(i, rng) for i in (8001, 8006)))),
        ("add one of its own", lambda: store.put_graph(*_model_of_its_own(8002, rng))),
        ("replace by one of its own", lambda: store.put_graph(models[2], _model_of_its_own(_index(models[2]), rng)[1])),
        ("delete the one of its own", lambda: store.delete_graph(own)),
    ]
    for what, write in writes:
        write()
        ours = compat.fleet_engine(registry)
        assert ours.origin == "patched", what
        _assert_same(ours, Engine.load(store), rng,
                     models=tuple(m for m in (own, models[2], models[6], f"{ID}model/syn-8001/v1",
                                              f"{ID}model/syn-8006/v1") if m in ours.fleet.model_index))
    # the runtime no device has is a column of the patched runtime constraint
    supports = [c for c in compat.fleet_engine(registry).compiled if isinstance(c, RuntimeSupport)]
    assert supports and all(f"{TR}RuntimeOfItsOwn" in map(str, c.runtimes) for c in supports)


def test_a_change_a_pattern_cannot_splice_compiles_everything_again(loaded, monkeypatch):
    registry, store = loaded, loaded.store
    compat.fleet_engine(registry)

    def refuses(self, fleet, sub, splice):
        raise Unpatchable("refused for the test")
    monkeypatch.setattr(RuntimeSupport, "patched", refuses)
    store.put_graph(*synthetic.device_graph(7000, random.Random(3)))
    ours = compat.fleet_engine(registry)
    assert ours.origin == "refreshed"
    _assert_same(ours, Engine.load(store), random.Random(4), (f"{ID}device/syn-7000",))


def test_reference_facts_are_read_again_only_after_a_write_to_a_graph_that_feeds_them(loaded, monkeypatch):
    """A device graph states none of what the reference queries read (classes, labels,
    runtimes, costs, calibrations): a refresh after one runs none of them. A device graph
    that does state such a fact - an operator a runtime supports, a label, a runtime cost
    of its own (a blank node every cost triple is about) - is seen when it comes and when it
    goes, as a fresh build sees it."""
    registry, store = loaded, loaded.store
    rng = random.Random(11)
    compat.fleet_engine(registry)
    asked: list[str] = []
    real = store.select
    monkeypatch.setattr(store, "select", lambda q, b=None: asked.append(q) or real(q, b))
    store.put_graph(*synthetic.device_graph(8000, rng))
    assert compat.fleet_engine(registry).origin == "patched"
    assert asked and not set(asked) & DECLARED.keys()
    device = f"{ID}device/syn-8000"
    plain = synthetic.device_graph(8000, rng)[1]
    facts = {
        "an operator": f"<{TR}TFLM> <{TR}supportsOperator> <https://w3id.org/tinyreg/op/RFFT2D> .\n",
        "a label": f'<{TR}TFLM> <http://www.w3.org/2000/01/rdf-schema#label> "Micro runtime"@en .\n',
        "a runtime cost": "".join(f"_:cost <{TR}{p}> {o} .\n" for p, o in (
            ("costOfRuntime", f"<{TR}TFLM>"), ("costOnCore", f"<{TR}CortexM4>"),
            ("runtimeRamBytes", _INTEGER.format(1)), ("runtimeCodeBytes", _INTEGER.format(1)))),
    }
    for what, fact in facts.items():
        for text in (plain + fact, plain):  # the fact comes, then goes
            asked.clear()
            store.put_graph(device, text)
            ours = compat.fleet_engine(registry)
            assert set(asked) & DECLARED.keys(), what  # the reference facts were read again
            _assert_same(ours, Engine.load(store), rng, (device,))
    # the cost's figures, in the same graph as the cost, changed what a fresh build reads
    store.put_graph(device, plain + facts["a runtime cost"])
    assert compat.fleet_engine(registry).origin != "patched"
