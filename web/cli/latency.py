"""`tinyreg estimate MODEL DEVICE`: how long one inference takes, and how far to trust it."""
from __future__ import annotations

import json

import click

from tinyreg.registry import compat

from .base import cli, pass_state


@cli.command()
@click.argument("model")
@click.argument("device")
@click.option("--runtime", help="Runtime to estimate for, as people write it: 'X-CUBE-AI v9.0', "
              "'tflite-micro', 'TFLM', 'plumerai'... (default: the device's runtime).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@pass_state
def estimate(state, model: str, device: str, runtime: str | None, fmt: str) -> None:
    """Estimated latency of one inference of MODEL on DEVICE, with its band."""
    # Imported here: it loads the .tflite readers, which the other commands do without.
    from tinyreg.registry import latency
    registry = state.registry()
    version = compat.resolve_model(registry, model)
    board = compat.resolve_device(registry, device)
    result = latency.estimate(latency.model_facts(registry, version),
                              latency.device_facts(registry, board), runtime)
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), indent=2))
        return
    band = result.latency_ms
    click.echo(f"{result.model} on {result.device} with {latency.RUNTIME_FAMILIES[result.runtime]}: "
               f"{band.estimate:.3g} ms (band {band.low:.3g}-{band.high:.3g} ms"
               f"{'' if result.calibrated else ', UNCALIBRATED'})")
    if result.energy_uj is not None:
        energy = result.energy_uj
        click.echo(f"  energy {energy.estimate:.3g} uJ per inference "
                   f"(band {energy.low:.3g}-{energy.high:.3g} uJ)")
    click.echo(f"  {result.macs:,} MACs at {result.clock_hz / 1e6:g} MHz; {result.basis}")
