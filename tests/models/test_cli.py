import json

from tinyreg.registry.tflite import writer


def test_add_list_show(invoke, tmp_path):
    path = tmp_path / "wand.tflite"
    path.write_bytes(writer.fully_connected(inputs=32, units=4))
    (tmp_path / "wand.yaml").write_text("name: Magic wand\ntask: gesture\nsensors: [accelerometer]\n")
    added = invoke("model", "add", path, "--metric", "accuracy=0.93", "--dataset", "wands")
    assert added.exit_code == 0, added.output
    assert "registered https://w3id.org/tinyreg/id/model/magic-wand/v1" in added.output
    assert "TFLM arena" in added.output and "measured" in added.output
    rows = json.loads(invoke("model", "list", "--format", "json").output)
    assert [(r["model"], r["task"], r["latest"]) for r in rows] == [("magic-wand", "gesture", 1)]
    shown = invoke("model", "show", "magic-wand")
    assert "FULLY_CONNECTED" in shown.output and "TFLM: runs" in shown.output


def test_import_reports_each_file_and_fails_on_a_bad_one(invoke, tmp_path):
    (tmp_path / "good.tflite").write_bytes(writer.fully_connected())
    (tmp_path / "bad.tflite").write_bytes(b"\x00" * 7)
    result = invoke("model", "import", tmp_path)
    assert result.exit_code == 2  # as a failed device import: one rule for bad input
    assert "FAILED" in result.output and "bad.tflite" in result.output
    assert "1 registered, 1 failed" in result.output
    assert result.output.strip().splitlines()[-1] == (
        "Error: 1 file(s) could not be imported; see the report above")


def test_bad_metric_option_is_one_line(invoke, tmp_path):
    path = tmp_path / "m.tflite"
    path.write_bytes(writer.fully_connected())
    result = invoke("model", "add", path, "--metric", "accuracy")
    assert result.exit_code == 2 and "NAME=VALUE" in result.output


def test_model_show_works_on_every_version_the_prototype_import_made(invoke):
    from pathlib import Path
    prototype = Path(__file__).resolve().parents[1] / "data" / "devices" / "prototype.ttl"
    assert invoke("device", "add", prototype).exit_code == 0
    rows = json.loads(invoke("model", "list", "--format", "json").output)
    assert rows
    for row in rows:
        shown = invoke("model", "show", row["model"].rsplit("/", 1)[-1])
        assert shown.exit_code == 0, shown.output
        # A description only: figures declared, never shown as measured; no file.
        assert "(declared in the research prototype's graph)" in shown.output
        assert "measured" not in shown.output and "no artifact" in shown.output
