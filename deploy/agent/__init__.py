"""The reference device agent (`tinyreg agent`): what a device, or the gateway in front of
it, runs to receive models from the registry.

It is also the simulated device of the tests and benchmarks. One agent process can stand
in for many devices (one Thing Description each); every device keeps its own models,
state and fault counters, so the registry cannot tell them from separate machines.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .device import Device, Refusal
from .faults import Faults
from .pull import Poller
from .server import AgentServer

__all__ = ["Agent", "Device", "Faults", "Refusal", "read_td"]


def read_td(path: Path) -> dict:
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable JSON Thing Description ({exc})") from None
    if not isinstance(doc, dict) or not doc.get("id"):
        raise ValueError(f"{path}: a Thing Description with an `id` is needed")
    return doc


class Agent:
    """Devices served over HTTP on `host:port` (port 0 picks one), and/or polling `pull_url`."""

    def __init__(self, tds: list[dict], *, state_dir: Path, trust: Ed25519PublicKey,
                 host: str = "127.0.0.1", port: int | None = 0, pull_url: str | None = None,
                 poll_interval_s: float = 5.0, faults: Faults | None = None,
                 timeout_s: float = 30.0):
        self.server: AgentServer | None = None
        self.url: str | None = None
        if port is not None:
            self.server = AgentServer((host, port), {}, timeout_s)
            self.url = f"http://{host}:{self.server.server_address[1]}/"
        self.devices: dict[str, Device] = {}
        for device in Device.from_tds(tds, self.url, state_dir, trust, faults):
            if device.slug in self.devices:
                raise ValueError(f"two Thing Descriptions with the id {device.source_id!r}")
            self.devices[device.slug] = device
        if self.server is not None:
            self.server.devices = self.devices
        self.poller = (Poller(list(self.devices.values()), pull_url, poll_interval_s, timeout_s)
                       if pull_url else None)
        self._threads: list[threading.Thread] = []

    def start(self) -> "Agent":
        if self.server is not None:
            self._spawn(lambda: self.server.serve_forever(poll_interval=0.1))
        if self.poller is not None:
            self._spawn(self.poller.run)
        return self

    def _spawn(self, target) -> None:
        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        self._threads.append(thread)

    def write_tds(self, directory: Path) -> list[Path]:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for device in self.devices.values():
            path = directory / f"{device.slug}.td.jsonld"
            path.write_text(device.published_td())
            paths.append(path)
        return paths

    def close(self) -> None:
        if self.poller is not None:
            self.poller.stop.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
