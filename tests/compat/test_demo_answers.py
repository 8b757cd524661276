"""The demo prints nothing the compatibility engine would contradict.

`tinyreg demo --no-serve` runs on a copy of the demo seed (nothing new to load), and each
line it prints is checked against the engine: the devices it says the model runs on fit, the
count with "... and N more" is the engine's count, the models it lists for the board fit it,
and each pair it prints as refused or unknown is so for the reasons the engine gives.
"""
from __future__ import annotations

import re
import shutil

from click.testing import CliRunner

from tinyreg.registry import Registry, load_settings
from tinyreg.registry.compat import HEADROOM, check, devices_for_model, fleet_engine, models_for_device
from tinyreg.registry.demo import DEMO_MODELS
from tinyreg.web.cli import cli
from tinyreg.web.cli.demo import DEMO_DEVICE, DEMO_MODEL, QUESTIONS, _name

_ROW = re.compile(r"  (\S+)  (.+?)(?:  \((.*)\))?$")
_MORE = re.compile(r"  \.\.\. and (\d+) more$")


def _sections(out: str) -> dict[str, tuple[list[tuple[str, str | None]], int]]:
    """Each question's printed rows (identifier, reason) and how many it says there are."""
    found = {}
    for block in out.split("\n\n")[1:]:
        title, *lines = block.splitlines()
        rows, more = [], 0
        for line in lines:
            if (m := _MORE.match(line)):
                more = int(m[1])
            elif (m := _ROW.match(line)):
                rows.append((m[1], m[3]))
        if title.endswith(")"):  # a question and its subject (the closing hint is not)
            found[title.split(" (")[0]] = (rows, len(rows) + more)
    return found


def test_the_demo_says_what_the_engine_says(demo_seed, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(demo_seed, data)
    run = CliRunner().invoke(cli, ["--data", str(data), "demo", "--no-serve"],
                             catch_exceptions=False)
    assert run.exit_code == 0, run.output
    assert f"data: {data}" in run.stdout
    sections = _sections(run.stdout)
    assert set(sections) == {q.title for q in QUESTIONS}
    with Registry(load_settings(environ={}, data_dir=str(data))) as registry:
        engine = fleet_engine(registry)
        ids = {_name(iri): iri for iri in engine.fleet.devices + engine.fleet.models}
        fitting = {m.iri for m in devices_for_model(registry, DEMO_MODEL)}
        rows, total = sections["Which devices can run this model?"]
        assert {ids[i] for i, _ in rows} <= fitting and total == len(fitting) > 15
        rows, total = sections["Which models can run on this device?"]
        models = {m.iri for m in models_for_device(registry, DEMO_DEVICE)}
        assert {ids[i] for i, _ in rows} == models and total == len(models)
        # Every real model the demo loaded is among them: the board has a microphone.
        assert {f"{m.file().stem.replace('_', '-')}@1" for m in DEMO_MODELS[:4]} <= \
            {i for i, _ in rows}
        rows, total = sections["Where does this model not fit, or is not known to, and why?"]
        assert total == len(engine.fleet.devices) - len(fitting)
        for device, reason in rows:
            verdict = check(registry, DEMO_MODEL, ids[device])
            assert verdict.fits is not True
            assert reason == "; ".join(r.message for r in verdict.results if r.group != HEADROOM)


def test_the_demo_cards_name_source_and_licence_and_no_metric(demo_seed):
    from tinyreg.registry.entities import model_view
    with Registry(load_settings(environ={}, data_dir=str(demo_seed))) as registry:
        for model in DEMO_MODELS:
            stem = "tflm-sine" if model.package == "tflite_micro" else \
                model.file().stem.replace("_", "-")
            view = model_view(registry, stem)
            assert view["license"] == "Apache-2.0"
            assert view["source"].startswith(f"{model.distribution} ") and "https://" in view["source"]
            assert not view.get("evaluations"), view["evaluations"]
