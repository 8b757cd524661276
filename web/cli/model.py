"""`tinyreg model ...`: register .tflite files and read model versions back."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from tinyreg.registry import Registry
from tinyreg.registry.errors import NotFound
from tinyreg.registry.models import ARENA_BASES, show_model, tidy_artifacts
from tinyreg.registry.models.figures import (RuntimeFigure, add_figure, measure_on_device_npus,
                                             runtime_iri)
from tinyreg.registry.references import resolve_device, resolve_model
from tinyreg.registry.vocab import local_name

from .base import UserError, cli, pass_state
from .output import format_option, render_rows


def _options(name, model, task, sensors, dataset, metrics, license_, creator, source, description,
             npu, max_latency_ms, inference_rate):
    parsed = []
    for text in metrics:
        metric, sep, value = text.partition("=")
        if not sep:
            raise UserError(f"--metric takes NAME=VALUE (e.g. accuracy=0.91), got {text!r}")
        parsed.append({"metric": metric, "value": value, "dataset": dataset})
    return {"name": name, "model": model, "task": task, "sensors": list(sensors),
            "dataset": dataset, "metrics": parsed, "license": license_, "creator": creator,
            "source": source, "description": description, "npu": npu,
            "max_latency_ms": max_latency_ms, "inference_rate": inference_rate}


card_options = [
    click.option("--name", help="Model name (default: the card's, else the file name)."),
    click.option("--version-of", "model", metavar="MODEL",
                 help="Register as a new version of this model (its name or slug)."),
    click.option("--task", help="ML task, e.g. keyword-spotting, visual-wake-words, gesture."),
    click.option("--sensor", "sensors", multiple=True,
                 help="A sensor kind the input comes from (repeatable): microphone, accelerometer..."),
    click.option("--dataset", help="Dataset the model was trained and evaluated on."),
    click.option("--metric", "metrics", multiple=True, metavar="NAME=VALUE",
                 help="A metric on --dataset (repeatable), e.g. accuracy=0.91."),
    click.option("--license", "license_", help="License (SPDX id or URL)."),
    click.option("--creator", help="Who made the model."),
    click.option("--source", help="Where the file comes from: a URL, or a package and its version."),
    click.option("--description", help="One-paragraph description."),
    click.option("--npu", help="Accelerator the model was compiled for, e.g. Ethos-U55."),
    click.option("--max-latency-ms", type=float, metavar="MS",
                 help="Latency budget: the longest one inference may take, in ms."),
    click.option("--inference-rate", metavar="RATE",
                 help="How often it must infer, e.g. 'every 20 ms' or '50 Hz' (its period is a budget)."),
]


def with_card_options(fn):
    for option in reversed(card_options):
        fn = option(fn)
    return fn


@cli.group()
def model() -> None:
    """Model versions, registered from .tflite files."""


@model.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_card_options
@pass_state
def add(state, file: Path, **card) -> None:
    """Measure FILE and register it (a sidecar FILE.yaml/.json card is read too)."""
    registry = state.registry()
    _existing(registry, card["model"])
    result = registry.intake.add_model_file(file, _options(**card)).registered
    if not result.created:
        if result.unapplied:
            raise UserError(
                f"{file.name} is already registered as {local_name(result.model)}@{result.number} "
                f"(same SHA-256), whose card says otherwise about {', '.join(result.unapplied)}: "
                f"a version keeps the card it was registered with; nothing was changed")
        click.echo(f"already registered: {result.iri} (same SHA-256)")
        return
    report = result.report
    tflm = report.tflm
    click.echo(f"registered {result.iri}")
    click.echo(f"  sha256 {result.sha256}, {report.analysis.byte_size:,} B, "
               f"flash {report.analysis.flash_bytes:,} B, {report.analysis.number_format}")
    if tflm.runs and tflm.arena:
        click.echo(f"  TFLM arena {tflm.arena.total:,} B (measured; head {tflm.arena.head:,}, "
                   f"tail {tflm.arena.tail:,}; smallest working {tflm.minimum_arena or '?'})")
    else:
        click.echo(f"  TFLM: {'does not run' if tflm.measured else 'unknown'}: {tflm.reason}")
        if report.estimate is not None:
            estimate = report.estimate
            click.echo(f"  TFLM arena {estimate.total_bytes:,} B (estimated, not measured; head "
                       f"{estimate.head_bytes:,}, tail {estimate.tail_bytes:,})")
    litert = report.litert
    if litert.runs:
        click.echo("  LiteRT: runs" + (f", RAM {litert.ram_bytes:,} B (measured on this host)"
                                       if litert.ram_bytes is not None else ""))
    else:
        click.echo(f"  LiteRT: does not run: {litert.reason}")
    for warning in result.warnings:
        click.echo(f"  warning: {warning}")


@model.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_card_options
@pass_state
def import_(state, directory: Path, **card) -> None:
    """Register every .tflite file below DIRECTORY, each with its sidecar card."""
    intake = state.registry().intake
    files = intake.model_files(directory)
    if not files:
        raise UserError(f"no .tflite file below {directory}")
    _existing(state.registry(), card["model"])
    options = {k: v for k, v in _options(**card).items() if v}
    with click.progressbar(length=len(files), label="measuring", file=sys.stderr) as bar:
        results = intake.import_models(files, options, progress=lambda _result: bar.update(1))
    failed = 0
    for r in results:
        if r.error:
            failed += 1
            click.echo(f"FAILED {r.path}: {r.error}")
        else:
            what = "registered" if r.created else "already registered"
            click.echo(f"ok     {r.path}: {what} {r.models[0]}")
            for warning in r.warnings:
                click.echo(f"       warning: {warning}")
    click.echo(f"{len(results) - failed} registered, {failed} failed")
    if failed:
        # A refused file is bad input, as in `device import`: exit 2 (README, exit codes).
        raise UserError(f"{failed} file(s) could not be imported; see the report above")


def _existing(registry: Registry, model: str | None) -> None:
    """--version-of names a model that is registered: a typo must not start a new model."""
    if model:
        try:
            resolve_model(registry, model)
        except NotFound:
            raise UserError(f"--version-of {model}: no such model; `tinyreg model list` shows "
                            f"them (leave --version-of out to start a new model)") from None


@model.command("list")
@format_option
@pass_state
def list_(state, fmt: str) -> None:
    """Models with their latest version."""
    rows = [{"model": r["id"], "name": r["name"], "task": r["task"] or "", "latest": r["latest"],
             "versions": r["versions"]} for r in state.registry().models.rows()]
    click.echo(render_rows(["model", "name", "task", "latest", "versions"], rows, fmt))


@model.command("show")
@click.argument("ref")
@format_option
@pass_state
def show(state, ref: str, fmt: str) -> None:
    """One version: REF is a slug (latest), slug@N or an IRI."""
    info = show_model(state.registry(), ref)
    if fmt != "table":
        click.echo(json.dumps(info, indent=2, default=str))
        return
    click.echo(f"{info['name']}  <{info['v']}>")
    click.echo(f"  arena {_arena(info)}, flash {_bytes(info['flash'])}, "
               f"format {local_name(info['format']) or 'unknown'}, {_count(info['params'])} parameters, "
               f"{_count(info['macs'])} MACs")
    for kind in ARENA_BASES:
        # The figures the verdicts do not take, beside the one they do.
        if info[kind] is not None and kind != info["arena_basis"]:
            click.echo(f"  {kind} arena {info[kind]:,} B" + (
                f" (in {info['declaredIn']})" if kind == "declared" and info["declaredIn"] else ""))
    if info["declaredFlash"] is not None:
        click.echo(f"  declared flash {info['declaredFlash']:,} B")
    if info["sha"]:
        click.echo(f"  artifact sha256 {info['sha']} ({info['size']:,} B)")
    else:
        click.echo("  no artifact: the registry holds a description only")
    for r in info["runtimes"]:
        state_ = ("runs" if r["runs"] else f"does not run: {r['reason']}") \
            if r["runs"] is not None else f"unknown: {r['reason']}"
        click.echo(f"  {local_name(r['runtime'])}: {state_}")
    for f in info["figures"]:
        target = local_name(f["runtime"]) or f"{local_name(f['npu'])}-{f['macs']} {f['mode']}"
        parts = [f"RAM {f['ram']:,} B" if f["ram"] is not None else None,
                 f"flash {f['flash']:,} B" if f["flash"] is not None else None,
                 f"{f['latency']:g} ms" if f["latency"] is not None else None,
                 f"{f['share']:.0%} of operators on the NPU" if f["share"] is not None else None]
        click.echo(f"  on {target}: {', '.join(p for p in parts if p)} "
                   f"({f['basis']} by {f['source']})")
    for op in info["operators"]:
        click.echo(f"  op {local_name(op['operator'])} v{op['version']} x{op['count']}")


def _count(n) -> str:
    return f"{n:,}" if n is not None else "unknown"


def _bytes(n) -> str:
    return f"{n:,} B" if n is not None else "unknown"


def _arena(info: dict) -> str:
    """The figure verdicts take, saying whether it was measured, estimated or declared."""
    if info["arena"] is None:
        return "unknown (neither measured, estimated nor declared)"
    how = info["arena_basis"]
    if info["method"]:
        how += f": {local_name(info['method'])}"
    if info["arena_basis"] == "declared" and info["declaredIn"]:
        how += f" in {info['declaredIn']}"
    return f"{info['arena']:,} B ({how})"


@model.command("tidy")
@pass_state
def tidy(state) -> None:
    """Remove artifact files that no model version refers to (left by an interrupted add)."""
    counts = tidy_artifacts(state.registry())
    click.echo(f"removed {counts['temporary']} temporary and {counts['unreferenced']} unreferenced files")


@model.command("figure")
@click.argument("ref")
@click.option("--runtime", required=True,
              help="The runtime the figure is for: x-cube-ai, plumerai, microtvm, hale, onnc...")
@click.option("--source", required=True, help='Who reported it, e.g. "X-CUBE-AI 10.2".')
@click.option("--ram", "ram_bytes", type=click.IntRange(min=0), help="RAM in bytes.")
@click.option("--flash", "flash_bytes", type=click.IntRange(min=0), help="Flash in bytes.")
@click.option("--latency-ms", type=click.FloatRange(min=0), help="Latency of one inference, ms.")
@click.option("--basis", type=click.Choice(["declared", "measured", "estimated"]),
              default="declared", show_default=True, help="How the source got the figure.")
@pass_state
def figure(state, ref: str, runtime: str, source: str, ram_bytes, flash_bytes, latency_ms,
           basis: str) -> None:
    """Record RAM/flash/latency of version REF under another runtime, with their source."""
    entry = RuntimeFigure(runtime=runtime_iri(runtime), npu=None, basis=basis, source=source,
                          ram_bytes=ram_bytes, flash_bytes=flash_bytes, latency_ms=latency_ms)
    iri = add_figure(state.registry(), ref, entry)
    click.echo(f"{iri}: {local_name(entry.runtime)} figure recorded ({_figure_text(entry)})")


@model.command("vela")
@click.argument("ref")
@click.option("--device", "device_ref", required=True,
              help="A device whose processor has an Ethos-U NPU (with tr:npuMacs and "
                   "tr:npuMemoryMode): the model is compiled for that configuration.")
@pass_state
def vela(state, ref: str, device_ref: str) -> None:
    """Compile version REF with Arm's Vela for a device's Ethos-U NPU and record the result."""
    registry = state.registry()
    for result in measure_on_device_npus(registry, ref, resolve_device(registry, device_ref)):
        c = result.config
        click.echo(f"{c.accelerator} {c.memory_mode}: SRAM {result.sram_bytes:,} B, flash "
                   f"{result.flash_bytes:,} B, {result.npu_operators} of "
                   f"{result.npu_operators + result.cpu_operators} operators on the NPU, "
                   f"{result.cycles:,} cycles (Vela {result.vela_version}, estimated)")


def _figure_text(f: RuntimeFigure) -> str:
    parts = [f"RAM {f.ram_bytes:,} B" if f.ram_bytes is not None else None,
             f"flash {f.flash_bytes:,} B" if f.flash_bytes is not None else None,
             f"{f.latency_ms:g} ms" if f.latency_ms is not None else None]
    return ", ".join(p for p in parts if p) + f"; {f.basis} by {f.source}"
