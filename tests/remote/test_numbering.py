"""Version numbers across processes: each `tinyreg serve` worker, or each host, registers on
its own; the numbers are claimed in the store (registry/models/numbering.py)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tinyreg.registry import Registry, load_settings
from tinyreg.registry.models import numbering, register_model
from tinyreg.registry.vocab import version_iri

from ..conftest import open_remote

_REGISTER = """
import json, sys
from tinyreg.registry import Registry, load_settings
from tinyreg.registry.models import register_model
from tinyreg.registry.tflite import writer
settings, data, first = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
with Registry(load_settings(environ={}, data_dir=data, **settings)) as registry:
    for filters in range(first, first + 3):  # different bytes: a new version each time
        done = register_model(registry, writer.conv2d(size=8, filters=filters),
                              {"name": "Shared KWS", "task": "keyword-spotting",
                               "license": "Apache-2.0"})
        print(done.number, flush=True)
"""


def test_two_processes_registering_one_model_get_distinct_gapless_numbers(server, tmp_path):
    with Registry(load_settings(environ={}, data_dir=str(tmp_path / "init"),
                                **server.settings)) as registry:
        registry.init()
    procs = [subprocess.Popen(
        [sys.executable, "-c", _REGISTER, json.dumps(server.settings),
         str(tmp_path / f"worker-{i}"), str(2 + 3 * i)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    numbers = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]
        numbers += [int(line) for line in out.split()]
    assert sorted(numbers) == [1, 2, 3, 4, 5, 6]
    store = open_remote(server.settings)
    stored = store.select("PREFIX tr: <https://w3id.org/tinyreg/ontology#> "
                          "SELECT ?n WHERE { ?v tr:versionOf ?m ; tr:versionNumber ?n }")
    assert sorted(row["n"] for row in stored) == [1, 2, 3, 4, 5, 6]
    # Every claim was dropped once its version was written.
    assert store.select(f"SELECT ?s WHERE {{ GRAPH <{numbering.CLAIMS_GRAPH}> {{ ?s ?p ?o }} }}") == []


@pytest.mark.stores("remote")  # on the embedded store no other process can hold a claim
def test_a_live_claim_is_waited_for_and_a_stale_one_taken_over(registry, monkeypatch):
    # Another process holds number 1 (claimed, version not yet written): a registration
    # waits for it rather than skip it (which would leave a gap should that one fail) ...
    from tinyreg.registry.errors import Conflict
    from tinyreg.registry.tflite import writer
    card = {"name": "Claimed", "task": "keyword-spotting", "license": "Apache-2.0"}
    number, token = numbering.claim(registry.store, "claimed", version_iri)
    assert number == 1
    monkeypatch.setattr(numbering, "ATTEMPTS", 3)
    with pytest.raises(Conflict, match="'claimed'"):
        register_model(registry, writer.conv2d(size=8, filters=2), card)
    # ... and takes the number over once the claim is older than a registration can take
    # (its process died between claim and write).
    monkeypatch.setattr(numbering, "STALE_S", 0)
    assert register_model(registry, writer.conv2d(size=8, filters=2), card).number == 1
