"""1, 2 and 4 `tinyreg serve` workers on one SPARQL server (Oxigraph server, then Virtuoso).

Each worker is a process of its own, as behind a load balancer, with the same settings and
data directory; the store holds the board catalog and one keyword-spotting model. Two
figures per worker count:

- throughput: REQUESTS questions "which devices can run this model" (the API's page of 50,
  answered from each worker's cached engine arrays after a revision read), sent by CLIENTS
  threads round-robin over the workers;
- page after write: a device registered through one worker, then its page asked of the
  next worker; the time from the upload's start until that page answers (median of WRITES).

The anchor is one worker on the same server, measured in the same run. The machine has two
cores shared by the client, the workers and the server: more workers than cores add
processes, not CPU.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from common import report

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test suite's server helper
from tests.remote.server import OxigraphServer, VirtuosoServer, free_port, stop_process  # noqa: E402

from tinyreg.registry import Registry, load_settings  # noqa: E402
from tinyreg.registry.devices.register import load_catalog  # noqa: E402
from tinyreg.registry.models import register_model  # noqa: E402
from tinyreg.registry.tflite import writer  # noqa: E402

WORKERS = (1, 2, 4)
REQUESTS = int(os.environ.get("TINYREG_BENCH_WORKER_REQUESTS", "400"))
CLIENTS = 8
WRITES = 10
TOKEN = "bench-workers"
SERVERS = {"oxigraph": OxigraphServer, "virtuoso": VirtuosoServer}
QUESTION = "/api/models/bench-kws/devices?limit=50"


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as answer:
        return answer.read()


def _board(i: int) -> bytes:
    return json.dumps({"name": f"Bench Board {i}", "vendor": "Bench", "url": "https://example.org/b",
                       "build": {"cpu": "cortex-m4", "mcu": "nrf52840", "f_cpu": "64000000L"},
                       "upload": {"maximum_ram_size": 262144, "maximum_size": 1048576}}).encode()


def _post_device(url: str, data: bytes) -> str:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"board.json\"\r\nContent-Type: application/json\r\n\r\n").encode() \
        + data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(url + "/api/devices", data=body, method="POST", headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.load(answer)["devices"][0]


class Worker:
    def __init__(self, env: dict[str, str], log: Path):
        self.url = f"http://127.0.0.1:{free_port()}"
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tinyreg.web.cli", "serve", "--host", "127.0.0.1",
                 "--port", self.url.rsplit(":", 1)[1], "--threads", "4"],
                env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("tinyreg serve exited")
            try:
                _get(self.url + "/api/stats")
                return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        raise RuntimeError("tinyreg serve did not answer in 60 s")


def _throughput(workers: list[Worker]) -> float:
    for worker in workers:  # each builds its engine arrays once
        _get(worker.url + QUESTION)
    counter = iter(range(REQUESTS))
    lock = threading.Lock()

    def client() -> None:
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            _get(workers[i % len(workers)].url + QUESTION)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    return REQUESTS / (time.perf_counter() - start)


def _page_after_write(workers: list[Worker], first: int) -> float:
    times = []
    for i in range(WRITES):
        writer_url = workers[i % len(workers)].url
        reader_url = workers[(i + 1) % len(workers)].url
        start = time.perf_counter()
        iri = _post_device(writer_url, _board(first + i))
        slug = iri.rsplit("/", 1)[1]
        _get(f"{reader_url}/api/devices/{slug}")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(kind: str, tmp: Path) -> dict[int, tuple[float, float]]:
    server = SERVERS[kind](tmp / kind)
    (tmp / kind).mkdir()
    server.start()
    figures = {}
    try:
        data = tmp / f"{kind}-data"
        with Registry(load_settings(environ={}, data_dir=str(data), **server.settings)) as reg:
            reg.init()
            load_catalog(reg)
            register_model(reg, writer.conv2d(size=16, channels=1, filters=4),
                           {"name": "Bench KWS", "task": "keyword-spotting",
                            "license": "Apache-2.0"})
        env = {k: v for k, v in os.environ.items() if not k.startswith("TINYREG_")}
        env.update({f"TINYREG_{k.upper()}": v for k, v in server.settings.items()})
        env.update(TINYREG_DATA_DIR=str(data), TINYREG_WRITE_TOKEN=TOKEN)
        for count in WORKERS:
            workers = [Worker(env, tmp / f"{kind}-{count}-{i}.log") for i in range(count)]
            try:
                for worker in workers:
                    worker.wait_ready()
                figures[count] = (_throughput(workers), _page_after_write(workers, 100 * count))
            finally:
                for worker in workers:
                    stop_process(worker.process)
    finally:
        server.stop()
    return figures


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_dir:
        for kind in SERVERS:
            figures = run(kind, Path(tmp_dir))
            one_rate, one_latency = figures[1]
            for count, (rate, latency) in figures.items():
                report(f"{kind}: {count} worker(s), throughput", rate, one_rate, "1 worker",
                       unit="req/s")
                print(f"   throughput ratio to 1 worker: {rate / one_rate:.2f}x", flush=True)
                report(f"{kind}: {count} worker(s), page after write", latency, one_latency,
                       "1 worker")
                print(f"   page-after-write ratio to 1 worker: {latency / one_latency:.2f}x",
                      flush=True)
