"""The deploy commands as a person uses them: one line and a non-zero exit on bad input."""
import json

import pytest
from click.testing import CliRunner

from tinyreg.registry import Registry, load_settings
from tinyreg.registry.vocab import device_id
from tinyreg.web.cli import cli

from ..remote.server import free_port
from .conftest import iri_of, make_td


@pytest.fixture
def tinyreg(data_dir):
    runner = CliRunner()

    def run(*args, code=0):
        result = runner.invoke(cli, ["--data", str(data_dir), *map(str, args)],
                               catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result
    return run


@pytest.fixture
def fleet(tinyreg, agents):
    """Two roomy boards and one with 8 KB of RAM, registered through `tinyreg device add`."""
    agent = agents([make_td("a"), make_td("b"), make_td("small", ram=8192, reserved_ram=0)])
    for path in agent.td_files:
        tinyreg("device", "add", path)
    return agent


def test_dry_run_says_what_would_go_where_and_writes_nothing(tinyreg, fleet):
    out = tinyreg("deploy", "conv", "--where", "runtime=TFLM", "--dry-run", code=0).output
    lines = sorted(out.splitlines())
    assert len(lines) == 3
    assert lines[0].startswith(f"refuse {iri_of('small')}: ")
    assert "RAM" in lines[0]
    assert lines[1].endswith(f"{device_id('urn:dev:test:a')}/model (application/vnd.tflite)")
    assert lines[1].startswith(f"send   {iri_of('a')}: 1200 bytes, PUT ")
    assert json.loads(tinyreg("deployments", "--format", "json").output) == []
    assert fleet.info("a")["transfers"] == 0


def test_deploy_reports_each_refusal_and_exits_1(tinyreg, fleet):
    result = tinyreg("deploy", "conv", "--where", "runtime=TFLM", "--waves", "2", code=1)
    assert "completed (2 active, 1 refused)" in result.output
    assert f"refused: {device_id('urn:dev:test:small')}: " in result.output
    rollout_id = result.output.split("rollout ", 1)[1].split(":", 1)[0]
    status = json.loads(tinyreg("rollout", "status", rollout_id, "--format", "json").output)
    assert status["state"] == "Completed" and status["byStatus"] == {"Active": 2, "Refused": 1}
    listed = json.loads(tinyreg("deployments", "--device", "urn:dev:test:a", "--format", "json").output)
    assert [d["status"] for d in listed] == ["Active"]
    assert rollout_id in tinyreg("rollout", "list").output
    # A rollout every device refused says so, not "completed".
    refused = tinyreg("deploy", "conv", "--device", "urn:dev:test:small", code=1).output
    assert "refused: nothing sent (1 refused)" in refused and "completed" not in refused
    refused_id = refused.split("rollout ", 1)[1].split(":", 1)[0]
    assert f"rollout {refused_id}: refused: nothing sent" in tinyreg("rollout", "status", refused_id).output


def test_deploy_then_roll_back_from_the_command_line(tinyreg, fleet):
    tinyreg("deploy", "kws@1", "--device", "urn:dev:test:a")
    tinyreg("deploy", "kws", "--device", device_id("urn:dev:test:a"))
    assert fleet.device_state("a")["active"]["version"].endswith("/kws/v2")
    out = tinyreg("rollback", "--device", "urn:dev:test:a").output
    assert "completed (1 active)" in out
    assert fleet.device_state("a")["active"]["version"].endswith("/kws/v1")
    rows = json.loads(tinyreg("deployments", "--model", "kws@2", "--format", "json").output)
    assert [r["status"] for r in rows] == ["RolledBack"]


@pytest.mark.parametrize("args, message", [
    (["deploy", "nosuch", "--device", "x"], "no model 'nosuch'"),
    (["deploy", "kws", "--device", "nosuch"], "no device nosuch"),
    (["deploy", "kws", "--where", "colour=red"], "expected key=value with a key among"),
    (["deploy", "kws", "--where", "kind=Linux Device"], "is an ontology name"),
    (["deploy", "kws", "--where", "SELECT ?x WHERE { ?x a <urn:nothing> }"], "selects no device"),
    (["deploy", "kws", "--where", "SELECT ?s WHERE { ?s a <https://w3id.org/tinyreg/ontology#Model> }"],
     "not registered devices"),
    (["deploy", "kws", "--device", "a", "--waves", "3,x"], "whole numbers"),
    (["rollout", "status", "nope"], "no rollout nope"),
    (["rollout", "resume", "nope"], "no rollout nope"),
    (["rollback", "--rollout", "nope"], "no rollout nope"),
    (["agent", "--td", __file__, "--trust", "nokey", "--state", ".", "--port", "0"],
     "not an Ed25519 public key"),
])
def test_bad_input_is_one_line_and_exit_2(tinyreg, args, message):
    result = tinyreg(*args, code=2)
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_deploy_needs_devices(tinyreg):
    assert "give --device" in tinyreg("deploy", "kws", code=2).output


def test_cancel_while_another_process_holds_the_store_is_passed_on(tinyreg, data_dir):
    holder = Registry(load_settings(environ={}, data_dir=str(data_dir)))
    try:
        out = tinyreg("rollout", "cancel", "abc123").output
    finally:
        holder.close()
    assert "cancel requested" in out
    assert (data_dir / "deploy" / "cancel-abc123").exists()


def test_deploy_serves_devices_that_pull_while_it_runs(tinyreg, agents):
    port = free_port()
    agent = agents([make_td("nat")], "--pull", f"http://127.0.0.1:{port}/", "--poll-interval",
                   "0.2", port=False)
    tinyreg("device", "add", agent.td_files[0])
    out = tinyreg("deploy", "kws", "--device", "urn:dev:test:nat", "--pull-listen",
                  f"127.0.0.1:{port}", "--pull-timeout", "60").output
    assert "completed (1 active)" in out
    assert agent.device_state("nat")["active"]["version"].endswith("/kws/v2")


@pytest.mark.parametrize("request_bytes, status", [
    (b"NOT A REQUEST LINE\r\n\r\n", 400),
    (b"POST /deployments/x/report HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n", 413),
    (b"GET /devices/x/assignment HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 401),
])
def test_pull_listen_serves_problems_like_tinyreg_serve(data_dir, request_bytes, status):
    """The server `--pull-listen` starts answers its own errors (waitress's 400 and 413) and
    the endpoints' as problem documents."""
    from tinyreg.web.cli.deploy import _pull_server

    from ..web.test_hardening import raw

    registry = Registry(load_settings(environ={}, data_dir=str(data_dir)))
    try:
        with _pull_server(registry, "127.0.0.1:0") as server:
            address = type("Address", (), {"port": server.effective_port})
            code, media_type, body = raw(address, request_bytes)
    finally:
        registry.close()
    assert (code, media_type) == (status, "application/problem+json")
    assert body["status"] == status and body["detail"]
