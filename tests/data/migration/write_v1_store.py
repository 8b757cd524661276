"""Writes the data-version-1 store the migration test opens, with the code of that release.

Run it with a checkout of the release before the need/capacity split (main at 8986526,
ontology 0.2.0) importable as `tinyreg`, e.g. from a worktree of that commit:

    python tests/data/migration/write_v1_store.py OUT_DIR

It registers what a store of that release holds (the board catalog, the demo models with
their TFLM measurements, the research prototype's Turtle with declared figures, a Thing
Description with a device of its own reserve and runtime, a deployment) and writes:

- OUT_DIR/v1-store.nq.gz: every named graph of the store, as N-Quads;
- OUT_DIR/v1-answers.json: the answers that release gave: per model version and device,
  whether it fits and is warned; the device listing; each model version's flash figure;
  and the competency question "which devices can run this model?" for every version.

Only the registry's public functions are called, so that the script runs on that release.
"""
from __future__ import annotations

import gzip
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEVICES = HERE.parent / "devices"


def main(out: Path) -> None:
    from tinyreg.deploy import records
    from tinyreg.registry import Registry, compat, load_settings
    from tinyreg.registry.competency import competency_question
    from tinyreg.registry.demo import load_demo
    from tinyreg.registry.devices.register import add_device, list_devices
    from tinyreg.registry.store import IRI
    from tinyreg.registry.vocab import device_iri, version_iri

    with tempfile.TemporaryDirectory() as tmp, \
            Registry(load_settings(environ={}, data_dir=str(Path(tmp) / "data"))) as registry:
        registry.init()
        load_demo(registry)
        add_device(registry, (DEVICES / "prototype.ttl").read_bytes(), "prototype.ttl")
        add_device(registry, (DEVICES / "td11-tinyml.jsonld").read_bytes(), "td11-tinyml.jsonld")
        kws, nano = version_iri("kws-micro", 1), device_iri("arduino-nano-33-ble-sense-rev2")
        rollout = records.NewRollout(
            records.rollout_iri("v1-fixture"), kws, [1], 0.5, 1, "fixture",
            deployments=[records.NewDeployment(records.new_deployment_iri("v1-fixture", 0),
                                               nano, kws, 0, "http")])
        records.create(registry, rollout)
        records.activate(registry, [records.Change(rollout.deployments[0].iri, records.ACTIVE,
                                                   ended=True)], {rollout.deployments[0].iri: nano})

        store = registry.store
        quads = []
        for name in sorted(store.graph_names()):
            for s, p, o in store.get_graph(name):
                quads.append(f"{s.n3()} {p.n3()} {o.n3()} <{name}> .\n")
        with gzip.open(out / "v1-store.nq.gz", "wt", encoding="utf-8") as handle:
            handle.writelines(sorted(quads))

        matrix = compat.matrix(registry)
        fits = {}
        for i, model in enumerate(matrix.models):
            row, warned = matrix.row(i), matrix.warned_row(i)
            fits[model] = {device: [bool(row[j]), bool(warned[j])]
                           for j, device in enumerate(matrix.devices)}
        flash = {r["v"]: r["f"] for r in store.select(
            "SELECT ?v ?f WHERE { ?v a <https://w3id.org/tinyreg/ontology#ModelVersion> ; "
            "<https://w3id.org/tinyreg/ontology#flashBytes> ?f }")}
        question = competency_question("devices-for-model")
        devices_for_model = {
            model: sorted(r["device"] for r in store.select(question.sparql, {"model": IRI(model)}))
            for model in matrix.models}
        answers = {"fits": fits, "devices": list_devices(registry), "model_flash": flash,
                   "devices_for_model": devices_for_model}
        (out / "v1-answers.json").write_text(json.dumps(answers, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
