"""`tinyreg store check`: the store contract run against the configured store."""
from __future__ import annotations

import click

from tinyreg.registry.store.contract import run_checks

from .base import cli, pass_state


@cli.group()
def store() -> None:
    """The store behind the registry (embedded, or a SPARQL server: settings store_*)."""


@store.command()
@pass_state
def check(state) -> None:
    """Run the store-contract checks against the configured store: one line each, PASS or
    FAIL with what was seen; exit 1 when a check the registry relies on fails. Writes only
    scratch graphs (urn:tinyreg:check:...) and drops them."""
    registry = state.registry(initialize=False)
    outcomes = run_checks(registry.store)
    settings = registry.settings
    click.echo(f"store: {settings.store_url} ({settings.store_profile} profile)" if settings.store_url
               else f"store: the embedded store in {settings.data_path}")
    for outcome in outcomes:
        verdict = "PASS" if outcome.passed else ("FAIL" if outcome.needed else "DIFF")
        line = f"{verdict}  {outcome.name}"
        click.echo(line + (f": {outcome.detail}" if outcome.detail else ""))
    failed = [o for o in outcomes if not o.passed and o.needed]
    differ = [o for o in outcomes if not o.passed and not o.needed]
    click.echo(f"{len(outcomes) - len(failed) - len(differ)} passed, {len(failed)} failed, "
               f"{len(differ)} differences the registry does not rely on")
    if failed:
        raise click.exceptions.Exit(1)
