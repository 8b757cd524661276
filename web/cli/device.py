"""`tinyreg device …`: register devices from files and look at them."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .base import UserError, cli, pass_state
from .output import format_option, render_rows

_COLUMNS = ("id", "name", "kind", "ram", "flash", "core", "format", "incomplete")


@cli.group()
def device() -> None:
    """Devices: WoT Thing Descriptions, PlatformIO and Zephyr board files, prototype Turtle."""


@device.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_state
def device_add(state, file: Path) -> None:
    """Register the device(s) FILE describes; the format is read from the content."""
    result = state.registry().intake.add_devices(file.read_bytes(), str(file))
    for iri in result.devices:
        click.echo(f"device {iri}")
    for iri in result.models:
        click.echo(f"model version {iri}")
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)


@device.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@pass_state
def device_import(state, directory: Path) -> None:
    """Register every device file below DIRECTORY, reporting each file."""
    intake = state.registry().intake
    paths = intake.device_files(directory)
    # Drawn every thousandth of the way: drawing it for each of 100,000 files took a second.
    with click.progressbar(length=len(paths), label="importing", file=sys.stderr,
                           update_min_steps=max(1, len(paths) // 1000)) as bar:
        results = intake.import_devices(paths, progress=lambda _result: bar.update(1))
    failed = 0
    for r in results:
        name = str(Path(r.path).relative_to(directory)) if r.path.startswith(str(directory)) else r.path
        if r.ok:
            what = f"{len(r.devices)} device(s)" + (f", {len(r.models)} model(s)" if r.models else "")
            click.echo(f"ok      {name}: {r.format}, {what}")
            for warning in r.warnings:
                click.echo(f"        warning: {warning}")
        else:
            failed += 1
            click.echo(f"failed  {name}: {r.error}")
    click.echo(f"{len(results) - failed} of {len(results)} files imported")
    if failed:
        raise UserError(f"{failed} file(s) could not be imported; see the report above")


@device.command("catalog")
@pass_state
def device_catalog(state) -> None:
    """Register the bundled catalog of TinyML boards (the demo data)."""
    click.echo(f"{state.registry().intake.load_catalog()} boards registered")


@device.command("list")
@format_option
@pass_state
def device_list(state, fmt: str) -> None:
    """List the registered devices with their memory and core."""
    click.echo(render_rows(_COLUMNS, state.registry().devices.rows(), fmt))


@device.command("show")
@click.argument("device_id")
@click.option("--format", "fmt", type=click.Choice(["turtle", "json-ld", "nt"]), default="turtle",
              show_default=True, help="RDF syntax of the output.")
@pass_state
def device_show(state, device_id: str, fmt: str) -> None:
    """Print the graph of one device, by its identifier, its IRI or its source's id."""
    click.echo(state.registry().devices.graph(device_id).serialize(format=fmt).rstrip())
