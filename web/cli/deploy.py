"""`tinyreg deploy`, `rollout`, `rollback`, `deployments`, `key` and `agent`.

The rollout machinery (and the compatibility engine behind its gate) is imported by the
commands that run it, so that every other `tinyreg` command starts without it.
"""
from __future__ import annotations

import contextlib
import importlib
import json
import signal
import sys
import threading
from pathlib import Path

import click

from tinyreg.deploy.selection import named_devices, where_devices
from tinyreg.deploy.targets import AUTO, available
from tinyreg.registry import Registry
from tinyreg.registry.deployments import outcome
from tinyreg.registry.errors import Unavailable
from tinyreg.registry.front.deployments import DeploymentFilter
from tinyreg.registry.keys import parse_public_key, public_key_text, publish_key
from tinyreg.registry.references import resolve_rollout

from .base import EnvironmentProblem, UserError, cli, pass_state
from .output import format_option, render_rows

PULL_IDLE_S = 30

_DEPLOYMENT_COLUMNS = ("device_id", "version_id", "status", "attempts", "wave", "transport",
                       "reason", "ended")


def _rollouts():
    return importlib.import_module("tinyreg.deploy.rollout")


class NotAllDeployed(click.ClickException):
    """Some device did not get the model (refused, failed, or the rollout paused)."""
    exit_code = 1


def _run_options(f):
    for option in reversed([
        click.option("--parallel", type=click.IntRange(1, 256), default=16, show_default=True,
                     help="Devices sent to at once."),
        click.option("--timeout", "timeout_s", type=click.FloatRange(0.1), default=30.0,
                     show_default=True, help="Seconds one device may take to answer."),
        click.option("--backoff", "backoff_s", type=click.FloatRange(0), default=0.5,
                     show_default=True, help="First retry delay in seconds; doubles each time."),
        click.option("--pull-listen", metavar="HOST:PORT",
                     help="Serve the pull endpoints here while the rollout runs, for devices "
                          "that collect their model."),
        click.option("--pull-timeout", "pull_timeout_s", type=click.FloatRange(0.1),
                     default=300.0, show_default=True,
                     help="Seconds a wave waits for pulling devices to report."),
    ]):
        f = option(f)
    return f


def _options(waves="1,10,100", max_failures=0.1, retries=3, **knobs):
    rollouts = _rollouts()
    return rollouts.Options(waves=rollouts.parse_waves(waves), max_failure_rate=max_failures,
                            max_attempts=retries, backoff_s=knobs["backoff_s"],
                            parallel=knobs["parallel"], timeout_s=knobs["timeout_s"],
                            pull_timeout_s=knobs["pull_timeout_s"])


@contextlib.contextmanager
def _pull_server(registry: Registry, listen: str | None):
    """The pull endpoints served at `listen` (HOST:PORT) while the block runs; yields the
    server, or None without `listen`."""
    if not listen:
        yield None
        return
    from tinyreg.deploy.assignments import MAX_REPORT_BYTES

    from ..app import create_pull_app
    from ..server import create_server

    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise UserError(f"--pull-listen {listen!r}: expected HOST:PORT")
    # The server `tinyreg serve` runs: its own errors are problem documents too, and a
    # device that stops sending or reading mid-request is dropped after PULL_IDLE_S.
    try:
        server = create_server(create_pull_app(registry), host=host, port=int(port), threads=8,
                               channel_timeout=PULL_IDLE_S, ident="tinyreg",
                               # Reports are the only bodies; the endpoint answers
                               # those over its limit itself, with the limit named.
                               max_request_body_size=2 * MAX_REPORT_BYTES)
    except (OSError, ValueError) as exc:
        raise EnvironmentProblem(f"--pull-listen {listen}: cannot listen there: {exc}") from None
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    click.echo(f"pull endpoints at http://{host}:{server.effective_port}/", err=True)
    try:
        yield server
    finally:
        server.close()


def _run(registry: Registry, rollout_iri: str, options, total: int, listen: str | None):
    with _pull_server(registry, listen), click.progressbar(
            length=total, label="deploying", file=sys.stderr) as bar:
        return _rollouts().run(registry, rollout_iri, options, progress=bar.update)


def _report(registry: Registry, summary) -> None:
    token = summary.rollout.rsplit("/", 1)[-1]
    counts = ", ".join(f"{n} {status.lower()}" for status, n in sorted(summary.counts.items()))
    click.echo(f"rollout {token}: {outcome(summary.state, summary.counts).lower()} ({counts})")
    for d in registry.deployments.records(DeploymentFilter(rollout=summary.rollout)):
        if d["status"] in ("Refused", "Failed"):
            click.echo(f"  {d['status'].lower()}: {d['device_id'] or d['device']}: {d['reason']}")
    if summary.reason:
        click.echo(f"  {summary.reason}")
    if summary.state != "Completed" or any(s in summary.counts for s in ("Refused", "Failed")):
        raise NotAllDeployed(f"not every device runs the model; `tinyreg rollout status {token}`")


@cli.command()
@click.argument("model", metavar="MODEL[@VERSION]")
@click.option("--device", "devices", multiple=True, metavar="ID",
              help="A device to deploy to (repeat for more).")
@click.option("--where", metavar="FILTER|SPARQL",
              help="Devices matching key=value[,key=value] (kind, vendor, board, mcu, core, "
                   "runtime, connectivity, location, group), or a SPARQL SELECT of ?device.")
@click.option("--target", type=click.Choice([AUTO, *sorted(available())]), default=AUTO,
              show_default=True, help="How models reach devices: http push to the action "
                                      "their TD offers, pull, or auto (http where offered).")
@click.option("--waves", default="1,10,100", show_default=True,
              help="Wave sizes, the last repeated.")
@click.option("--max-failures", type=click.FloatRange(0, 1), default=0.1, show_default=True,
              help="Share of a wave that may fail before the rollout pauses.")
@click.option("--retries", type=click.IntRange(1, 20), default=3, show_default=True,
              help="Sends per device at most (the first and the retries).")
@_run_options
@click.option("--runs-only", is_flag=True,
              help="Accept devices the model runs on even without the sensors it names "
                   "(its input comes another way); by default a device must also have them.")
@click.option("--dry-run", is_flag=True, help="Print what would be sent where, and stop.")
@pass_state
def deploy(state, model, devices, where, target, waves, max_failures, retries, runs_only, dry_run,
           pull_listen, **knobs) -> None:
    """Send MODEL (its latest version, or @VERSION) to the devices the compatibility
    shapes accept; refuse the others with the reason."""
    if bool(devices) == bool(where):
        raise click.UsageError("give --device (one or more) or --where, not both")
    from tinyreg.registry.references import resolve_model

    rollouts = _rollouts()
    options = _options(waves, max_failures, retries, **knobs)
    registry = state.registry()
    version = resolve_model(registry, model)
    chosen = named_devices(registry, list(devices)) if devices else where_devices(registry, where)
    if not chosen:
        raise UserError(f"--where {where!r} selects no device")
    plan = rollouts.plan(registry, version, chosen, target, runs_only=runs_only)
    if dry_run:
        for p in plan.devices:
            if p.target is None:
                click.echo(f"refuse {p.device}: {p.reason}")
            else:
                what = available()[p.target]().describe(p.forms, "deploy")
                click.echo(f"send   {p.device}: {plan.version.byte_size} bytes, {what}")
        return
    if any(p.target == "pull" for p in plan.accepted) and not pull_listen:
        click.echo("note: some devices collect their model (pull); without --pull-listen they "
                   "need a registry serving the pull endpoints", err=True)
    selection = ", ".join(devices) if devices else f"where {where}"
    iri = rollouts.start(registry, plan, options, selection)
    click.echo(f"rollout {iri.rsplit('/', 1)[-1]}: {len(plan.accepted)} to send, "
               f"{len(plan.refused)} refused", err=True)
    _report(registry, _run(registry, iri, options, len(plan.accepted), pull_listen))


@cli.group()
def rollout() -> None:
    """Rollouts: their status, cancelling and resuming them."""


@rollout.command("list")
@format_option
@pass_state
def rollout_list(state, fmt: str) -> None:
    """Every rollout, newest first."""
    click.echo(render_rows(("id", "state", "version_id", "started", "ended", "selection", "reason"),
                           state.registry().deployments.rollouts(), fmt))


@rollout.command("status")
@click.argument("rollout_id")
@format_option
@pass_state
def rollout_show(state, rollout_id: str, fmt: str) -> None:
    """A rollout's state and its deployments."""
    registry = state.registry()
    info = registry.deployments.rollout(rollout_id)
    deployments = registry.deployments.records(DeploymentFilter(rollout=rollout_id))
    if fmt == "json":
        click.echo(json.dumps({**info, "deploymentList": deployments}, indent=2, default=str))
        return
    counts = ", ".join(f"{n} {s.lower()}" for s, n in sorted(info["byStatus"].items()))
    click.echo(f"rollout {info['id']}: {info['outcome'].lower()} ({counts})")
    if info["reason"]:
        click.echo(f"reason: {info['reason']}")
    click.echo(render_rows(_DEPLOYMENT_COLUMNS, deployments, fmt))


@rollout.command("cancel")
@click.argument("rollout_id")
@pass_state
def rollout_cancel(state, rollout_id: str) -> None:
    """Stop a rollout: nothing more is sent; deployments not yet made are cancelled."""
    iri = resolve_rollout(rollout_id)
    try:
        registry = state.registry()
    except Unavailable:
        # A running `tinyreg deploy` holds the store: ask it to stop instead.
        _rollouts().request_cancel(state.settings().data_path, iri)
        click.echo(f"rollout {rollout_id}: cancel requested; the running rollout stops "
                   "before its next send")
        return
    click.echo(f"rollout {rollout_id}: cancelled ({_rollouts().cancel(registry, iri)} "
               "deployments not made)")


@rollout.command("resume")
@click.argument("rollout_id")
@_run_options
@pass_state
def rollout_resume(state, rollout_id: str, pull_listen, **knobs) -> None:
    """Carry on with a paused or interrupted rollout from what the graph records."""
    registry = state.registry()
    info = registry.deployments.rollout(rollout_id)
    remaining = sum(n for s, n in info["byStatus"].items() if s in ("Pending", "Sending"))
    options = _options(**knobs)
    _report(registry, _run(registry, info["rollout"], options, remaining, pull_listen))


@cli.command()
@click.option("--device", "devices", multiple=True, metavar="ID",
              help="A device to roll back (repeat for more).")
@click.option("--rollout", "rollout_id", metavar="ID",
              help="Roll back every device this rollout made active.")
@click.option("--retries", type=click.IntRange(1, 20), default=3, show_default=True,
              help="Sends per device at most.")
@_run_options
@pass_state
def rollback(state, devices, rollout_id, retries, pull_listen, **knobs) -> None:
    """Return devices to the model they ran before their current one."""
    from tinyreg.deploy.rollback import start_rollback

    if bool(devices) == bool(rollout_id):
        raise click.UsageError("give --device (one or more) or --rollout, not both")
    registry = state.registry()
    options = _options(retries=retries, **knobs)
    iri, skipped = start_rollback(
        registry, devices=named_devices(registry, list(devices)) if devices else None,
        rollout=resolve_rollout(rollout_id) if rollout_id else None, options=options)
    for s in skipped:
        click.echo(f"skipped {s.device}: {s.reason}", err=True)
    total = registry.deployments.rollout(iri)["deployments"]
    _report(registry, _run(registry, iri, options, total, pull_listen))


@cli.command()
@click.option("--device", metavar="ID", help="Only this device's deployments.")
@click.option("--model", metavar="MODEL[@VERSION]", help="Only deployments of this version.")
@click.option("--rollout", "rollout_id", metavar="ID", help="Only this rollout's deployments.")
@format_option
@pass_state
def deployments(state, device, model, rollout_id, fmt: str) -> None:
    """Deployments recorded in the graph, oldest first."""
    rows = state.registry().deployments.records(DeploymentFilter(device=device, model=model, rollout=rollout_id))
    click.echo(render_rows(_DEPLOYMENT_COLUMNS, rows, fmt))


@cli.command()
@pass_state
def key(state) -> None:
    """Print the registry's public key (base64 Ed25519), the trust anchor of its devices."""
    registry = state.registry()
    click.echo(publish_key(registry.store, registry.data_path))


@cli.command()
@click.option("--td", "tds", multiple=True, required=True, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The Thing Description of a device this agent stands for (repeatable).")
@click.option("--trust", required=True, metavar="KEY|FILE",
              help="The registry's public key (`tinyreg key`), or a file holding it.")
@click.option("--state", "state_dir", required=True, metavar="DIR",
              type=click.Path(file_okay=False, path_type=Path),
              help="Where the devices keep their models.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port to serve the devices' actions on (0: any free port). Without it, "
                   "and with --pull, the devices only pull.")
@click.option("--pull", "pull_url", metavar="URL",
              help="Poll the registry's pull endpoints at URL for assignments.")
@click.option("--poll-interval", type=click.FloatRange(0.05), default=5.0, show_default=True,
              help="Seconds between polls in pull mode.")
@click.option("--write-td", metavar="DIR", type=click.Path(file_okay=False, path_type=Path),
              help="Write each device's TD, as served (base and actions filled in), to DIR.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(0.1), default=30.0,
              show_default=True, help="Seconds a connection may stall (either way) before "
                                      "the agent drops it.")
@click.option("--fault", "faults", multiple=True, metavar="KIND[=N]",
              help="For tests: drop, corrupt or reject the first N deployments (all without "
                   "N), or delay=SECONDS each.")
def agent(tds, trust, state_dir, host, port, pull_url, poll_interval, write_td, timeout_s,
          faults) -> None:
    """Run the reference device agent for one or more devices until stopped."""
    from tinyreg.deploy.agent import Agent, Faults, read_td

    if port is None and not pull_url:
        raise click.UsageError("give --port to serve the devices, --pull to poll, or both")
    try:
        trusted = parse_public_key(Path(trust).read_text() if Path(trust).is_file() else trust)
        docs = [read_td(path) for path in tds]
        running = Agent(docs, state_dir=state_dir, trust=trusted, host=host, port=port,
                        pull_url=pull_url, poll_interval_s=poll_interval,
                        faults=Faults.parse(faults), timeout_s=timeout_s)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    if write_td:
        running.write_tds(write_td)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    running.start()
    click.echo(f"agent: {len(running.devices)} device(s)"
               + (f" at {running.url}" if running.url else "")
               + (f", polling {pull_url}" if pull_url else "")
               + f"; trusting {public_key_text(trusted)}")
    for device in running.devices.values():
        click.echo(f"device {device.iri} {device.td.get('base', '(pull only)')}")
    sys.stdout.flush()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.close()
