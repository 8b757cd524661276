"""Fixtures shared by every test: a fresh registry in a temporary directory, and a CLI runner."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tinyreg.registry import Registry, load_settings

REPO = Path(__file__).resolve().parents[1]
SHARED_REF = REPO.parent / "shared" / "ref"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def settings(tmp_path):
    # An empty environment so that the developer's TINYREG_* variables cannot leak in.
    return load_settings(environ={}, data_dir=str(tmp_path / "data"))


@pytest.fixture
def registry(settings):
    reg = Registry(settings)
    reg.init()
    yield reg
    reg.close()


@pytest.fixture
def runner(tmp_path):
    return CliRunner(env={"TINYREG_DATA_DIR": str(tmp_path / "cli-data")})


@pytest.fixture
def invoke(runner):
    """Run the `tinyreg` CLI in-process; returns click's Result."""
    from tinyreg.web.cli import cli

    def run(*args, input=None):
        return runner.invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)
    return run
