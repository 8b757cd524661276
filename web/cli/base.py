"""The root command group, its shared state, and the one place core errors become CLI errors."""
from __future__ import annotations

import logging
from pathlib import Path

import click
from click.core import ParameterSource

from tinyreg.registry import Registry, TinyregError, load_settings
from tinyreg.registry.errors import Unavailable, one_line

# The commands that may make the data directory a --data option names.
_CREATING = ("init", "demo")

# Exit codes: 0 success, 1 a negative answer (e.g. `check`: does not fit),
# 2 a user error (bad input, unknown name), 3 the environment (store locked, no Java).
EXIT_USER = 2
EXIT_ENVIRONMENT = 3


class UserError(click.ClickException):
    exit_code = EXIT_USER


class EnvironmentProblem(click.ClickException):
    exit_code = EXIT_ENVIRONMENT


def as_click_error(exc: TinyregError) -> click.ClickException:
    if isinstance(exc, Unavailable):
        return EnvironmentProblem(one_line(exc.detail))
    return UserError(one_line(exc.detail))


class State:
    """Per-invocation state: the settings overrides and a registry opened on first use."""

    def __init__(self, data_dir: str | None, config: str | None):
        self.data_dir = data_dir
        self.config = config
        self._registry: Registry | None = None

    def settings(self):
        return load_settings(config_file=self.config, data_dir=self.data_dir)

    def registry(self, initialize: bool = True) -> Registry:
        if self._registry is None:
            self._registry = Registry(self.settings())
            if initialize:
                self._registry.ensure_initialized()
        return self._registry

    def close(self) -> None:
        if self._registry is not None:
            self._registry.close()
            self._registry = None


class Group(click.Group):
    """Turns the core's errors into one-line messages with a non-zero exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except TinyregError as exc:
            raise as_click_error(exc) from None


@click.group(cls=Group)
@click.option("--data", "data_dir", metavar="DIR", envvar="TINYREG_DATA_DIR",
              help="Data directory (store, artifacts, key). Also TINYREG_DATA_DIR.")
@click.option("--config", metavar="FILE", envvar="TINYREG_CONFIG",
              help="TOML settings file. Also TINYREG_CONFIG.")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(package_name="tinyreg")
@click.pass_context
def cli(ctx: click.Context, data_dir: str | None, config: str | None, verbose: int) -> None:
    """tinyreg: which TinyML models fit which devices, and what runs where."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    # rdflib warns, with a traceback, of each literal not of its datatype ("abc"^^xsd:integer)
    # in a file a user gives; the registry's readers and shapes say what is wrong with it.
    logging.getLogger("rdflib").setLevel(logging.ERROR if verbose < 2 else level)
    if data_dir and ctx.get_parameter_source("data_dir") is ParameterSource.COMMANDLINE \
            and ctx.invoked_subcommand not in _CREATING and not Path(data_dir).is_dir():
        # A mistyped --data would otherwise start an empty registry with a new signing key.
        raise UserError(f"--data {data_dir}: no such directory; `tinyreg --data {data_dir} init` "
                        f"creates a registry there")
    state = State(data_dir, config)
    ctx.obj = state
    ctx.call_on_close(state.close)


pass_state = click.make_pass_decorator(State)
