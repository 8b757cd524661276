"""The registry on an Oxigraph server and on Virtuoso against the embedded store, side by side.

The same work runs on the three stores in one run: registering a fleet of device files (the
devices benchmark's generator) and single devices, registering model versions (TFLM
measures each), matching one model against the fleet with the compatibility engine (cold:
the engine reads the fleet from the store; warm: its arrays are cached and only the
revision is read), the example questions (which call the registry's SPARQL functions) and
the prototype's three questions in plain SPARQL. Our figures are the servers'; the
anchor is the embedded store's, measured in the same run; the overhead is server/embedded.
The servers run on loopback (started as the test suite starts them), so the figures show
the protocol's and the server's cost, not a network's. Set TINYREG_BENCH_REMOTE_DEVICES for
another fleet size, TINYREG_BENCH_REMOTE_SERVERS=oxigraph for one server only.
"""
from __future__ import annotations

import functools
import json
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from bench_devices import platformio, boards, write_fleet
from common import best_of, report

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test suite's server helper
from tests.remote.server import OxigraphServer, VirtuosoServer  # noqa: E402

from tinyreg.registry import Registry, load_settings, sparql_functions  # noqa: E402
from tinyreg.registry.competency import competency_question  # noqa: E402
from tinyreg.registry.compat import devices_for_model  # noqa: E402
from tinyreg.registry.devices.register import add_device, import_dir  # noqa: E402
from tinyreg.registry.errors import TinyregError  # noqa: E402
from tinyreg.registry.examples import EXAMPLES  # noqa: E402
from tinyreg.registry.models import register_model  # noqa: E402
from tinyreg.registry.store import IRI  # noqa: E402
from tinyreg.registry.tflite import writer  # noqa: E402
from tinyreg.registry.vocab import REGISTRY_ROOT, TR  # noqa: E402

DEVICES = int(os.environ.get("TINYREG_BENCH_REMOTE_DEVICES", "3000"))
SERVERS = {"oxigraph": OxigraphServer, "virtuoso": VirtuosoServer}
KINDS = [k for k in os.environ.get("TINYREG_BENCH_REMOTE_SERVERS", "oxigraph,virtuoso").split(",") if k]
SINGLE_DEVICES = 20
# The prototype's three questions in plain SPARQL (ontology/competency/).
COMPETENCY = ("devices-for-model", "models-for-device", "best-model-for-task")
FAILED: dict[tuple[str, str], str] = {}  # (store, work) -> why it failed
MODELS = [(writer.conv2d(size=16, channels=1, filters=f), f"KWS conv {f}", 0.80 + f / 100)
          for f in (4, 6, 8)]


@contextmanager
def registry_on(kind: str, tmp: Path) -> Iterator[Registry]:
    if kind == "embedded":
        with Registry(load_settings(environ={}, data_dir=str(tmp / "embedded"))) as reg:
            yield reg
        return
    server = SERVERS[kind](tmp / f"{kind}-server")
    (tmp / f"{kind}-server").mkdir()
    server.start()
    try:
        with Registry(load_settings(environ={}, data_dir=str(tmp / f"{kind}-data"),
                                    **server.settings)) as reg:
            yield reg
    finally:
        server.stop()


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def warm_up(tmp: Path) -> None:
    """Import, measure and query once before timing, so that neither store pays the first
    run's costs (imports, JSON-LD contexts, the TFLM sandbox) for the other."""
    folder = tmp / "warm-up-fleet"
    folder.mkdir()
    write_fleet(folder, 30, seed=5)
    with Registry(load_settings(environ={}, data_dir=str(tmp / "warm-up"))) as reg:
        reg.init()
        import_dir(reg, folder)
        version = register_model(reg, MODELS[0][0], {"name": "warm up"}).iri
        devices_for_model(reg, version)


def run(kind: str, tmp: Path, fleet: Path) -> dict[str, float]:
    figures: dict[str, float] = {}
    with registry_on(kind, tmp) as reg:
        reg.init()
        figures[f"register {DEVICES} device files (import_dir)"] = timed(lambda: import_dir(reg, fleet))

        templates = boards()
        singles = iter(range(SINGLE_DEVICES * 10))

        def add_one() -> None:
            i = next(singles)
            data = json.dumps(platformio(i, templates[i % len(templates)])).encode()
            add_device(reg, data, f"single-{kind}-{i}.json")
        figures["register one device (add_device)"] = best_of(add_one, SINGLE_DEVICES)

        versions = []
        start = time.perf_counter()
        for data, name, accuracy in MODELS:
            card = {"name": name, "task": "keyword-spotting", "license": "Apache-2.0",
                    "metrics": [{"metric": "accuracy", "value": accuracy,
                                 "dataset": "Speech Commands"}]}
            versions.append(register_model(reg, data, card).iri)
        figures["register one model version (TFLM measures it)"] = \
            (time.perf_counter() - start) / len(MODELS)

        def cold() -> None:
            reg.cache.clear()
            devices_for_model(reg, versions[0])
        figures["match one model against the fleet, cold (engine built)"] = best_of(cold, 3)
        devices_for_model(reg, versions[0])
        figures["match one model against the fleet, warm (cached arrays)"] = \
            best_of(lambda: devices_for_model(reg, versions[0]), 20)

        figures["list the graph names"] = best_of(reg.store.graph_names, 5)

        fitting = [m.iri for m in devices_for_model(reg, versions[0]) if m.fits]
        figures["_fitting devices"] = len(fitting)
        values = {"model": IRI(versions[0]), "device": IRI(fitting[0]),
                  "task": IRI(TR.KeywordSpotting)}
        # The examples call the registry's SPARQL functions: a server store answers them on
        # the registry's local copy of its graphs (registry/store/mirror.py), built by the
        # first. The competency questions are plain SPARQL, answered by the store itself.
        for example in EXAMPLES:
            bound = {p: values[p] for p in example.parameters}
            ask = functools.partial(sparql_functions.query, reg, example.sparql, bound)
            try:
                figures[f"_rows of '{example.title}'"] = len(ask().rows)
            except TinyregError as exc:  # a figure the store cannot give is said, not hidden
                FAILED[(kind, f"example '{example.title}'")] = exc.detail
                continue
            figures[f"example '{example.title}'"] = best_of(ask, 15)
        for key in COMPETENCY:
            question = competency_question(key)
            bound = {p: values[p] for p in question.parameters}
            ask = functools.partial(reg.store.select, question.sparql, bound)
            figures[f"_rows of {key}.rq"] = len(ask())
            figures[f"competency question {key}.rq"] = best_of(ask, 15)
        # The registry's graphs only: the stores count revisions differently, and Virtuoso
        # keeps graphs of its own.
        figures["_triples"] = reg.store.select(
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
            "FILTER(STRSTARTS(STR(?g), ?root)) }", {"root": REGISTRY_ROOT})[0]["n"]
    return figures


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        fleet = tmp / "fleet"
        fleet.mkdir()
        write_fleet(fleet, DEVICES)
        warm_up(tmp)
        embedded = run("embedded", tmp, fleet)
        servers = {kind: run(kind, tmp, fleet) for kind in KINDS}
    for (kind, name), why in FAILED.items():
        print(f"FAILED on {kind}: {name}: {why}")
    answers = {k: v for k, v in embedded.items() if k.startswith("_")}
    for kind, figures in servers.items():
        theirs = {k: v for k, v in figures.items() if k.startswith("_")}
        assert {k: v for k, v in answers.items() if k in theirs} == theirs, (kind, answers, theirs)
    print(f"fleet: {DEVICES} device files, {answers['_triples']} triples on each store; "
          f"{answers['_fitting devices']} devices fit the first model; the same answers on "
          f"all {1 + len(servers)} stores")
    for name, anchor in embedded.items():
        if name.startswith("_"):
            continue
        for kind, figures in servers.items():
            if name in figures:
                report(f"{name} on {kind}", figures[name], anchor, "embedded store")
        print("   overhead against embedded: " + ", ".join(
            f"{kind} {figures[name] / anchor:.2f}x" if name in figures else f"{kind} failed"
            for kind, figures in servers.items()), flush=True)
    print()
    print("| work | embedded | " + " | ".join(servers) + " |")
    print("|---|---|" + "---|" * len(servers))
    for name, anchor in embedded.items():
        if not name.startswith("_"):
            print(f"| {name} | {_seconds(anchor)} | " + " | ".join(
                f"{_seconds(f[name])} ({f[name] / anchor:.2f}x)" if name in f else "failed"
                for f in servers.values()) + " |")


def _seconds(value: float) -> str:
    return f"{value:.2f} s" if value >= 0.1 else f"{value * 1000:.1f} ms"


if __name__ == "__main__":
    main()
