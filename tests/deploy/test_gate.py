"""The deploy gate asks `fits` unless told `runs_only`, and does not send on an unknown answer,
saying what is missing."""
from __future__ import annotations

import json

import rdflib

from tinyreg.deploy.gate import check_devices
from tinyreg.registry.devices.register import add_device
from tinyreg.registry.references import resolve_model
from tinyreg.registry.vocab import TR

from .conftest import iri_of, make_td


def _listening_kws(registry) -> str:
    """kws@1, stated to need a microphone (its input), as `--sensor microphone` registers it."""
    version = resolve_model(registry, "kws@1")
    graph = registry.store.get_graph(version)
    graph.add((rdflib.URIRef(version), TR.requiresSensor, TR.Microphone))
    registry.store.put_graph(version, graph)
    return version


def test_the_gate_asks_fits_unless_told_runs_only_and_never_sends_an_unknown(registry):
    plain = make_td("no-mic")
    totals = make_td("totals-only")
    totals["totalRamBytes"] = totals.pop("ramBytes")
    del totals["reservedRamBytes"]
    for name, td in (("no-mic", plain), ("totals-only", totals)):
        add_device(registry, json.dumps(td).encode(), f"{name}.td.jsonld")
    version = _listening_kws(registry)
    devices = [iri_of("no-mic"), iri_of("totals-only")]

    fits = check_devices(registry, version, devices)
    assert not fits[iri_of("no-mic")].fits
    assert fits[iri_of("no-mic")].explanation.startswith("no microphone on the device")

    runs = check_devices(registry, version, devices, runs_only=True)
    assert runs[iri_of("no-mic")].fits and runs[iri_of("no-mic")].explanation is None

    # A missing sensor is a sure no, whatever else is unknown; leaving sensors aside, what
    # remains is unknown: not sent, and the gate says what is missing.
    assert fits[iri_of("totals-only")].explanation.startswith("no microphone on the device")
    unknown = runs[iri_of("totals-only")]
    assert not unknown.fits
    assert unknown.explanation.startswith("unknown: usable RAM. The device states 262,144 B of RAM in all")
    assert "unknown: unknown" not in unknown.explanation
