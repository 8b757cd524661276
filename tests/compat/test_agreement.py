"""The fleet engine gives pySHACL's verdicts, result by result, on random pairs and edges."""
from __future__ import annotations

import os
import random
from collections import Counter

import numpy as np
import pytest
import rdflib

from tinyreg.registry import compat
from tinyreg.registry.compat.engine import Engine
from tinyreg.registry.compat.results import INFO, UNKNOWN, VIOLATION, WARNING, Verdict, answers
from tinyreg.registry.compat.shacl import validate_pair
from tinyreg.registry.compat.shapes import read_constraints

from . import reference

# pySHACL takes about 0.35 s a pair here (every pair's headroom, runs and fits are its
# results). TINYREG_COMPAT_PAIRS=3000 adds that many random pairs to the sample.
EXTRA_PAIRS = int(os.environ.get("TINYREG_COMPAT_PAIRS", 8))
KINDS = [(True, True, False), (True, True, True), (True, False, False), (False, False, False),
         (None, None, False), (None, False, False)]


def _key(results):
    return [(r.severity, r.constraint, r.message, r.path, r.value) for r in results]


def _covering_pairs(engine, rng: random.Random, pool: int = 2000) -> list[tuple[int, int]]:
    """Pairs for pySHACL to judge: until every constraint has fired and every kind of
    verdict was given, a pair drawn at random among those of a random pool where the engine
    says one still missing does (taken in random order); then EXTRA_PAIRS drawn at random.
    Only which pairs are asked comes from the engine; what they must agree on is pySHACL's."""
    firing: dict[object, list[tuple[int, int]]] = {}
    gives: dict[tuple[int, int], set] = {}
    n_models, n_devices = len(engine.fleet.models), len(engine.fleet.devices)
    for _ in range(pool):
        pair = rng.randrange(n_models), rng.randrange(n_devices)
        results = engine.results(*pair)
        kind = (*answers(results), bool(Verdict("", "", *answers(results), results).warnings))
        gives[pair] = {r.constraint for r in results} | {kind}
        for what in gives[pair]:
            firing.setdefault(what, []).append(pair)
    chosen, covered = set(), set()
    for what in rng.sample(sorted(firing, key=str), len(firing)):
        if what not in covered:
            pair = rng.choice(firing[what])
            chosen.add(pair)
            covered |= gives[pair]
    chosen |= {(rng.randrange(n_models), rng.randrange(n_devices)) for _ in range(EXTRA_PAIRS)}
    return sorted(chosen)


def test_engine_and_pyshacl_agree_on_random_pairs(fleet, run_seed):
    """A new sample every run (run_seed; TINYREG_TEST_SEED=<seed> repeats one): pairs that
    between them fire every constraint and give every kind of verdict, and a few more at
    random. 100 pairs of one fixed seed were asked before, 34 s of pySHACL; this asks
    about 20 and covers other pairs each run."""
    seed = run_seed
    engine = compat.fleet_engine(fleet.registry)
    fired, verdicts = Counter(), Counter()
    for i, j in _covering_pairs(engine, random.Random(seed)):
        m, d = engine.fleet.models[i], engine.fleet.devices[j]
        ours = engine.verdict(i, j)
        theirs = validate_pair(fleet.models[m], fleet.devices[d], m, d)
        assert _key(ours.results) == _key(theirs), (seed, m, d)
        assert (ours.runs, ours.fits) == answers(theirs), (seed, m, d)
        fired.update(r.constraint for r in theirs)
        verdicts[ours.runs, ours.fits, bool(ours.warnings)] += 1
    # The sample exercised every constraint and every kind of verdict: fits (with and
    # without warnings), runs without the sensors, refused, and unknown either way.
    assert set(fired) == {c.shape for c in read_constraints()}, seed
    assert all(verdicts[kind] for kind in KINDS), (seed, verdicts)


def test_engine_matches_one_sparql_query_over_the_whole_matrix(fleet):
    engine = compat.fleet_engine(fleet.registry)
    matrix = engine.matrix()
    ours = {}
    for i, model in enumerate(matrix.models):
        fits, warned = matrix.row(i), matrix.warned_row(i)
        for j in np.flatnonzero(fits):
            ours[model, matrix.devices[j]] = bool(warned[j])
    assert len(matrix.models) * len(matrix.devices) == 60 * 250
    assert ours == reference.fitting_pairs(fleet.registry.store)
    assert 0 < len(ours) < 60 * 250


# ---------------------------------------------------------------- exact-equality edges

TR = "https://w3id.org/tinyreg/ontology#"
DEVICE = "https://w3id.org/tinyreg/id/device/edge-board"
RAM, RAM_RESERVE, OWN_OVERHEAD = 262144, 65536, 3000
FLASH, FLASH_RESERVE = 1048576, 131072
TFLM_CODE = 20480  # registry/runtime_costs.csv: the device states no code size of its own
TFLM_SOURCE = "Warden and Situnayake, TinyML, 2019, ch. 17"
FREE_RAM = RAM - RAM_RESERVE - OWN_OVERHEAD
FREE_FLASH = FLASH - FLASH_RESERVE - TFLM_CODE


def _device() -> str:
    g = rdflib.Graph().parse(format="turtle", data=f"""
        @prefix tr: <{TR}> .
        <{DEVICE}> a tr:MicrocontrollerBoard ; tr:usableRamBytes {RAM} ; tr:reservedRamBytes {RAM_RESERVE} ;
            tr:usableFlashBytes {FLASH} ; tr:reservedFlashBytes {FLASH_RESERVE} ;
            tr:hasProcessor [ a tr:Microcontroller ; tr:hasFPU true ] ;
            tr:hasRuntime [ a tr:RuntimeInstall ; tr:runtime tr:TFLM ; tr:runtimeRamBytes {OWN_OVERHEAD} ] .""")
    return g.serialize(format="nt")


def _model(name: str, arena: int, flash: int) -> tuple[str, str]:
    iri = f"https://w3id.org/tinyreg/id/model/{name}/v1"
    g = rdflib.Graph().parse(format="turtle", data=f"""
        @prefix tr: <{TR}> .
        <{iri}> a tr:ModelVersion ; tr:arenaBytes {arena} ; tr:modelFlashBytes {flash} ;
            tr:usesOperator [ tr:operator <https://w3id.org/tinyreg/op/CONV_2D> ] .""")
    return iri, g.serialize(format="nt")


@pytest.fixture
def edges(registry):
    models = dict([_model("exact", FREE_RAM, FREE_FLASH), _model("ram-over", FREE_RAM + 1, FREE_FLASH),
                   _model("flash-over", FREE_RAM, FREE_FLASH + 1)])
    registry.store.put_graphs({DEVICE: _device(), **models})
    return registry, models


def test_a_model_that_needs_exactly_the_free_memory_fits_with_nothing_to_spare(edges):
    registry, models = edges
    exact = "https://w3id.org/tinyreg/id/model/exact/v1"
    for verdict in (compat.check(registry, exact, DEVICE), compat.check_shacl(registry, exact, DEVICE)):
        assert verdict.runs is True and verdict.fits is True
        assert [r.constraint.rsplit("#", 1)[1] for r in verdict.results] == ["FlashHeadroom", "RamHeadroom"]
        assert all(r.severity == INFO and r.message.endswith("; 0 B to spare") for r in verdict.results)
    headroom = compat.check(registry, exact, DEVICE).headroom
    assert headroom["RAM"] == {
        "needed": FREE_RAM + OWN_OVERHEAD, "capacity": RAM, "capacity_kind": "usable",
        "reserved": RAM_RESERVE, "available": RAM - RAM_RESERVE, "difference": 0,
        "items": [{"what": "tensor arena", "bytes": FREE_RAM, "basis": "measured"},
                  {"what": "TensorFlow Lite Micro, the device's own figure", "bytes": OWN_OVERHEAD}]}
    assert headroom["flash"]["items"][1] == {"what": f"TensorFlow Lite Micro ({TFLM_SOURCE})",
                                             "bytes": TFLM_CODE}


@pytest.mark.parametrize("name, shape, message", [
    ("ram-over", "RamFit", f"needs {FREE_RAM + OWN_OVERHEAD + 1:,} B of RAM: {FREE_RAM + 1:,} B tensor arena "
                           f"(measured) + {OWN_OVERHEAD:,} B for TensorFlow Lite Micro, the device's own figure; "
                           f"the device has {RAM - RAM_RESERVE:,} B free ({RAM:,} B usable less "
                           f"{RAM_RESERVE:,} B reserved): 1 B short"),
    ("flash-over", "FlashFit", f"needs {FREE_FLASH + TFLM_CODE + 1:,} B of flash: {FREE_FLASH + 1:,} B model "
                               f"(measured) + {TFLM_CODE:,} B for TensorFlow Lite Micro ({TFLM_SOURCE}); "
                               f"the device has {FLASH - FLASH_RESERVE:,} B free ({FLASH:,} B usable less "
                               f"{FLASH_RESERVE:,} B reserved): 1 B short"),
])
def test_one_byte_more_does_not_fit_and_says_so(edges, name, shape, message):
    registry, _ = edges
    iri = f"https://w3id.org/tinyreg/id/model/{name}/v1"
    engine, shacl = compat.check(registry, iri, DEVICE), compat.check_shacl(registry, iri, DEVICE)
    assert _key(engine.results) == _key(shacl.results)
    assert (engine.runs, engine.fits) == (shacl.runs, shacl.fits) == (False, False)
    [result] = engine.violations
    assert result.constraint.endswith("#" + shape) and result.severity == VIOLATION
    assert result.message == message
    resource = "RAM" if shape == "RamFit" else "flash"
    assert engine.headroom[resource]["difference"] == -1


def test_the_engine_of_one_pair_and_of_the_fleet_agree(edges):
    registry, models = edges
    for iri in models:
        alone = Engine.load(registry.store, model=iri, device=DEVICE)
        whole = compat.fleet_engine(registry)
        assert _key(alone.verdict(0, 0).results) == _key(
            whole.verdict(whole.model(iri), whole.device(DEVICE)).results)


def test_float32_without_an_fpu_is_a_warning_not_a_violation(registry):
    device = "https://w3id.org/tinyreg/id/device/no-fpu"
    model = "https://w3id.org/tinyreg/id/model/float/v1"
    registry.store.put_graphs({
        device: _device().replace(DEVICE, device).replace('"true"^^<http://www.w3.org/2001/XMLSchema#boolean>',
                                                          '"false"^^<http://www.w3.org/2001/XMLSchema#boolean>'),
        model: _model("float", 1000, 1000)[1] + f"<{model}> <{TR}numberFormat> <{TR}Float32> .\n"})
    for verdict in (compat.check(registry, model, device), compat.check_shacl(registry, model, device)):
        assert verdict.fits
        [warning] = verdict.warnings
        assert warning.severity == WARNING and warning.constraint.endswith("#FloatNeedsFPU")
        assert warning.message.startswith("float32 model on a core without an FPU")


def test_sensors_nested_several_levels_deep_count(registry):
    # An IMU module whose board carries the sensors: the sub-systems are two levels down.
    def board(name: str, deep: str) -> tuple[str, str]:
        iri = f"https://w3id.org/tinyreg/id/device/{name}"
        return iri, rdflib.Graph().parse(format="turtle", data=f"""
            @prefix tr: <{TR}> . @prefix ssn: <http://www.w3.org/ns/ssn/> .
            <{iri}> a tr:MicrocontrollerBoard ; tr:usableRamBytes 262144 ; tr:usableFlashBytes 1048576 ;
                tr:hasRuntime [ a tr:RuntimeInstall ; tr:runtime tr:TFLM ] ;
                tr:hasSensor [ a tr:IMU ; ssn:hasSubSystem [ a tr:Gyroscope ;
                    ssn:hasSubSystem [ a tr:{deep} ] ] ] .""").serialize(format="nt")
    model = "https://w3id.org/tinyreg/id/model/compass/v1"
    graphs = dict([board("deep-magnetometer", "Magnetometer"), board("deep-accelerometer", "Accelerometer")])
    graphs[model] = rdflib.Graph().parse(format="turtle", data=f"""
        @prefix tr: <{TR}> .
        <{model}> a tr:ModelVersion ; tr:arenaBytes 1000 ; tr:modelFlashBytes 1000 ;
            tr:requiresSensor tr:Magnetometer , tr:Gyroscope .""").serialize(format="nt")
    registry.store.put_graphs(graphs)
    engine = compat.fleet_engine(registry)
    fits = {}
    for device, text in graphs.items():
        if device == model:
            continue
        ours = engine.verdict(engine.model(model), engine.device(device))
        assert _key(ours.results) == _key(validate_pair(graphs[model], text, model, device))
        fits[device.rsplit("/", 1)[1]] = ours.runs, ours.fits
    assert fits == {"deep-magnetometer": (True, True), "deep-accelerometer": (True, False)}
