"""`tinyreg demo`: the main job of a fresh install, on the bundled data."""
from __future__ import annotations

import click

from tinyreg.registry import sparql_functions
from tinyreg.registry.demo import load_demo
from tinyreg.registry.examples import DEVICES_FOR_MODEL, MODELS_FOR_DEVICE, WHY_NOT
from tinyreg.registry.store import IRI
from tinyreg.registry.vocab import device_iri, local_name, version_iri

from .base import cli, pass_state
from .serve import serve

# The subjects the demo asks its questions about: a real wake-word model and a board with a
# microphone.
DEMO_MODEL = version_iri("okay-nabu", 1)
DEMO_DEVICE = device_iri("arduino-nano-33-ble-sense-rev2")
QUESTIONS = (DEVICES_FOR_MODEL, MODELS_FOR_DEVICE, WHY_NOT)
SHOWN = 15


@cli.command()
@click.option("--serve/--no-serve", "serve_after", default=True, show_default=True,
              help="Then serve the dashboard, API and SPARQL endpoint on the settings' host "
                   "and port until interrupted.")
@pass_state
def demo(state, serve_after: bool) -> None:
    """Load the board catalog and the demo models, answer the example questions, and
    serve the dashboard on them."""
    registry = state.registry()
    click.echo("loading the board catalog and measuring the demo models on TFLM and LiteRT...")
    counts = load_demo(registry, progress=lambda name: click.echo(f"  model: {name}", err=True))
    click.echo(f"devices in the catalog: {counts['devices']}; new model versions: {counts['models']}")
    stats = registry.stats()
    click.echo(", ".join(f"{k} {v}" for k, v in stats.items()))
    click.echo(f"data: {registry.data_path} (to start again, remove it or give --data another "
               f"directory)")
    bindings = {"model": IRI(DEMO_MODEL), "device": IRI(DEMO_DEVICE)}
    for question in QUESTIONS:
        result = sparql_functions.query(registry, question.sparql,
                                        {p: bindings[p] for p in question.parameters})
        subject = ", ".join(_name(bindings[p]) for p in question.parameters)
        click.echo(f"\n{question.title} ({subject})")
        _print(result.rows)
    click.echo(f"\nThe same questions in SPARQL: the dashboard's SPARQL page, or "
               f"tinyreg query; why a pair does (not) fit: tinyreg check "
               f"{_name(DEMO_MODEL)} {local_name(DEMO_DEVICE)}")
    if serve_after:
        click.echo("")
        # The open registry: the embedded store admits one process, and this one holds it.
        serve(state.settings(), registry=registry)


def _name(iri: str) -> str:
    """okay-nabu@1 for a model version, a device's identifier: what the commands take."""
    head, _, tail = iri.rpartition("/v")
    return f"{local_name(head)}@{tail}" if "/model/" in iri and tail.isdigit() else local_name(iri)


def _print(rows: list[dict]) -> None:
    if not rows:
        click.echo("  none")
    for row in rows[:SHOWN]:
        subject = row.get("device") or row.get("model")
        extra = row.get("why") or row.get("notes")
        click.echo(f"  {_name(subject)}  {row['name']}" + (f"  ({extra})" if extra else ""))
    if len(rows) > SHOWN:
        click.echo(f"  ... and {len(rows) - SHOWN} more")
