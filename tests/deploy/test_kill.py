"""The registry killed (SIGKILL) in the middle of a rollout, then restarted: every
deployment is still in the graph, the rollout resumes from it, and no device activates a
model twice or one it should not have."""
import os
import queue
import signal
import subprocess
import sys
import threading
import time

from tinyreg.registry import Registry, load_settings
from tinyreg.registry.front.deployments import DeploymentFilter

from .conftest import make_td

NAMES = ["k1", "k2", "k3", "k4"]
WAIT_S = 60


def _tinyreg(data_dir, *args, **popen):
    return subprocess.Popen([sys.executable, "-m", "tinyreg.web.cli", "--data", str(data_dir),
                             *args], **popen)


def test_a_rollout_killed_mid_way_resumes_from_the_graph(data_dir, agents):
    agent = agents([make_td(n) for n in NAMES], "--fault", "delay=1.0")
    assert _tinyreg(data_dir, "device", "import", str(agent.td_files[0].parent),
                    stdout=subprocess.DEVNULL).wait(timeout=WAIT_S) == 0

    deploy = _tinyreg(data_dir, "deploy", "kws@1", "--where", "runtime=TFLM", "--waves", "1",
                      "--parallel", "1", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(l) for l in deploy.stderr], daemon=True).start()
    rollout_id = None
    deadline = time.monotonic() + WAIT_S
    while rollout_id is None and time.monotonic() < deadline:
        line = lines.get(timeout=WAIT_S)
        if line.startswith("rollout "):
            rollout_id = line.split()[1].rstrip(":")
    # Kill it once the first device has its model and the next send is under way.
    while time.monotonic() < deadline and sum(
            agent.device_state(n)["active"] is not None for n in NAMES) < 1:
        time.sleep(0.05)
    time.sleep(0.5)
    os.kill(deploy.pid, signal.SIGKILL)
    deploy.wait(timeout=WAIT_S)
    done_before = sum(agent.device_state(n)["active"] is not None for n in NAMES)
    assert 1 <= done_before < len(NAMES), "the kill should land mid-rollout"

    with Registry(load_settings(environ={}, data_dir=str(data_dir))) as registry:
        recorded = registry.deployments.records(DeploymentFilter(rollout=rollout_id))
    assert len(recorded) == len(NAMES)  # every deployment was written before anything was sent
    assert {r["status"] for r in recorded} <= {"Active", "Sending", "Pending"}

    resume = _tinyreg(data_dir, "rollout", "resume", rollout_id, stdout=subprocess.PIPE,
                      stderr=subprocess.PIPE, text=True)
    out, err = resume.communicate(timeout=WAIT_S * 2)
    assert resume.returncode == 0, err
    assert "completed (4 active)" in out

    with Registry(load_settings(environ={}, data_dir=str(data_dir))) as registry:
        final = registry.deployments.records(DeploymentFilter(rollout=rollout_id))
    assert [r["status"] for r in final] == ["Active"] * len(NAMES)
    recorded_iris = {r["iri"] for r in final}
    for name in NAMES:
        log = agent.activations(name)
        assert len(log) == 1, f"{name} activated {len(log)} times"
        assert log[0]["deployment"] in recorded_iris
    assert len({agent.activations(n)[0]["sha256"] for n in NAMES}) == 1
