"""Fixtures shared by every test: a fresh registry, a bare store, a CLI runner.

`registry`, `settings` and `store` run each test twice: on the embedded store
(id `embedded`) and on a real Oxigraph server over HTTP (id `oxigraph`). The server is
started once per session on a free loopback port, in a temporary directory, and emptied
before each test that uses it; `module_store_settings` does the same for registries that
a module keeps for all its tests, with a server of their own. A test that cannot mean anything on one of the stores says
so with `@pytest.mark.stores("embedded")` and a comment saying why.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tinyreg.registry import Registry, load_settings
from tinyreg.registry.store import EmbeddedStore
from tinyreg.registry.store.remote import RemoteStore

from .remote.server import OxigraphServer

REPO = Path(__file__).resolve().parents[1]
SHARED_REF = REPO.parent / "shared" / "ref"
DATA = Path(__file__).resolve().parent / "data"

STORES = ("embedded", "oxigraph")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "stores(*names): run the test on these stores only (embedded, oxigraph)")


def pytest_generate_tests(metafunc):
    if "store_kind" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("stores")
        kinds = marker.args if marker else STORES
        unknown = set(kinds) - set(STORES)
        if unknown:
            raise pytest.UsageError(f"unknown store in @pytest.mark.stores: {sorted(unknown)}")
        # Module scope groups a module's tests by store, so that fixtures kept for a whole
        # module (web's loaded registry) are built once per store.
        metafunc.parametrize("store_kind", kinds, ids=list(kinds), scope="module")


@pytest.fixture(scope="session")
def fuzz_corpus() -> dict[str, list[tuple[str, bytes]]]:
    """The fuzzed device files of tests/devices/fuzz_files.py, 1,500 a format, made once."""
    from .devices import fuzz_files
    return {fmt: fuzz_files.generate(fmt, FUZZ_COUNT) for fmt in fuzz_files.FORMATS}


FUZZ_COUNT = 1500


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory):
    server = OxigraphServer(tmp_path_factory.mktemp("oxigraph")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def module_store_settings(store_kind, tmp_path_factory):
    """Settings overrides for a registry kept for a whole module: none on the embedded
    store, a server of its own on oxigraph (the shared one is emptied before each test)."""
    if store_kind != "oxigraph":
        yield {}
        return
    server = OxigraphServer(tmp_path_factory.mktemp("oxigraph-module")).start()
    yield {"store_url": server.query_url}
    server.stop()


@pytest.fixture
def remote_server(store_kind, request):
    """The session's Oxigraph server, emptied, when the test runs on it; else None."""
    if store_kind != "oxigraph":
        return None
    server = request.getfixturevalue("oxigraph_server")
    server.clear()
    return server


@pytest.fixture
def store_overrides(remote_server):
    """Settings overrides that put this test's registry on its store (none for embedded)."""
    return {"store_url": remote_server.query_url} if remote_server else {}


@pytest.fixture
def settings(tmp_path, store_overrides):
    # An empty environment so that the developer's TINYREG_* variables cannot leak in.
    return load_settings(environ={}, data_dir=str(tmp_path / "data"), **store_overrides)


@pytest.fixture
def registry(settings):
    reg = Registry(settings)
    reg.init()
    yield reg
    reg.close()


@pytest.fixture
def store(tmp_path, remote_server):
    """A bare, empty store of each kind, without the registry's ontology."""
    store = (RemoteStore(remote_server.query_url) if remote_server
             else EmbeddedStore(tmp_path / "store"))
    yield store
    store.close()


def run_tinyreg(*args: str, data_dir: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """The real command line, in a process of its own: what a person sees."""
    env = {**os.environ, "TINYREG_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "tinyreg.web.cli", *args], capture_output=True,
                          text=True, timeout=timeout, env=env)


def copy_graphs(source, target) -> int:
    """Every graph of one store into another: a seed prepared once, for a test on a server."""
    return target.bulk_load((name, source.get_graph(name)) for name in source.graph_names())


def registry_from_seed(seed: Path, copy: Path, store_settings: dict, **settings) -> Registry:
    """A registry over a copy of a seed data directory (built once on the embedded store),
    its graphs poured into the server of `store_settings` when there is one; the artifacts
    and the signing key stay in the copied directory."""
    shutil.copytree(seed, copy)
    if store_settings:
        with EmbeddedStore(copy / "store") as source, RemoteStore(store_settings["store_url"]) as target:
            copy_graphs(source, target)
    return Registry(load_settings(environ={}, data_dir=str(copy), **store_settings, **settings))


@pytest.fixture
def runner(tmp_path, store_overrides):
    env = {"TINYREG_DATA_DIR": str(tmp_path / "cli-data")}
    env.update({f"TINYREG_{name.upper()}": value for name, value in store_overrides.items()})
    return CliRunner(env=env)


@pytest.fixture
def invoke(runner):
    """Run the `tinyreg` CLI in-process; returns click's Result."""
    from tinyreg.web.cli import cli

    def run(*args, input=None):
        return runner.invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)
    return run
