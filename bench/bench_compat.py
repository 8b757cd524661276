"""Compatibility at fleet scale: the engine against pySHACL and against one SPARQL query.

A synthetic fleet (tests/compat/synthetic.py: 100,000 devices and 1,000 model versions in
the registry's contract, many of them on exact boundaries) goes into an embedded store on
disk, written by a child process so that the peak memory reported here is the engine's.
Then, side by side in this run:
- the full matrix with every constraint of shapes/ on the engine, against pySHACL's time
  per pair (measured on sample pairs) and one SPARQL query per model (measured on one
  model), both scaled to the matrix;
- one model against the whole fleet: the engine against that one SPARQL query;
- agreement: the engine's results equal pySHACL's on the sample pairs, result by result,
  and its verdicts equal the SPARQL query's for that model on every device;
- the engine's build from the store, whole, and its refresh from the store's change log
  after one device is added and after one model version is replaced, against the whole
  build; the refreshed engine's matrix equals that of an engine built afresh.
TINYREG_BENCH_DEVICES / TINYREG_BENCH_MODELS make the fleet smaller for a quick run.
"""
from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

from common import best_of, peak_rss_mb, report

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.compat import reference, synthetic  # noqa: E402  (the repository root is on the path now)
from tinyreg.registry import Registry, compat, load_settings  # noqa: E402
from tinyreg.registry.compat.engine import Engine  # noqa: E402
from tinyreg.registry.compat.shacl import validate_pair  # noqa: E402

DEVICES = int(os.environ.get("TINYREG_BENCH_DEVICES", 100_000))
MODELS = int(os.environ.get("TINYREG_BENCH_MODELS", 1_000))
PYSHACL_PAIRS = 40

_LOAD = textwrap.dedent("""
    import sys
    sys.path.insert(0, {repo!r})
    from tests.compat import synthetic
    from tinyreg.registry import Registry, load_settings
    registry = Registry(load_settings(environ={{}}, data_dir={data!r}))
    registry.init()
    registry.store.bulk_load(synthetic.devices({devices}))
    registry.store.bulk_load(synthetic.models({models}))
    registry.close()
""")


def _entity_ntriples(registry, iri: str) -> str:
    return registry.store.get_graph(iri).serialize(format="nt")


def _timed_refresh(registry) -> tuple[float, Engine]:
    start = time.perf_counter()
    engine = compat.fleet_engine(registry)
    return time.perf_counter() - start, engine


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = str(Path(tmp) / "data")
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", _LOAD.format(repo=str(REPO), data=data, devices=DEVICES,
                                                           models=MODELS)], check=True)
        print(f"fleet: {DEVICES:,} devices, {MODELS:,} model versions written in "
              f"{time.perf_counter() - start:.1f} s (child process)", flush=True)
        registry = Registry(load_settings(environ={}, data_dir=data))
        start = time.perf_counter()
        engine = compat.fleet_engine(registry)
        build = time.perf_counter() - start
        print(f"engine built from the store in {build:.1f} s (then refreshed after each write)",
              flush=True)
        pairs = len(engine.fleet.models) * len(engine.fleet.devices)
        start = time.perf_counter()
        engine.fleet.device_names
        names = time.perf_counter() - start

        ours_matrix = best_of(engine.matrix, 3)
        fitting = int(engine.matrix().counts().sum())

        # pySHACL, one pair at a time, on sample pairs; its results must be the engine's.
        rng = random.Random(3)
        sample = [(rng.randrange(len(engine.fleet.models)), rng.randrange(len(engine.fleet.devices)))
                  for _ in range(PYSHACL_PAIRS)]
        texts = [(_entity_ntriples(registry, engine.fleet.models[m]),
                  _entity_ntriples(registry, engine.fleet.devices[d])) for m, d in sample]
        start = time.perf_counter()
        theirs = [validate_pair(mt, dt, engine.fleet.models[m], engine.fleet.devices[d])
                  for (m, d), (mt, dt) in zip(sample, texts)]
        pyshacl_pair = (time.perf_counter() - start) / len(sample)
        differences = sum(
            [(r.severity, r.constraint, r.message, r.path, r.value) for r in engine.results(m, d)]
            != [(r.severity, r.constraint, r.message, r.path, r.value) for r in results]
            for (m, d), results in zip(sample, theirs))

        # One SPARQL query for one model over the fleet; its verdicts must be the engine's.
        model = engine.fleet.models[0]
        start = time.perf_counter()
        sparql_fits = reference.fitting_pairs(registry.store, model)
        sparql_model = time.perf_counter() - start
        blocked, _ = engine.verdicts(np.array([0]))
        engine_fits = {engine.fleet.devices[d] for d in np.flatnonzero(~blocked[0])}
        same_verdicts = engine_fits == {d for _, d in sparql_fits}

        one_model = best_of(lambda: engine.verdicts(np.array([0])), 50)
        listing = best_of(lambda: compat.devices_for_model(registry, model), 20)

        # Writes, and the refresh of the engine that follows each.
        rng = random.Random(4)
        registry.store.put_graph(*synthetic.device_graph(DEVICES + 1, rng))
        added, added_engine = _timed_refresh(registry)
        registry.store.put_graph(*synthetic.model_graph(1, rng))  # a new description of syn-1/v1
        replaced, replaced_engine = _timed_refresh(registry)
        start = time.perf_counter()
        fresh = Engine.load(registry.store)
        rebuild = time.perf_counter() - start
        same_matrix = (replaced_engine.fleet.devices == fresh.fleet.devices
                       and np.array_equal(replaced_engine.matrix().fits, fresh.matrix().fits)
                       and np.array_equal(replaced_engine.matrix().warned, fresh.matrix().warned))
        peak = peak_rss_mb()
        registry.close()

    print(f"{pairs:,} pairs, {fitting:,} fit; pySHACL agrees result by result on "
          f"{len(sample)} sample pairs with {differences} difference(s); the SPARQL query "
          f"{'gives the same' if same_verdicts else 'DISAGREES on'} verdicts on all "
          f"{len(engine.fleet.devices):,} devices of one model", flush=True)
    report(f"full matrix {MODELS:,} x {DEVICES:,}, every constraint", ours_matrix,
           pyshacl_pair * pairs, "pySHACL per pair, scaled", unit="s", target="< 2 s")
    report(f"full matrix {MODELS:,} x {DEVICES:,}, every constraint", ours_matrix,
           sparql_model * len(engine.fleet.models), "one SPARQL query per model, scaled",
           unit="s", target="< 2 s")
    report(f"one model vs {DEVICES:,} devices (verdict vector)", one_model * 1000,
           sparql_model * 1000, "one SPARQL query on the store", unit="ms", target="< 10 ms")
    report(f"one model vs {DEVICES:,} devices (devices_for_model, list of matches)", listing * 1000,
           sparql_model * 1000, "one SPARQL query on the store", unit="ms")
    report("per pair", ours_matrix / pairs * 1e6, pyshacl_pair * 1e6, "pySHACL per pair", unit="us")
    build = min(build, rebuild)
    print(f"engine build from the store, whole: {build:.2f} s (best of two; the device names "
          f"are read on the first listing: {names:.2f} s)", flush=True)
    print(f"after the writes the refreshed engine's matrix "
          f"{'equals' if same_matrix else 'DIFFERS FROM'} that of an engine built afresh "
          f"({added_engine.origin}, {replaced_engine.origin})", flush=True)
    report("engine refresh after adding one device", added, build, "whole build", unit="s")
    report("engine refresh after replacing one model version", replaced, build, "whole build",
           unit="s")
    print(f"peak memory of the process (engine, queries, matrix; not the loading): "
          f"{peak:.0f} MiB (target < 1024 MiB)", flush=True)
