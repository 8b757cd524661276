"""`tinyreg check | match | matrix | what-if | best`: which model fits which device, and why.

Models are named by IRI, slug (the latest version) or slug@N; devices by IRI or slug.
Every answer has two parts: `runs` (memory, runtime, operators, number format, accelerator)
and `fits` (it runs, and the sensors its input needs are on the device), each yes, no or
unknown (a fact it depends on is not stated). `check` exits 0 when the answer asked for
(fits, or runs with --runs-only) is yes, 1 when it is no, 3 when it is unknown, 2 on a user
error.
"""
from __future__ import annotations

import csv
import io
import json
import math

import click

from tinyreg.registry import compat
from tinyreg.registry.front.compat import MatchFilter
from tinyreg.registry.vocab import local_name
from tinyreg.registry.words import metric_iri, task_iri, word

from .base import UserError, cli, pass_state
from .output import render_rows

_MARKS = {"violation": "x", "unknown": "?", "warning": "!", "info": "i"}
UNKNOWN_EXIT = 3


def _result_lines(results) -> list[str]:
    # an unknown's message already begins "unknown: <what is missing>"
    return [f"  {_MARKS.get(r.level, '-')} "
            + (r.message if r.message.startswith(f"{r.level}: ") else f"{r.level}: {r.message}")
            + f"  [{local_name(r.constraint)}]" for r in results]


def _headroom_line(resource: str, h: dict) -> str:
    """needed of available, and the difference; against a total when no usable figure is
    stated, which bounds the headroom without giving it."""
    if h["capacity_kind"] != "usable":
        return (f"  {resource}: needs {h['needed']:,} B of {h['available']:,} B in all (usable not "
                f"stated), {'at most' if h['difference'] >= 0 else 'short by'} "
                f"{abs(h['difference']):,} B{' to spare' if h['difference'] >= 0 else ''}")
    return (f"  {resource}: needs {h['needed']:,} B of {h['available']:,} B available, "
            f"{'headroom' if h['difference'] >= 0 else 'short by'} {abs(h['difference']):,} B")


def _said(answer: bool | None, what: str, warned: bool = False) -> str:
    """fits / fits, with warnings / does not fit / unknown whether it fits."""
    if answer is None:
        return f"unknown whether it {what}"
    if not answer:
        return {"fits": "does not fit", "runs": "does not run"}[what]
    return f"{what}, with warnings" if warned else what


def _verdict_text(m, runs_only: bool = False) -> str:
    """One line for a match: the answer asked for, and the other one where it differs."""
    if runs_only:
        return _said(m.runs, "runs", m.warned)
    text = _said(m.fits, "fits", m.warned)
    if m.fits is not True and m.runs is not None and m.runs != m.fits:
        text += f" ({_said(m.runs, 'runs')})"
    return text


@cli.command()
@click.argument("model")
@click.argument("device")
@click.option("--shacl", is_flag=True, help="Ask pySHACL itself instead of the fleet engine.")
@click.option("--runs-only", is_flag=True,
              help="Exit on whether it runs, leaving sensors aside (e.g. input over a serial link).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@pass_state
def check(state, model: str, device: str, shacl: bool, runs_only: bool, fmt: str) -> None:
    """Does MODEL run on and fit DEVICE? Exit 0 yes, 1 no, 3 unknown; the reasons either way."""
    verdict = state.registry().compat.check(model, device, shacl=shacl)
    version, board = verdict.model, verdict.device
    if fmt == "json":
        click.echo(json.dumps(verdict.as_dict(), indent=2))
    else:
        click.echo(f"{_version_name(version)} {_said(verdict.fits, 'fits')} {local_name(board)} "
                   f"(runs: {compat.answer_text(verdict.runs)}, fits: {compat.answer_text(verdict.fits)})")
        for resource, h in verdict.headroom.items():
            click.echo(_headroom_line(resource, h))
        for line in _result_lines([r for r in verdict.results if r.group != compat.HEADROOM]):
            click.echo(line)
    answer = verdict.runs if runs_only else verdict.fits
    if answer is None:
        raise click.exceptions.Exit(UNKNOWN_EXIT)
    if not answer:
        raise click.exceptions.Exit(1)


@cli.command()
@click.option("--model", "model", help="List the devices this model version fits.")
@click.option("--device", "device", help="List the model versions that fit this device.")
@click.option("--explain", is_flag=True,
              help="Also list what is unknown and what does not fit, and why.")
@click.option("--runs-only", is_flag=True, help="Ask whether it runs, leaving sensors aside.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many rows.")
@click.option("--max-latency-ms", type=click.FloatRange(min=0), metavar="MS",
              help="Only pairs whose estimated latency is at most MS (an unknown one is not).")
@click.option("--sort", "sort", type=click.Choice(["fit", "latency"]), default="fit",
              show_default=True, help="fit: fitting first; latency: and fastest first within that.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="Output format.")
@pass_state
def match(state, model: str | None, device: str | None, explain: bool, runs_only: bool,
          limit: int | None, max_latency_ms: float | None, sort: str, fmt: str) -> None:
    """What fits what: the devices for --model, or the model versions for --device."""
    if (model is None) == (device is None):
        raise UserError("give either --model or --device")
    where = MatchFilter(explain=explain, max_latency_ms=max_latency_ms, sort=sort,
                        runs_only=runs_only)
    matches = state.registry().compat.judge(model=model, device=device, where=where).matches(
        explain, limit)
    _print_matches(matches, fmt, runs_only)
    if fmt == "table" and not any(m.runs if runs_only else m.fits for m in matches):
        if model is not None:
            what = f"no device {'runs' if runs_only else 'fits'} this model version"
        else:
            what = f"no model version {'runs on' if runs_only else 'fits'} this device"
        click.echo(what + ("" if explain else "; --explain says why for each"), err=True)


def _print_matches(matches, fmt: str, runs_only: bool = False) -> None:
    if fmt == "json":
        click.echo(json.dumps([m.as_dict() for m in matches], indent=2))
        return
    rows = [{"id": _version_name(m.iri), "name": m.name, "verdict": _verdict_text(m, runs_only),
             "latency_ms": latency_text(m.latency),
             "why": "; ".join(r.message for r in m.results if r.group != compat.HEADROOM)}
            for m in matches]
    columns = ("id", "name", "verdict") + (("latency_ms",) if any(m.latency for m in matches) else ()) \
        + (("why",) if any(m.results for m in matches) else ())
    click.echo(render_rows(columns, rows, fmt))


def _cell(fits: bool | None, runs: bool | None, warned: bool) -> str:
    """One pair of the CSV matrix in one character."""
    if fits is None:
        return "?"
    if fits:
        return "w" if warned else "1"
    return "r" if runs else "0"


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True, help="csv: a row per model version, a column per device; "
                                      "json: the same as lists.")
@pass_state
def matrix(state, fmt: str) -> None:
    """Every model version on every device: 1 fits, w fits with a warning, r runs but lacks
    a sensor, ? unknown whether it fits, 0 does not fit."""
    result = compat.matrix(state.registry())
    fits, runs = result.answer_rows("fits"), result.answer_rows("runs")
    rows = []
    for i in range(len(result.models)):
        warned = result.warned_row(i).tolist()
        rows.append([_cell(f, r, w) for f, r, w in zip(fits[i], runs[i], warned)])
    if fmt == "json":
        latency = compat.latency_matrix(state.registry(), result.models, result.devices)
        click.echo(json.dumps({"models": result.models, "devices": result.devices,
                               "runs": runs, "fits": fits,
                               "warned": [[cell == "w" for cell in row] for row in rows],
                               "counts": [int(c) for c in result.counts()],
                               # the fastest estimate of each pair in ms, null where none
                               "latency_ms": [[None if math.isnan(x) else round(float(x), 3)
                                               for x in row] for row in latency]}, indent=2))
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["model"] + [local_name(d) for d in result.devices])
    for version, row in zip(result.models, rows):
        writer.writerow([_version_name(version)] + row)
    click.echo(buffer.getvalue().rstrip("\n"))


def latency_text(latency: dict | None) -> str:
    """"51.1 (8.43-310)": the fastest estimate in ms and its band, as a table cell (the
    dashboard's `latency` macro writes it alike)."""
    if latency is None:
        return ""
    mark = "" if latency["calibrated"] else " uncal."
    return f"{_ms(latency['estimate'])} ({_ms(latency['low'])}-{_ms(latency['high'])}){mark}"


def _ms(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def _version_name(iri: str) -> str:
    """kws-micro@2 for .../model/kws-micro/v2 (as the CLI accepts it back); else the slug."""
    head, _, tail = iri.rstrip("/").rpartition("/")
    if "/model/" in iri and tail.startswith("v") and tail[1:].isdigit():
        return f"{local_name(head)}@{tail[1:]}"
    return local_name(iri)


@cli.command("what-if")
@click.option("--model", help="A model version whose needs change.")
@click.option("--device", help="A device whose capacity changes.")
@click.option("--arena", "arena_delta", type=int, default=0,
              help="Change of the model's tensor arena in bytes (e.g. -20000).")
@click.option("--ram", "ram_delta", type=int, default=0, help="Change of the device's RAM in bytes.")
@click.option("--flash", "flash_delta", type=int, default=0,
              help="Change of the model's or the device's flash in bytes.")
@click.option("--explain", is_flag=True, help="Say what rules each pair out today (or then).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="Output format.")
@pass_state
def what_if(state, model, device, arena_delta, ram_delta, flash_delta, explain, fmt) -> None:
    """Which pairs a smaller model or a bigger device would win (or lose)."""
    if (model is None) == (device is None):
        raise UserError("give either --model or --device")
    if model is not None and ram_delta:
        raise UserError("--ram changes a device; with --model give --arena or --flash")
    if device is not None and arena_delta:
        raise UserError("--arena changes a model version; with --device give --ram or --flash")
    if not (arena_delta or ram_delta or flash_delta):
        raise UserError("say what changes: " + ("--arena or --flash" if model else "--ram or --flash")
                        + " in bytes, e.g. " + ("--arena -20000" if model else "--ram 65536"))
    answer = state.registry().compat.what_if(model=model, device=device, arena_delta=arena_delta,
                                             ram_delta=ram_delta, flash_delta=flash_delta,
                                             explain=explain)
    if fmt == "json":
        click.echo(json.dumps({"gained": [m.as_dict() for m in answer.gained],
                               "lost": [m.as_dict() for m in answer.lost]}, indent=2))
        return
    click.echo(f"would gain {len(answer.gained)}, would lose {len(answer.lost)}")
    if answer.gained or answer.lost:
        _print_matches(answer.gained + answer.lost, fmt)
    elif fmt == "table":
        click.echo("no pair would change; a larger change, or --explain on `tinyreg match`, "
                   "shows what else rules them out", err=True)


@cli.command()
@click.argument("device")
@click.option("--task", required=True, help="ML task, e.g. keyword-spotting (or its IRI).")
@click.option("--metric", required=True, help="Metric, e.g. accuracy (or its IRI).")
@click.option("--slice", "on_slice", help="Rank by the value on this slice, e.g. lighting=dim.")
@click.option("--explain", is_flag=True, help="Also list the versions that do not fit, and why.")
@click.option("--max-latency-ms", type=click.FloatRange(min=0), metavar="MS",
              help="Only versions whose estimated latency on DEVICE is at most MS.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="Output format.")
@pass_state
def best(state, device: str, task: str, metric: str, on_slice: str | None, explain: bool,
         max_latency_ms: float | None, fmt: str) -> None:
    """The model versions for TASK that fit DEVICE, best METRIC first."""
    task, metric = word(task_iri(task, "--task")), word(metric_iri(metric, "--metric"))
    ranked = state.registry().compat.best(device, task, metric, on_slice=on_slice,
                                          explain=explain, max_latency_ms=max_latency_ms)
    if fmt == "json":
        click.echo(json.dumps([r.as_dict() for r in ranked], indent=2))
        return
    rows = [{"model": _version_name(r.iri), "name": r.name, "value": r.value, "dataset": r.dataset,
             "verdict": _said(r.fits, "fits"), "latency_ms": latency_text(r.latency),
             "why": "; ".join(x.message for x in r.results if not r.fits and x.group != compat.HEADROOM)}
            for r in ranked]
    click.echo(render_rows(("model", "name", "value", "dataset", "verdict", "latency_ms", "why"),
                           rows, fmt))
    if fmt == "table" and not rows:
        click.echo(f"no model version for {task} that fits states {metric} on a whole dataset; "
                   + ("try another --metric or --slice" if explain
                      else "--explain adds those that do not fit"), err=True)
