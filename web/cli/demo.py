"""`tinyreg demo`: the main job of a fresh install, on the bundled data."""
from __future__ import annotations

import click

from tinyreg.registry import sparql_functions
from tinyreg.registry.demo import load_demo
from tinyreg.registry.examples import EXAMPLES
from tinyreg.registry.store import IRI
from tinyreg.registry.vocab import TR, device_iri, local_name, version_iri

from .base import cli, pass_state
from .output import render_rows
from .serve import serve

# The subjects the demo asks its three questions about.
DEMO_MODEL = version_iri("kws-micro", 1)
DEMO_DEVICE = device_iri("arduino-nano-33-ble-sense-rev2")


@cli.command()
@click.option("--serve/--no-serve", "serve_after", default=True, show_default=True,
              help="Then serve the dashboard, API and SPARQL endpoint on the settings' host "
                   "and port until interrupted.")
@pass_state
def demo(state, serve_after: bool) -> None:
    """Load the board catalog and the demo models, answer the three example questions, and
    serve the dashboard on them."""
    registry = state.registry()
    click.echo("loading the board catalog and measuring the demo models on TFLM and LiteRT...")
    counts = load_demo(registry, progress=lambda name: click.echo(f"  model: {name}", err=True))
    click.echo(f"devices in the catalog: {counts['devices']}; new model versions: {counts['models']}")
    stats = registry.stats()
    click.echo(", ".join(f"{k} {v}" for k, v in stats.items()))
    bindings = {"model": IRI(DEMO_MODEL), "device": IRI(DEMO_DEVICE),
                "task": IRI(str(TR.KeywordSpotting))}
    for example in EXAMPLES:
        result = sparql_functions.query(registry, example.sparql,
                                        {p: bindings[p] for p in example.parameters})
        subject = ", ".join(local_name(bindings[p])
                            for p in example.parameters)
        click.echo(f"\n{example.title} ({subject})")
        click.echo(render_rows(result.variables, result.rows[:15], "table"))
    if serve_after:
        click.echo("")
        # The open registry: the embedded store admits one process, and this one holds it.
        serve(state.settings(), registry=registry)
