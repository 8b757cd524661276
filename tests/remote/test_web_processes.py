"""Two `tinyreg serve` processes on one Oxigraph server, as behind a load balancer.

A device added through one process is in the other's answers at once: each process keeps
the compatibility engine's arrays in `registry.cache`, and rebuilds them when the store's
revision, read from the server on every question, is no longer the one they were built at.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tinyreg.registry import Registry, load_settings
from tinyreg.registry.devices.register import load_catalog
from tinyreg.registry.models import register_model
from tinyreg.registry.tflite import writer

from .server import free_port, stop_process

TOKEN = "remote-test-token"
READY_TIMEOUT_S = 60
CARD = {"name": "Remote KWS", "task": "keyword-spotting", "license": "Apache-2.0"}
BOARD = {"name": "Remote Test Board", "vendor": "Test", "url": "https://example.org/board",
         "build": {"cpu": "cortex-m4", "mcu": "nrf52840", "f_cpu": "64000000L"},
         "upload": {"maximum_ram_size": 262144, "maximum_size": 1048576}}


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as answer:
        return json.load(answer)


def post_file(url: str, filename: str, data: bytes) -> dict:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{filename}\"\r\nContent-Type: application/json\r\n\r\n").encode() \
        + data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        assert answer.status == 201
        return json.load(answer)


class Serve:
    """`tinyreg serve` in a process of its own, on a free loopback port."""

    def __init__(self, env: dict[str, str], log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tinyreg.web.cli", "serve", "--host", "127.0.0.1",
                 "--port", str(self.port), "--threads", "2"],
                env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"tinyreg serve exited: {self.log.read_text()[-2000:]}")
            try:
                get(self.url + "/api/stats")
                return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        pytest.fail(f"tinyreg serve did not answer in {READY_TIMEOUT_S} s")

    def stop(self) -> None:
        stop_process(self.process)


@pytest.fixture
def two_processes(server, tmp_path):
    """A registry with the board catalog and one model on the server, served twice."""
    data = tmp_path / "data"
    with Registry(load_settings(environ={}, data_dir=str(data), **server.settings)) as reg:
        reg.init()
        load_catalog(reg)
        register_model(reg, writer.conv2d(size=16, channels=1, filters=4), CARD)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TINYREG_")}
    # The hosts of one deployment share the data directory (artifacts, signing key).
    env.update({f"TINYREG_{name.upper()}": value for name, value in server.settings.items()})
    env.update(TINYREG_DATA_DIR=str(data), TINYREG_WRITE_TOKEN=TOKEN)
    processes = [Serve(env, tmp_path / f"serve-{i}.log") for i in range(2)]
    try:
        for process in processes:
            process.wait_ready()
        yield processes
    finally:
        for process in processes:
            process.stop()


def test_a_write_through_one_process_is_in_the_others_answers_at_once(two_processes):
    a, b = two_processes
    question = "/api/models/remote-kws/devices?explain=1&limit=500"
    before_a, before_b = get(a.url + question), get(b.url + question)  # each builds its arrays
    assert before_a == before_b
    assert get(a.url + question) == before_a  # and answers from them while nothing changes

    added = post_file(b.url + "/api/devices", "remote-test-board.json", json.dumps(BOARD).encode())
    [device] = added["devices"]

    after_a = get(a.url + question)
    assert after_a["total"] == before_a["total"] + 1
    assert device in {row["iri"] for row in after_a["items"]}
    assert get(a.url + "/api/stats") == get(b.url + "/api/stats")
    assert get(a.url + "/api/devices/platformio-remote-test-board")["name"] == BOARD["name"]
