"""`tinyreg serve` as a real process: waitress answers, SIGTERM stops it, errors are one line."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from click.testing import CliRunner

from .conftest import free_port


def tinyreg(*args: str) -> list[str]:
    return [sys.executable, "-m", "tinyreg.web.cli", *args]


def wait_for(url: str, seconds: float = 60) -> bytes:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return response.read()
        except urllib.error.HTTPError:
            raise  # the server is up and answered: that is the answer
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_serve_answers_and_stops_on_sigterm(tmp_path):
    port = free_port()
    env = {**os.environ, "TINYREG_DATA_DIR": str(tmp_path / "data"), "TINYREG_THREADS": "3"}
    process = subprocess.Popen(tinyreg("serve", "--port", str(port)), env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stats = json.loads(wait_for(f"http://127.0.0.1:{port}/api/stats"))
        assert stats["graphs"] >= 1  # the ontology was loaded on first use
        query = urllib.request.Request(
            f"http://127.0.0.1:{port}/sparql", data=b"ASK { ?s ?p ?o }",
            headers={"Content-Type": "application/sparql-query"})
        with urllib.request.urlopen(query, timeout=10) as response:
            assert json.loads(response.read())["boolean"] is True
            assert response.headers["Server"] == "tinyreg"  # waitress, not Werkzeug
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert f"http://127.0.0.1:{port}/" in err and "3 threads" in err


def test_serve_on_a_taken_port_is_one_line(tmp_path):
    import socket
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "TINYREG_DATA_DIR": str(tmp_path / "data")}
        done = subprocess.run(tinyreg("serve", "--port", str(port)), env=env,
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 3
    assert done.stderr.strip().startswith("Error: cannot listen on 127.0.0.1:")
    assert "Traceback" not in done.stderr


def test_demo_answers_then_serves_and_runs_again_to_the_same_answers(tmp_path):
    data = str(tmp_path / "data")
    port = free_port()
    env = {**os.environ, "TINYREG_DATA_DIR": data, "TINYREG_THREADS": "2", "TINYREG_PORT": str(port)}
    process = subprocess.Popen(tinyreg("demo"), env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        stats = json.loads(wait_for(f"http://127.0.0.1:{port}/api/stats", seconds=300))
        model_page = wait_for(f"http://127.0.0.1:{port}/models/okay-nabu").decode()
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
        print(err)  # pytest shows it when the test fails
    assert process.returncode == 0, err
    assert "devices can run it" in model_page, err
    assert f"http://127.0.0.1:{port}/" in err
    counts = re.fullmatch(r"devices in the catalog: (\d+); new model versions: (\d+)",
                          out.splitlines()[1])
    devices, created = int(counts[1]), int(counts[2])
    assert (stats["devices"], stats["versions"]) == (devices, created) and created > 0
    answers = out.split("\n\n", 1)[1].strip()
    assert "Which devices can run this model?" in answers

    # Again on the same data (here, without serving): nothing new, the same answers.
    from tinyreg.web.cli import cli
    again = CliRunner().invoke(cli, ["--data", data, "demo", "--no-serve"], catch_exceptions=False)
    assert again.exit_code == 0
    assert again.stdout.splitlines()[1] == f"devices in the catalog: {devices}; new model versions: 0"
    assert again.stdout.split("\n\n", 1)[1].strip() == answers
