"""Fixtures shared by every test: a fresh registry, a bare store, a CLI runner.

`registry`, `settings` and `store` run each test on every store kind: the embedded store
(id `embedded`), a real Oxigraph server (`oxigraph`) and a real Virtuoso (`virtuoso`), both
over HTTP on loopback. Each server is started once per session in a temporary directory and
emptied before each test that uses it; `module_store_settings` gives registries that a
module keeps for all its tests a second server of the same kind, emptied when the module
starts. A test that cannot mean anything on one of the stores says so with
`@pytest.mark.stores("embedded")` and a comment saying why.

Environment: TINYREG_TEST_STORES=embedded,virtuoso runs the suite on those kinds only (a
developer's shortcut; CI runs all three). TINYREG_TEST_STORE_URL (with _PROFILE, _USER,
_PASSWORD) adds the kind `external`: a server the operator runs (Fuseki, GraphDB, ...),
which the suite EMPTIES before each test: never point it at a store holding data.
"""
from __future__ import annotations

import copy
import hashlib
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tinyreg.registry import Registry, load_settings
from tinyreg.registry.store import EmbeddedStore
from tinyreg.registry.store.remote import RemoteStore

from .remote.server import ExternalServer, OxigraphServer, VirtuosoServer

REPO = Path(__file__).resolve().parents[1]
SHARED_REF = REPO.parent / "shared" / "ref"
DATA = Path(__file__).resolve().parent / "data"

SERVERS = {"oxigraph": OxigraphServer, "virtuoso": VirtuosoServer}
KNOWN_STORES = ("embedded", *SERVERS, "external")


def _stores() -> tuple[str, ...]:
    chosen = os.environ.get("TINYREG_TEST_STORES", "")
    kinds = tuple(k.strip() for k in chosen.split(",") if k.strip()) or ("embedded", *SERVERS)
    unknown = set(kinds) - set(KNOWN_STORES)
    if unknown:
        raise pytest.UsageError(f"TINYREG_TEST_STORES: unknown store kinds {sorted(unknown)}")
    if os.environ.get("TINYREG_TEST_STORE_URL") and "external" not in kinds:
        kinds += ("external",)
    return kinds


STORES = _stores()
REMOTE = tuple(kind for kind in STORES if kind != "embedded")

# The store contract (tests/core, tests/remote) runs on every server; each other directory
# runs on the embedded store and one server, so that the two servers share the work. Virtuoso,
# the stricter one (no request is one transaction, so every write is staged; digest
# authentication; its own SPARQL compiler, which refused queries Oxigraph took), gets the
# engine's queries (compat), the web layer and the ontology's questions; the Oxigraph
# server gets the writers (deploy, device and model registration). A full run on all three
# took 19.5 min on two cores after the issue-18 tests came in (1,432 tests, load ~1),
# Virtuoso's share 540 s of it: this split keeps `bash tests/run.sh` near 15 minutes.
ONE_SERVER = {"compat": "virtuoso", "web": "virtuoso", "ontology": "virtuoso",
              "latency": "virtuoso",
              "deploy": "oxigraph", "devices": "oxigraph", "models": "oxigraph"}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "stores(*names): run the test on these stores only "
                   "(embedded, oxigraph, virtuoso, external; 'remote' for every server kind)")


def pytest_generate_tests(metafunc):
    if "store_kind" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("stores")
        wanted = marker.args if marker else STORES
        unknown = set(wanted) - set(KNOWN_STORES) - {"remote"}
        if unknown:
            raise pytest.UsageError(f"unknown store in @pytest.mark.stores: {sorted(unknown)}")
        kinds = [k for k in STORES if k in wanted or ("remote" in wanted and k != "embedded")]
        only = ONE_SERVER.get(Path(str(metafunc.definition.fspath)).parent.name)
        if only and marker is None:
            kinds = [k for k in kinds if k in ("embedded", only, "external")]
        # Module scope groups a module's tests by store, so that fixtures kept for a whole
        # module (web's loaded registry) are built once per store.
        metafunc.parametrize("store_kind", kinds, ids=kinds, scope="module")


# The servers this session started, by query URL: a seed poured onto one is snapshotted.
_STARTED: dict[str, OxigraphServer | VirtuosoServer] = {}
_POURED: dict[tuple[str, str], list[str]] = {}


def _start(kind: str, directory: Path):
    if kind == "external":
        return ExternalServer.from_environment()
    server = SERVERS[kind](directory).start()
    _STARTED[server.settings["store_url"]] = server
    return server


@pytest.fixture
def run_seed() -> int:
    """A seed drawn anew each run, for a random walk that covers other cases each time;
    TINYREG_TEST_SEED=<seed> repeats a run. Printed: a failing test's output names it."""
    seed = int(os.environ.get("TINYREG_TEST_SEED") or random.randrange(2**32))
    print(f"run seed {seed} (TINYREG_TEST_SEED={seed} repeats this run)")
    return seed


@pytest.fixture(scope="session", autouse=True)
def probe_runs_once_per_model():
    """Each probe (TFLM, LiteRT, Vela in a child process, registry/tflite/sandbox.py) runs once
    a session for the same runtime, file, limits, options and TINYREG_PROBE_* faults: what
    it answers depends on nothing else, and the suite registers the same few models in
    many registries (0.4-0.7 s a run here). A run that timed out is not kept: under load
    that says more about the machine than about the file."""
    from tinyreg.registry.tflite import litert, sandbox, tflm, vela

    runs: dict[tuple, sandbox.ProbeRun] = {}
    real = sandbox.run_probe

    def run_probe(runtime, data, *, timeout_s, max_memory, options=()):
        faults = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("TINYREG_PROBE")))
        key = (runtime, hashlib.sha256(data).digest(), timeout_s, max_memory, tuple(options), faults)
        if key not in runs:
            run = real(runtime, data, timeout_s=timeout_s, max_memory=max_memory, options=options)
            if run.failure and run.failure.startswith("timed out"):
                return run
            runs[key] = run
        kept = runs[key]  # a copy: a caller may change the output it is given
        return sandbox.ProbeRun(copy.deepcopy(kept.output), kept.failure)

    with pytest.MonkeyPatch.context() as patch:
        for module in (tflm, litert, vela):
            patch.setattr(module, "run_probe", run_probe)
        yield runs


@pytest.fixture(scope="session")
def fuzz_corpus() -> dict[str, list[tuple[str, bytes]]]:
    """The fuzzed device files of tests/devices/fuzz_files.py, 1,500 a format, made once."""
    from .devices import fuzz_files
    return {fmt: fuzz_files.generate(fmt, FUZZ_COUNT) for fmt in fuzz_files.FORMATS}


FUZZ_COUNT = 1500


@pytest.fixture(scope="session")
def servers(tmp_path_factory):
    """The session's servers by kind, started when first asked for, stopped at the end."""
    started: dict = {}

    def get(kind: str):
        if kind not in started:
            started[kind] = _start(kind, tmp_path_factory.mktemp(kind))
        return started[kind]
    yield get
    for server in started.values():
        server.stop()


@pytest.fixture(scope="session")
def module_servers(tmp_path_factory):
    """A second server of each kind, for the registries modules keep (an external server
    is the one the operator gave: its module registries share it with the tests)."""
    started: dict = {}

    def get(kind: str):
        if kind not in started:
            started[kind] = _start(kind, tmp_path_factory.mktemp(f"{kind}-module"))
        return started[kind]
    yield get
    for server in started.values():
        server.stop()


@pytest.fixture(scope="session")
def oxigraph_server(servers):
    return servers("oxigraph")


@pytest.fixture(scope="module")
def module_store_settings(store_kind, module_servers):
    """Settings overrides for a registry kept for a whole module: none on the embedded
    store, an emptied server of its own on a server kind."""
    if store_kind == "embedded":
        return {}
    server = module_servers(store_kind)
    server.clear()
    return server.settings


@pytest.fixture
def remote_server(store_kind, servers):
    """The session's server of this test's kind, emptied; None on the embedded store."""
    if store_kind == "embedded":
        return None
    server = servers(store_kind)
    server.clear()
    return server


def open_remote(overrides) -> RemoteStore:
    """A RemoteStore on the server that settings overrides (a server's `settings`) name."""
    return RemoteStore.from_settings(load_settings(environ={}, **overrides))


@pytest.fixture
def store_overrides(remote_server):
    """Settings overrides that put this test's registry on its store (none for embedded)."""
    return remote_server.settings if remote_server else {}


@pytest.fixture
def settings(tmp_path, store_overrides):
    # An empty environment so that the developer's TINYREG_* variables cannot leak in.
    return load_settings(environ={}, data_dir=str(tmp_path / "data"), **store_overrides)


@pytest.fixture(scope="session")
def initialized(tmp_path_factory) -> dict[str, tuple[Path, list[str] | None]]:
    """What Registry.init leaves, per store kind, taken after the session's first init on
    that kind: a copy of its data directory (the store itself on the embedded kind, else
    the signing key) and, on a server, the snapshot of the server's graphs."""
    return {}


@pytest.fixture
def registry(settings, store_kind, remote_server, initialized, tmp_path_factory):
    """A registry on an initialized store. The session's first one per store kind runs
    `init` on an empty store; the others start from a copy of what that one left (init
    wrote 0.15-0.3 s a registry here, 1-1.5 s on Virtuoso) and run `init` over it, which
    only checks. Built once, what it copies is what init wrote: no state is made up."""
    taken = initialized.get(store_kind)
    if taken is not None:
        data, snapshot = taken
        shutil.copytree(data, settings.data_path, dirs_exist_ok=True)
        if remote_server:
            remote_server.restore(snapshot)
    reg = Registry(settings)
    reg.init()
    if taken is None and store_kind != "external":
        if not remote_server:  # RocksDB's files are whole only once the store is closed
            reg.close()
        kept = tmp_path_factory.mktemp(f"initialized-{store_kind}") / "data"
        shutil.copytree(settings.data_path, kept)
        initialized[store_kind] = kept, remote_server.snapshot() if remote_server else None
        if not remote_server:
            reg = Registry(settings)
    yield reg
    reg.close()


@pytest.fixture(scope="session")
def seeded_states() -> dict[tuple[str, str], list[str]]:
    return {}


@pytest.fixture
def seeded(store_kind, remote_server, seeded_states):
    """`seeded(name, build)`: `build()` writes a test's starting data into this test's store.
    On a server where this session already ran the build called `name`, the graphs it left
    are put back instead (bulk writes through the registry stage and switch every graph
    there; putting a snapshot back is one raw write of each). `build` must write only to
    the store, the same data each time; on the embedded store it always runs."""
    def put(name: str, build) -> None:
        key = (store_kind, name)
        if not remote_server or store_kind == "external":
            build()
        elif key in seeded_states:
            remote_server.restore(seeded_states[key])
        else:
            build()
            seeded_states[key] = remote_server.snapshot()
    return put


@pytest.fixture
def store(tmp_path, remote_server):
    """A bare, empty store of each kind, without the registry's ontology."""
    store = (open_remote(remote_server.settings) if remote_server
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


def pour(data: Path, store_settings: dict) -> None:
    """The graphs of a data directory's embedded store into the (emptied) server of
    `store_settings`. The first time a session pours a seed onto a kind of server it goes
    through the registry's bulk load; after that, what that load left is put back by raw
    writes (on Virtuoso the bulk load stages and switches every graph, several times the
    cost). The seed must not change during the session."""
    server = _STARTED.get(store_settings["store_url"])
    key = (str(data), server.kind if server else "")
    if key in _POURED:
        server.restore(_POURED[key])
        return
    with EmbeddedStore(data / "store") as source, open_remote(store_settings) as target:
        copy_graphs(source, target)
    if server is not None:
        _POURED[key] = server.snapshot()


def registry_from_seed(seed: Path, copy: Path, store_settings: dict, **settings) -> Registry:
    """A registry over a copy of a seed data directory (built once on the embedded store),
    its graphs poured into the server of `store_settings` when there is one; the artifacts
    and the signing key stay in the copied directory."""
    shutil.copytree(seed, copy)
    if store_settings:
        pour(seed, store_settings)
    return Registry(load_settings(environ={}, data_dir=str(copy), **store_settings, **settings))


@pytest.fixture(scope="session")
def demo_seed(tmp_path_factory) -> Path:
    """A data directory holding what `tinyreg demo` loads (the board catalog and the real
    models packages ship) and the tests' synthetic models (synthetic.py), all measured on
    TFLM, built once per session; its store closed."""
    from tinyreg.registry.demo import load_demo

    from .synthetic import load_synthetic
    data = tmp_path_factory.mktemp("demo-seed") / "data"
    with Registry(load_settings(environ={}, data_dir=str(data))) as registry:
        registry.init()
        load_demo(registry)
        load_synthetic(registry)
    return data


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
