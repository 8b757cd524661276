"""The `tinyreg` command line: thin commands that parse, call the core, and print."""
from __future__ import annotations

import importlib

from .base import cli

# Each module adds its commands to `cli` when imported; one line per capability.
_COMMAND_MODULES = (
    "core",
    "device",
    "serve",
    "model",
    "demo",
    "deploy",
    "compat",
    "latency",
    "store",
)

for _name in _COMMAND_MODULES:
    importlib.import_module(f"{__name__}.{_name}")


def main() -> None:
    cli(prog_name="tinyreg")


__all__ = ["cli", "main"]
