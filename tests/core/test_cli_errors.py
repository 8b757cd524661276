"""Every CLI error case of issue 15 is one line, exit code 2, and names what to change.

The commands run through click in this process with `catch_exceptions=False`, so a traceback
fails the test; the output (stdout and stderr together) must be one line at most two. A
registry with one small model and one board is made once for the module.
"""
from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from tinyreg.registry import Registry, load_settings
from tinyreg.registry.devices.register import add_device
from tinyreg.registry.models import register_model
from tinyreg.registry.tflite import writer
from tinyreg.web.cli import cli

from ..conftest import DATA

CARD = {"name": "Tiny KWS", "task": "keyword-spotting", "sensors": ["microphone"],
        "metrics": [{"metric": "accuracy", "value": 0.9, "dataset": "Speech Commands"}]}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli-errors")
    data = root / "data"
    with Registry(load_settings(environ={}, data_dir=str(data))) as registry:
        registry.init()
        register_model(registry, writer.fully_connected(inputs=24, units=3), CARD)
        board = add_device(registry, (DATA / "devices" / "td11-tinyml.jsonld").read_bytes(),
                           "td11-tinyml.jsonld").devices[0]
    model_file = root / "tiny.tflite"
    model_file.write_bytes(writer.fully_connected(inputs=24, units=3))
    garbage = root / "garbage.ttl"
    garbage.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b \"unterminated ;\n{{ <<\n")
    return root, data, board.rsplit("/", 1)[-1], model_file, garbage


def run(data, *args):
    result = CliRunner().invoke(cli, ["--data", str(data), *map(str, args)],
                                catch_exceptions=False)
    return result.exit_code, [line for line in result.output.splitlines() if line.strip()]


CASES = [
    # (arguments, what the one line must say)
    (("query", "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"),
     "SERVICE is disabled"),
    (("query", "SELECT ?x WHERE { ?x foo:bar ?y }"), "the prefix `foo:` is not declared"),
    (("query", "INSERT DATA { <urn:a> <urn:b> <urn:c> }"), "this is a SPARQL Update (INSERT"),
    (("query", "SELEC ?x WHERE { ?x ?p ?o }"), "must start with SELECT, ASK, CONSTRUCT"),
    (("device", "add", "{garbage}"), "not readable Turtle"),
    (("model", "add", "{model}", "--version-of", "nope"), "--version-of nope: no such model"),
    (("model", "add", "{model}", "--version-of", "tiny-kws", "--metric", "accuracy=0.5"),
     "already registered as tiny-kws@1 (same SHA-256), whose card says otherwise about metrics"),
    (("what-if", "--model", "tiny-kws"), "say what changes: --arena or --flash"),
    (("what-if", "--device", "{board}"), "say what changes: --ram or --flash"),
    (("what-if", "--device", "{board}", "--arena", "-100"), "--arena changes a model version"),
    (("what-if", "--model", "tiny-kws", "--ram", "100"), "--ram changes a device"),
    (("best", "{board}", "--task", "juggling", "--metric", "accuracy"),
     "--task: unknown task 'juggling'; use one of: activity-recognition"),
    (("best", "{board}", "--task", "keyword-spotting", "--metric", "speed"),
     "--metric: unknown metric 'speed'; use one of: accuracy"),
    (("match",), "give either --model or --device"),
    (("device", "show", "!!!"), "!!!"),
    (("check", "no-such-model", "{board}"), "no model 'no-such-model'"),
    (("model", "show", "no-such-model@x"), "not a version number"),
]


@pytest.mark.parametrize("args, says", CASES, ids=[f"{a[0]}-{i}" for i, (a, _) in enumerate(CASES)])
def test_each_error_is_one_line_and_exit_2(seeded, args, says):
    root, data, board, model_file, garbage = seeded
    places = {"{board}": board, "{model}": str(model_file), "{garbage}": str(garbage)}
    args = [places.get(a, a) for a in args]
    code, lines = run(data, *args)
    assert code == 2 and len(lines) == 1, lines
    assert says in lines[0] and "Traceback" not in lines[0], lines[0]


def test_a_mistyped_data_directory_is_refused_and_not_made(seeded, tmp_path):
    typo = tmp_path / "dta"
    code, lines = run(typo, "stats")
    assert code == 2 and len(lines) == 1 and f"--data {typo}: no such directory" in lines[0]
    assert not typo.exists()
    assert run(typo, "init")[0] == 0 and run(typo, "stats")[0] == 0


def test_the_documented_spellings_work_and_empty_answers_say_what_to_try(seeded):
    root, data, board, _, _ = seeded
    copy = root / "copy"
    shutil.copytree(data, copy, dirs_exist_ok=True)
    for task, metric in (("keyword-spotting", "accuracy"), ("KeywordSpotting", "Accuracy"),
                         ("https://w3id.org/tinyreg/ontology#KeywordSpotting", "accuracy")):
        code, lines = run(copy, "best", board, "--task", task, "--metric", metric, "--explain")
        assert code == 0 and any("tiny-kws@1" in line for line in lines), lines
    code, lines = run(copy, "model", "list")
    assert code == 0 and "keyword-spotting" in lines[2]
    # Same bytes with the same card facts: nothing to refuse.
    code, lines = run(copy, "model", "add", root / "tiny.tflite", "--version-of", "tiny-kws",
                      "--metric", "accuracy=0.9", "--dataset", "Speech Commands")
    assert code == 0 and lines[0].startswith("already registered:")
    code, lines = run(copy, "what-if", "--model", "tiny-kws", "--arena", "1")
    assert code == 0 and lines[-1].startswith("no pair would change")
