"""One intake: a device or model file gets the same answer whichever way it comes in: the
core's add and import (`registry.intake`), `tinyreg device|model add` and `import` (real
processes), POST /api/devices|models and the dashboard's upload form. A TD with clockHz 0
was refused by add and stored by import before the import judged the description shapes
too; a model import that refused a file exited 1 where a device import exited 2."""
from __future__ import annotations

import html as html_lib
import io
import json

import pytest

from tinyreg.registry import Invalid, Registry, load_settings
from tinyreg.registry.devices.register import add_device, import_paths, list_devices

from ..conftest import run_tinyreg
from ..devices import fuzz_files
from ..devices.test_submission_shapes import TD as GOOD_TD
from .conftest import TOKEN, make_app

# The submission test's TD with its clock stopped: a processor's clockHz must be positive.
TD = dict(GOOD_TD, id="urn:dev:ops:clock-zero", processor=dict(GOOD_TD["processor"], clockHz=0))
# Every 30th fuzzed file of each format: 50 a format through three paths.
FUZZ_STEP = 30


def _fresh(path) -> Registry:
    registry = Registry(load_settings(environ={}, data_dir=str(path), write_token=TOKEN))
    registry.init()
    return registry


def _api(app, name: str, data: bytes, kind: str = "devices"):
    return app.test_client().post(f"/api/{kind}", query_string={"filename": name}, data=data,
                                  content_type="application/octet-stream",
                                  headers={"Authorization": f"Bearer {TOKEN}"})


def _refused_over_http_and_by_add(kind: str, registry, name: str, data: bytes, said: str,
                                  cli_data) -> None:
    """POST /api/<kind>s, the upload form and `tinyreg <kind> add` all refuse the file with
    the words `said`: 400 with it as the detail, the form showing it, exit 2 with it."""
    app = make_app(registry, write_token=TOKEN)
    answer = _api(app, name, data, f"{kind}s")
    assert answer.status_code == 400 and answer.get_json()["detail"] == said
    form = app.test_client().post("/upload", data={"kind": kind, "token": TOKEN,
                                                   "file": (io.BytesIO(data), name)})
    assert form.status_code == 400
    assert html_lib.escape(said, quote=True) in form.get_data(as_text=True)
    added = run_tinyreg(kind, "add", name, data_dir=cli_data)
    assert (added.returncode, added.stderr.strip()) == (2, f"Error: {said}")


# The paths differ in their front ends, not in the store behind them.
@pytest.mark.stores("embedded")
def test_a_td_with_a_stopped_clock_is_refused_alike_on_every_path(registry, tmp_path):
    path = tmp_path / "clock.td.jsonld"
    data = json.dumps(TD).encode()
    path.write_bytes(data)
    name = str(path)
    with pytest.raises(Invalid) as caught:
        add_device(registry, data, name)
    said = caught.value.detail
    assert said.startswith(f"{name}: the device description breaks its shape: ")
    assert "clockHz" in said or "Processor" in said or "processor" in said

    [imported] = import_paths(registry, [name])
    assert f"{name}: {imported.error}" == said and not imported.devices
    assert list_devices(registry) == []  # the import stored nothing either

    _refused_over_http_and_by_add("device", registry, name, data, said, tmp_path / "cli")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / path.name).write_bytes(data)
    batch = run_tinyreg("device", "import", str(folder), data_dir=tmp_path / "cli")
    assert batch.returncode == 2
    assert f"failed  {path.name}: {imported.error}" in batch.stdout.splitlines()
    assert list_devices(registry) == []


# Seven bytes of nothing: no model file, whatever its name says.
NOT_A_MODEL = b"\x00" * 7


@pytest.mark.stores("embedded")
def test_a_file_that_is_no_model_is_refused_alike_on_every_path(registry, tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    path = folder / "empty.tflite"
    path.write_bytes(NOT_A_MODEL)
    name = str(path)
    with pytest.raises(Invalid) as caught:
        registry.intake.add_model(NOT_A_MODEL, {"name": "empty"}, name)
    said = caught.value.detail
    assert said.startswith(f"{name}: ") and len(said) > len(name) + 10
    with pytest.raises(Invalid) as again:
        registry.intake.add_model_file(path)
    assert again.value.detail == said

    [imported] = registry.intake.import_models([name])
    assert f"{name}: {imported.error}" == said
    assert (imported.format, imported.models, imported.registered) == ("tflite", [], None)
    assert registry.models.rows() == []  # the import stored nothing either

    _refused_over_http_and_by_add("model", registry, name, NOT_A_MODEL, said, tmp_path / "cli")
    batch = run_tinyreg("model", "import", str(folder), data_dir=tmp_path / "cli")
    assert batch.returncode == 2  # as a device import with a refused file
    assert f"FAILED {name}: {imported.error}" in batch.stdout.splitlines()
    assert registry.models.rows() == []


def _answers(paths, through) -> list[str | None]:
    """What each file got: None when it was registered, else the refusal without the name."""
    out = []
    for path in paths:
        said = through(str(path))
        assert said is None or said.startswith(f"{path}: "), said
        out.append(None if said is None else said[len(str(path)) + 2:])
    return out


@pytest.mark.stores("embedded")
def test_the_fuzz_corpus_gets_the_same_answers_from_add_import_and_the_api(fuzz_corpus, tmp_path):
    sample = [f for fmt in fuzz_files.FORMATS for f in fuzz_corpus[fmt][::FUZZ_STEP]]
    paths = fuzz_files.write(tmp_path / "files", sample)

    with _fresh(tmp_path / "import") as registry:
        imported = [r.error for r in import_paths(registry, [str(p) for p in paths])]
        assert len(list_devices(registry)) > 0

    def added(name):
        try:
            add_device(registry, open(name, "rb").read(), name)
        except Exception as exc:  # noqa: BLE001 - any refusal is compared, whatever its kind
            return getattr(exc, "detail", repr(exc))
        return None

    with _fresh(tmp_path / "add") as registry:
        one_by_one = _answers(paths, added)

    def uploaded(name):
        answer = _api(app, name, open(name, "rb").read())
        if answer.status_code == 201:
            return None
        assert answer.status_code in (400, 409), (name, answer.status_code)
        return answer.get_json()["detail"]

    with _fresh(tmp_path / "api") as registry:
        app = make_app(registry)
        try:
            assert _answers(paths, uploaded) == one_by_one
        finally:
            app.extensions["tinyreg.runner"].close()
    # The import answers as add does, file by file, but for one thing: which source a device
    # identifier belongs to is settled per batch of an import (devices/identity.py Claims),
    # and one file at a time by add, so a file whose identity claim depends on an earlier
    # file of the same batch can be stored by one and refused as a Conflict by the other.
    # That difference is the identity rule's (issue 12), not the intake's: left out here.
    claims = [i for i, answers in enumerate(zip(imported, one_by_one))
              if any(a and "already the device of" in a for a in answers)]
    assert [a for i, a in enumerate(imported) if i not in claims] == [
        a for i, a in enumerate(one_by_one) if i not in claims]
    assert len(claims) < len(paths) // 20
    refused = [e for e in imported if e]
    assert 0 < len(refused) < len(paths)
    assert len({e.split(":")[0] for e in refused}) > 5  # refused for many reasons, alike
