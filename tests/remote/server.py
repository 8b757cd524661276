"""A real `oxigraph serve` on a free loopback port, in a directory of its own.

The test suite starts one per session (see tests/conftest.py) and the remote benchmark one
per run. It is a separate process, so what the registry does to it crosses real HTTP.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

START_TIMEOUT_S = 20


def oxigraph_binary() -> str:
    """The `oxigraph` CLI of the `oxigraph` package, installed beside this Python."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which("oxigraph", path=path)
    if found is None:
        raise RuntimeError("no `oxigraph` command: install the test extra "
                           "(pip install -e '.[test]'), which brings the oxigraph package")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OxigraphServer:
    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.port = 0
        self._process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def query_url(self) -> str:
        return self.base_url + "/query"

    @property
    def update_url(self) -> str:
        return self.base_url + "/update"

    def start(self) -> "OxigraphServer":
        # The port is free when chosen but may be taken before the server binds it: retry.
        for _ in range(3):
            self.port = free_port()
            log = open(self.directory / "server.log", "ab")
            self._process = subprocess.Popen(
                [oxigraph_binary(), "serve", "--location", str(self.directory / "db"),
                 "--bind", f"127.0.0.1:{self.port}"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            log.close()
            if self._wait_ready():
                return self
        raise RuntimeError(f"oxigraph serve did not start: {self.log_tail()}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.query_url, timeout=2):
                    return True
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        self.stop()
        return False

    def update(self, sparql: str) -> None:
        request = urllib.request.Request(self.update_url, data=sparql.encode(), method="POST",
                                         headers={"Content-Type": "application/sparql-update"})
        with urllib.request.urlopen(request, timeout=30):
            pass

    def clear(self) -> None:
        """Empty the server, so that each test starts from nothing."""
        self.update("DROP ALL")

    def log_tail(self) -> str:
        try:
            return (self.directory / "server.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self._process is not None:
            stop_process(self._process)
            self._process = None


def stop_process(process: subprocess.Popen) -> None:
    """Ask a process we started to end; kill it if it has not within ten seconds."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
