"""1,500 fuzzed files of each device format (fuzz_files.py, a fixed seed) through the core's
import and, a sample of them, through the real command line: every file is registered or
refused with a one-line reason naming the file, never an exception or a traceback.
(tests/web/test_fuzz_api.py sends the same files to the API.)
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tinyreg.registry.devices.files import SUFFIXES
from tinyreg.registry.devices.register import import_paths, list_devices

from ..conftest import FUZZ_COUNT, run_tinyreg as _cli
from . import fuzz_files

@pytest.fixture(scope="module")
def corpus(tmp_path_factory, fuzz_corpus) -> dict[str, list[Path]]:
    root = tmp_path_factory.mktemp("fuzz")
    return {fmt: fuzz_files.write(root / fmt, files) for fmt, files in fuzz_corpus.items()}


def test_the_corpus_is_the_same_for_the_same_seed():
    for fmt in fuzz_files.FORMATS:
        assert fuzz_files.generate(fmt, 30) == fuzz_files.generate(fmt, 30)
        assert fuzz_files.generate(fmt, 30) != fuzz_files.generate(fmt, 30, seed=1)


# The readers are what is fuzzed, and they do not depend on the store; tests/devices/
# test_register.py runs the import itself on both stores.
@pytest.mark.stores("embedded")
def test_every_fuzzed_file_is_registered_or_refused_with_a_reason(registry, corpus):
    for fmt, paths in corpus.items():
        results = import_paths(registry, [str(p) for p in paths])
        assert [r.path for r in results] == [str(p) for p in paths] and len(paths) == FUZZ_COUNT
        refused = [r for r in results if not r.ok]
        # both outcomes occur, so the mutations neither always break a file nor never do
        assert 0 < len(refused) < FUZZ_COUNT, fmt
        for r in refused:
            assert r.error.strip() and "\n" not in r.error, (r.path, r.error)
            assert not r.devices and not r.models
        kinds = Counter(r.error.split(":")[0] for r in refused)
        assert len(kinds) > 5, (fmt, kinds)  # refused for many different reasons
    registered = {row["iri"] for row in list_devices(registry)}
    assert registered  # and what was accepted is in the store, readable
    assert all(iri.startswith("https://w3id.org/tinyreg/id/device/") for iri in registered)


# One `device import` of a sample of every format, and `device add` of the nastiest files,
# each in a process of its own: what a person would see.
_NASTY = [("td", "100,000-deep JSON", "[" * 100_000 + "]" * 100_000),
          ("td", "a 400-digit integer", None),
          ("zephyr", "an alias bomb", None),
          ("catalog", "boards: [1]", "boards: [1]\n"),
          ("zephyr", "supported: 5", "identifier: x/y\narch: arm\nram: 64\nsupported: 5\n")]


def test_the_command_line_reports_each_fuzzed_file_in_one_line(corpus, tmp_path):
    sample = tmp_path / "sample"
    sample.mkdir()
    for fmt, paths in corpus.items():
        for path in [p for p in paths if p.suffix in SUFFIXES][:40]:
            (sample / path.name).write_bytes(path.read_bytes())
    result = _cli("device", "import", str(sample), data_dir=tmp_path / "data")
    out = result.stdout + result.stderr
    assert result.returncode == 2 and "Traceback" not in out
    lines = [line for line in result.stdout.splitlines() if line.startswith(("ok", "failed"))]
    assert len(lines) == 200
    assert sum(line.startswith("failed") for line in lines) > 50
    assert result.stderr.strip().splitlines()[-1].startswith("Error: ")


@pytest.mark.parametrize("fmt, what, text", _NASTY, ids=[n[1] for n in _NASTY])
def test_device_add_refuses_a_nasty_file_in_one_line(tmp_path, fmt, what, text):
    suffix = {"td": ".jsonld", "zephyr": ".yaml", "catalog": ".yaml"}[fmt]
    path = tmp_path / f"nasty{suffix}"
    if what == "a 400-digit integer":
        text = (fuzz_files.DATA / "td11-tinyml.jsonld").read_text().replace("262144", "9" * 400)
    elif what == "an alias bomb":
        text = "identifier: x/y\narch: arm\nram: 64\n" + fuzz_files.ALIAS_BOMB
    path.write_text(text)
    result = _cli("device", "add", str(path), data_dir=tmp_path / "data")
    out = (result.stdout + result.stderr).strip()
    assert result.returncode == 2 and "Traceback" not in out
    assert len(out.splitlines()) == 1 and out.startswith(f"Error: {path}: ")
