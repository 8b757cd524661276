"""The command line on a registry with the bundled catalog and the KWS reference model."""
from __future__ import annotations

from pathlib import Path

from tinyreg.registry.latency.reference import reference_model


def catalog_cli(data: Path):
    """`run(*args)`: the CLI in-process on a registry in `data`, with the board catalog
    loaded and the KWS reference model written to `data/kws-ds-cnn.tflite` (not added)."""
    from click.testing import CliRunner

    from tinyreg.web.cli import cli as root
    runner = CliRunner(env={"TINYREG_DATA_DIR": str(data / "registry")})

    def run(*args):
        return runner.invoke(root, [str(a) for a in args], catch_exceptions=False)
    (data / "kws-ds-cnn.tflite").write_bytes(reference_model("kws"))
    assert run("device", "catalog").exit_code == 0
    return run
