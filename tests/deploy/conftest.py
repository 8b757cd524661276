"""Fixtures for deploy/: a registry with model versions, and reference agents as processes.

Measuring a model takes a second, so the versions are registered once per session into a
seed data directory that each test copies (the store is closed while it is copied).
Agents run as real `tinyreg agent` processes on 127.0.0.1, started with port 0; each one
writes the TDs it serves, which the test registers like any device file.
"""
from __future__ import annotations

import json
import queue
import shutil
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from tinyreg.registry import Registry, load_settings
from tinyreg.registry.devices.register import add_device
from tinyreg.registry.keys import load_key, public_key_text
from tinyreg.registry.models import register_model
from tinyreg.registry.tflite import writer
from tinyreg.registry.vocab import device_id, device_iri, slug

from ..conftest import STORES, pour
from ..remote.server import free_port

START_TIMEOUT_S = 60

# Two versions of a small model (version 2 replaces 1), and a model that needs a ~12 KB arena.
MODELS = {
    "kws@1": (lambda: writer.fully_connected(), {"name": "KWS", "model": "kws"}),
    "kws@2": (lambda: writer.fully_connected(inputs=32), {"name": "KWS", "model": "kws"}),
    "conv@1": (lambda: writer.conv2d(size=32, channels=3, filters=8),
               {"name": "Conv", "model": "conv"}),
}


def make_td(name: str, *, ram: int = 262144, reserved_ram: int = 65536,
            flash: int = 1048576, linux: bool = False) -> dict:
    """A Thing Description in the registry's TD extension, like a board's vendor would write."""
    td = {
        "@context": ["https://www.w3.org/2022/wot/td/v1.1", "https://w3id.org/tinyreg/td/v1"],
        "id": f"urn:dev:test:{name}", "@type": "Thing", "title": f"Test device {name}",
        "securityDefinitions": {"nosec_sc": {"scheme": "nosec"}}, "security": "nosec_sc",
        "ramBytes": ram, "reservedRamBytes": reserved_ram,
    }
    if linux:
        td.update({"processor": {"mcu": "BCM2711", "core": "CortexA72", "clockHz": 1500000000},
                   "runtimes": [{"runtime": "LiteRT"}]})
    else:
        td.update({"flashBytes": flash,
                   "processor": {"mcu": "nRF52840", "core": "CortexM4F", "clockHz": 64000000},
                   "runtimes": [{"runtime": "TFLM"}]})
    return td


def iri_of(name: str) -> str:
    return device_iri(device_id(f"urn:dev:test:{name}"))


def path_of(name: str) -> str:
    """Where the agent serves the device and keeps its state: its IRI's last segment."""
    return iri_of(name).rsplit("/", 1)[-1]


@pytest.fixture(scope="session")
def seed(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("seed") / "data"
    registry = Registry(load_settings(environ={}, data_dir=str(data)))
    registry.init()
    for make, card in MODELS.values():
        register_model(registry, make(), card)
    registry.close()
    return data


@pytest.fixture
def registry(seed, tmp_path, store_overrides):
    data = tmp_path / "data"
    shutil.copytree(seed, data)
    if store_overrides:  # on a server: the seed's graphs go there from its embedded store
        pour(seed, store_overrides)
    reg = Registry(load_settings(environ={}, data_dir=str(data), **store_overrides))
    yield reg
    reg.close()


@pytest.fixture(scope="session")
def trust(seed) -> str:
    """The public key of the seed's registry (every copy of the seed has the same key)."""
    return public_key_text(load_key(seed))


@pytest.fixture
def data_dir(seed, tmp_path) -> Path:
    """A copy of the seed that no process holds open, for commands run as the CLI."""
    data = tmp_path / "cli-data"
    shutil.copytree(seed, data)
    return data


class AgentProcess:
    """A `tinyreg agent` process serving some devices; stopped when the test ends."""

    def __init__(self, tds: list[dict], workdir: Path, trust: str, args: list[str]):
        self.workdir = workdir
        self.state = workdir / "state"
        td_dir = workdir / "td-in"
        td_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "tinyreg.web.cli", "agent", "--trust", trust,
                   "--state", str(self.state), "--write-td", str(workdir / "td-out"), *args]
        for td in tds:
            path = td_dir / f"{slug(td['id'])}.json"
            path.write_text(json.dumps(td))
            command += ["--td", str(path)]
        self.log = workdir / "agent.log"
        with open(self.log, "wb") as log:  # a file: an unread pipe could fill and block it
            self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log,
                                            text=True)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in self.process.stdout],
                         daemon=True).start()
        self.banner = []
        for _ in range(len(tds) + 1):
            try:
                self.banner.append(lines.get(timeout=START_TIMEOUT_S))
            except queue.Empty:
                self.stop()
                raise RuntimeError(f"agent did not start: {self.log.read_text()[-2000:]}")
        self.url = self.banner[0].split(" at ", 1)[1].split(";")[0] if " at " in self.banner[0] else None

    @property
    def td_files(self) -> list[Path]:
        return sorted((self.workdir / "td-out").glob("*.td.jsonld"))

    def device_state(self, name: str) -> dict:
        path = self.state / path_of(name) / "state.json"
        return json.loads(path.read_text()) if path.exists() else {"active": None, "previous": None}

    def activations(self, name: str) -> list[dict]:
        path = self.state / path_of(name) / "activations.jsonl"
        return [json.loads(l) for l in path.read_text().splitlines()] if path.exists() else []

    def info(self, name: str) -> dict:
        """What the device answers for its activeModel property."""
        url = f"{self.url}{path_of(name)}/model"
        with urllib.request.urlopen(url, timeout=10) as answer:
            return json.loads(answer.read())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def agents(tmp_path, trust):
    """agents(tds, *args, register=registry) starts one agent process for `tds`."""
    started: list[AgentProcess] = []

    def start(tds: list[dict], *args: str, register=None, trust_key: str | None = None,
              port: bool = True) -> AgentProcess:
        workdir = tmp_path / f"agent{len(started)}"
        agent = AgentProcess(tds, workdir, trust_key or trust,
                             (["--port", "0"] if port else []) + list(args))
        started.append(agent)
        if register is not None:
            for path in agent.td_files:
                add_device(register, path.read_bytes(), str(path))
        return agent

    yield start
    for agent in started:
        agent.stop()


class Pool:
    """Plain devices served by one agent process for a whole module, handed out fresh.

    Starting an agent costs a couple of seconds; tests that need no fault take their
    devices from here, never one another's (a device's models outlive the test)."""

    def __init__(self, agent: AgentProcess, names: dict[str, list[str]]):
        self.agent = agent
        self._free = names

    def take(self, registry, count: int, kind: str = "roomy") -> list[str]:
        names, self._free[kind] = self._free[kind][:count], self._free[kind][count:]
        assert len(names) == count, f"the pool ran out of {kind} devices: make it larger"
        for name in names:
            path = self.agent.workdir / "td-out" / f"{path_of(name)}.td.jsonld"
            add_device(registry, path.read_bytes(), str(path))
        return names


@pytest.fixture(scope="module")
def pools(tmp_path_factory, trust):
    """pools(*agent_args, trust_key=None, size=4 a store): the module's pool for those agent
    arguments (faults, for instance), started on first use, shared by the module's runs on
    every store."""
    made: dict[tuple, Pool] = {}

    def get(*args: str, trust_key: str | None = None, size: int = 4 * len(STORES)) -> Pool:
        key = (args, trust_key)
        if key not in made:
            prefix = f"m{len(made)}"
            names = {"roomy": [f"{prefix}p{i}" for i in range(size)],
                     "cramped": [f"{prefix}c{i}" for i in range(4)]}
            tds = [make_td(n) for n in names["roomy"]] + [
                make_td(n, ram=8192, reserved_ram=0) for n in names["cramped"]]
            agent = AgentProcess(tds, tmp_path_factory.mktemp("pool"), trust_key or trust,
                                 ["--port", "0", *args])
            made[key] = Pool(agent, names)
        return made[key]

    yield get
    for made_pool in made.values():
        made_pool.agent.stop()


@pytest.fixture(scope="module")
def pool(pools) -> Pool:
    """The module's pool of fault-free devices (shared by the module's runs on every store)."""
    return pools(size=20 * len(STORES))


def register_offline(registry, name: str, port: int | None = None) -> str:
    """A device whose TD offers the deploy action at `port`, by default one where nothing
    listens."""
    from tinyreg.deploy.protocol import affordances
    td = make_td(name)
    td["base"] = f"http://127.0.0.1:{port or free_port()}/{path_of(name)}/"
    td["properties"], td["actions"] = affordances()["properties"], affordances()["actions"]
    add_device(registry, json.dumps(td).encode(), f"{name}.jsonld")
    return iri_of(name)

