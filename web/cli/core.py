"""Commands about the registry itself: init, ontology check, query, stats, settings."""
from __future__ import annotations

import json
import sys

import click

from tinyreg.registry.ontology_lint import shipped_findings
from tinyreg.registry.reasoning import check_ontology
from tinyreg.registry.settings import SETTINGS
from tinyreg.web.sparql.runner import query_apart

from .base import UserError, cli, pass_state
from .output import format_option, render_rows


@cli.command()
@pass_state
def init(state) -> None:
    """Create the data directory and load the ontology into the store."""
    info = state.registry(initialize=False).init()
    click.echo(f"data directory: {info['data_dir']}")
    click.echo(f"ontology: {info['ontology_triples']} triples "
               f"({'loaded' if info['ontology_loaded'] else 'up to date'})")


@cli.group()
def ontology() -> None:
    """The OWL ontology that ships with tinyreg."""


@ontology.command("check")
@click.option("--strict", is_flag=True, help="Exit with status 1 when the pitfall check finds anything.")
def ontology_check(strict: bool) -> None:
    """Reason over the ontology and its modules (HermiT): consistent, no unsatisfiable
    class; then list its pitfalls (after the OOPS! catalogue)."""
    report = check_ontology()
    click.echo(f"modules: {len(report.modules)} ({', '.join(report.modules)})")
    click.echo(f"classes: {report.classes}")
    click.echo(f"object properties: {report.object_properties}")
    click.echo(f"data properties: {report.data_properties}")
    if not report.consistent:
        raise click.ClickException(f"the ontology is inconsistent: {report.error}")
    if report.unsatisfiable:
        raise click.ClickException("unsatisfiable classes: " + ", ".join(report.unsatisfiable))
    click.echo("consistent: yes; unsatisfiable classes: none")
    findings = shipped_findings()
    click.echo(f"pitfalls: {len(findings) or 'none'}")
    for finding in findings:
        click.echo(f"  {finding}")
    if strict and findings:
        raise click.ClickException(f"{len(findings)} pitfall(s) found")


@cli.command()
@click.argument("sparql")
@format_option
@pass_state
def query(state, sparql: str, fmt: str) -> None:
    """Run a SPARQL query over the registry ('-' reads it from standard input)."""
    if sparql == "-":
        sparql = sys.stdin.read()
    result = query_apart(state.registry(), sparql)
    if result.kind == "ask":
        click.echo(json.dumps({"boolean": result.boolean}) if fmt == "json"
                   else ("true" if result.boolean else "false"))
    elif result.kind == "select":
        click.echo(render_rows(result.variables, result.rows, fmt))
    else:
        if fmt == "csv":
            raise UserError("CSV output is for SELECT queries; use --format table or json")
        click.echo(result.graph.serialize(format="json-ld" if fmt == "json" else "turtle"))


@cli.command()
@format_option
@pass_state
def stats(state, fmt: str) -> None:
    """Counts of models, versions, devices, deployments and graphs."""
    counts = state.registry().stats()
    rows = [{"what": k, "count": v} for k, v in counts.items()]
    click.echo(render_rows(["what", "count"], rows, fmt))


@cli.command()
@format_option
@pass_state
def settings(state, fmt: str) -> None:
    """Every setting with its current value, default and meaning."""
    current = state.settings()
    rows = [{"name": s.name, "value": _shown(s.name, current[s.name]), "default": s.default,
             "env": f"TINYREG_{s.name.upper()}", "help": s.help} for s in SETTINGS]
    if fmt == "table":
        for row in rows:
            click.echo(f"{row['name']} = {row['value']!r}  ({row['env']})\n    {row['help']}")
        return
    click.echo(render_rows(["name", "value", "default", "env", "help"], rows, fmt))


def _shown(name: str, value):
    """Secrets are never printed, only whether they are set."""
    if ("password" in name or "token" in name) and value:
        return "(set)"
    return value
