"""A rollout of a 100 KB model to 1,000 simulated devices on loopback.

Devices: reference agents (`tinyreg agent`), AGENT_PROCESSES processes serving
DEVICES / AGENT_PROCESSES devices each. A thousand Python processes would not fit two
cores; an agent process serving many devices keeps, per device, its own TD, signature
and digest checks, model files, atomic state swap and activation log, so the registry
sends 1,000 separate signed transfers to 1,000 URLs. What the devices of one process
share is the TFLM test load's verdict: the same bytes in the same arena load once per
process (a real device loads them itself). Device storage is in /dev/shm when the
machine has it: the figure is about the registry and the protocol, not this disk.

Ours: the rollout's wall time, from asking the compatibility gate to the last record
written (waves 10, 100, then the rest; threshold 10 %). Anchor, measured in the same run:
the same 1,000 PUTs of the same bytes, with the same parallelism, to bare stdlib HTTP
servers (as many processes) that read the body and answer 200 — the cost of moving the
bytes alone. Then every device's active model is read back from its disk and hashed.
"""
from __future__ import annotations

import hashlib
import http.client
import json
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import report
from tinyreg.deploy import rollout
from tinyreg.registry import Registry, load_settings
from tinyreg.registry.devices.register import import_dir
from tinyreg.registry.keys import publish_key
from tinyreg.registry.models import register_model
from tinyreg.registry.tflite import writer
from tinyreg.registry.vocab import device_id, device_iri

DEVICES = 1000
AGENT_PROCESSES = 4
PARALLEL = 48
START_TIMEOUT_S = 300

BARE_SERVER = r"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_PUT(self):
        left = int(self.headers["Content-Length"])
        while left:
            left -= len(self.rfile.read(min(left, 65536)))
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *a): pass
ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer.request_queue_size = 256
s = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"""


def td(index: int) -> dict:
    return {
        "@context": ["https://www.w3.org/2022/wot/td/v1.1", "https://w3id.org/tinyreg/td/v1"],
        "id": f"urn:dev:bench:{index:04d}", "@type": "Thing", "title": f"Bench board {index}",
        "securityDefinitions": {"nosec_sc": {"scheme": "nosec"}}, "security": "nosec_sc",
        "usableRamBytes": 262144, "reservedRamBytes": 65536, "usableFlashBytes": 1048576,
        "processor": {"mcu": "nRF52840", "core": "CortexM4F", "clockHz": 64000000},
        "runtimes": [{"runtime": "TFLM"}],
    }


def start_agents(work: Path, trust: str, state_root: Path) -> list[subprocess.Popen]:
    procs = []
    per = DEVICES // AGENT_PROCESSES
    for p in range(AGENT_PROCESSES):
        tds = work / f"tds-{p}"
        tds.mkdir()
        args = []
        for i in range(p * per, (p + 1) * per):
            path = tds / f"{i}.json"
            path.write_text(json.dumps(td(i)))
            args += ["--td", str(path)]
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "tinyreg.web.cli", "agent", "--trust", trust, "--port", "0",
             "--state", str(state_root / f"agent-{p}"), "--write-td", str(work / "published"),
             *args], stdout=subprocess.PIPE, text=True))
    for proc in procs:  # the first line comes once every TD is read and the port is open
        proc.stdout.readline()
        threading.Thread(target=proc.stdout.read, daemon=True).start()  # never let it block
    return procs


def bare_puts(data: bytes) -> float:
    servers = [subprocess.Popen([sys.executable, "-c", BARE_SERVER], stdout=subprocess.PIPE,
                                text=True) for _ in range(AGENT_PROCESSES)]
    try:
        ports = [int(s.stdout.readline()) for s in servers]

        def put(i: int) -> int:
            conn = http.client.HTTPConnection("127.0.0.1", ports[i % len(ports)], timeout=60)
            try:
                conn.request("PUT", f"/{i}/model", body=data,
                             headers={"Content-Type": "application/vnd.tflite"})
                response = conn.getresponse()
                response.read()
                return response.status
            finally:
                conn.close()

        start = time.perf_counter()
        with ThreadPoolExecutor(PARALLEL) as pool:
            statuses = list(pool.map(put, range(DEVICES)))
        elapsed = time.perf_counter() - start
        assert statuses == [200] * DEVICES
        return elapsed
    finally:
        for s in servers:
            s.kill()
            s.wait()


def corrupt_activations(state_root: Path, sha: str) -> tuple[int, int]:
    """(devices whose active model is the right one, devices with anything else active)."""
    good = bad = 0
    for state in state_root.glob("agent-*/*/state.json"):
        active = json.loads(state.read_text())["active"]
        model = state.parent / "models" / f"{active['sha256']}.tflite"
        if active["sha256"] == sha and hashlib.sha256(model.read_bytes()).hexdigest() == sha:
            good += 1
        else:
            bad += 1
    return good, bad


def main() -> None:
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory(
            dir=shm if shm.is_dir() else None) as devices_dir:
        work = Path(tmp)
        registry = Registry(load_settings(environ={}, data_dir=str(work / "data")))
        registry.init()
        data = writer.fully_connected(inputs=400, units=250)
        version = register_model(registry, data, {"name": "Bench 100 KB", "model": "bench"})
        trust = publish_key(registry.store, registry.data_path)
        agents = start_agents(work, trust, Path(devices_dir))
        try:
            import_dir(registry, work / "published")
            devices = [device_iri(device_id(f'urn:dev:bench:{i:04d}'))
                       for i in range(DEVICES)]
            options = rollout.Options(waves=(10, 100, DEVICES), max_failure_rate=0.1,
                                      parallel=PARALLEL, timeout_s=60)
            start = time.perf_counter()
            plan = rollout.plan(registry, version.iri, devices)
            gated = time.perf_counter()
            iri = rollout.start(registry, plan, options, "bench")
            summary = rollout.run(registry, iri, options)
            ours = time.perf_counter() - start
        finally:
            for proc in agents:
                proc.terminate()
            for proc in agents:
                proc.wait(timeout=30)
        good, bad = corrupt_activations(Path(devices_dir), version.sha256)
        anchor = bare_puts(data)
        registry.close()
    print(f"model {len(data)} bytes; {DEVICES} devices in {AGENT_PROCESSES} agent processes; "
          f"{PARALLEL} parallel sends; gate {gated - start:.2f} s")
    print(f"rollout {summary.state.lower()}: {summary.counts}; throughput "
          f"{DEVICES / ours:.0f} devices/s, {DEVICES * len(data) / ours / 1e6:.1f} MB/s")
    print(f"active and intact on {good} devices; corrupt activations: {bad}")
    print(f"the rollout takes {ours / anchor:.1f}x the bare transfer: signing, the devices' "
          "checks, test loads and atomic swaps, and the records")
    report("rollout of 100 KB to 1,000 agents", ours, anchor, "bare HTTP PUTs of the same bytes",
           target="< 15 s, 0 corrupt activations")


if __name__ == "__main__":
    main()
