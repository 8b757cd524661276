"""The one settings table: name, default, type, help.

Values come from the defaults, then a TOML config file, then `TINYREG_<NAME>` environment
variables, then explicit overrides (tests, command-line flags), later ones winning. Nothing
reads configuration at import time: `load_settings()` is called by whoever starts work.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from .errors import Invalid


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    type: Callable[[Any], Any]
    help: str


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _positive_int(value: Any) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError(f"must be positive, got {number}")
    return number


def _default_data_dir() -> str:
    # platformdirs is imported here, not at module level, to keep `import` cheap.
    import platformdirs
    return platformdirs.user_data_dir("tinyreg", appauthor=False)


SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", None, str,
            "Directory of the embedded store, the artifacts and the signing key "
            "(default: the per-user data directory, e.g. ~/.local/share/tinyreg)."),
    Setting("store_url", "", str,
            "SPARQL 1.1 query endpoint of an external store; empty uses the embedded store."),
    Setting("store_update_url", "", str,
            "SPARQL 1.1 update endpoint of the external store (default: derived from store_url)."),
    Setting("store_gsp_url", "", str,
            "Graph Store Protocol endpoint of the external store (default: derived from store_url)."),
    Setting("store_user", "", str, "User name for the external store (HTTP basic auth)."),
    Setting("store_password", "", str, "Password for the external store (HTTP basic auth)."),
    Setting("store_profile", "oxigraph", str,
            "Kind of external store: oxigraph, fuseki, graphdb, virtuoso, neptune or generic "
            "(endpoint paths, union default graph, atomic updates)."),
    Setting("store_timeout_s", 30, _positive_int,
            "Time limit of one request to the external store, in seconds."),
    Setting("store_max_request_bytes", 1024 * 1024, _positive_int,
            "Largest SPARQL Update request sent to the external store; bigger writes are split."),
    Setting("max_model_bytes", 16 * 1024 * 1024, _positive_int,
            "Largest .tflite file accepted, in bytes."),
    Setting("measure_timeout_s", 60, _positive_int,
            "Wall-time limit for measuring one model on TFLM or LiteRT, in seconds."),
    Setting("measure_memory_mb", 2048, _positive_int,
            "Address-space limit of the sandbox that measures one model, in MiB."),
    Setting("sparql_timeout_ms", 5000, _positive_int,
            "Time limit of one query on the public SPARQL endpoint, in milliseconds."),
    Setting("sparql_max_rows", 10000, _positive_int,
            "Most rows the public SPARQL endpoint returns for one query."),
    Setting("sparql_memory_mb", 1024, _positive_int,
            "Memory one public SPARQL query (or one `tinyreg query`) may use, in MiB "
            "(address space of its worker process beyond what the worker holds when idle)."),
    Setting("sparql_workers", 4, _positive_int,
            "Worker processes that run public SPARQL queries (at most this many at once)."),
    Setting("sparql_allow_federation", False, _bool,
            "Allow SERVICE and LOAD (contacting other hosts) on the public SPARQL endpoint, "
            "/update and `tinyreg query`."),
    Setting("sparql_allow_update", False, _bool,
            "Allow SPARQL Update on the endpoint (it also needs write_token)."),
    Setting("write_token", "", str,
            "Bearer token that writes through the HTTP API need; empty disables HTTP writes."),
    Setting("cors_origins", "", str,
            "Comma-separated origins allowed by CORS on /sparql and /api; '*' for any."),
    Setting("host", "127.0.0.1", str, "Address `tinyreg serve` listens on."),
    Setting("port", 8080, _positive_int, "Port `tinyreg serve` listens on."),
    Setting("threads", 8, _positive_int, "Worker threads of the WSGI server."),
)

_BY_NAME = {s.name: s for s in SETTINGS}
ENV_PREFIX = "TINYREG_"


class Settings(Mapping[str, Any]):
    """Validated settings; read like a mapping or by attribute."""

    def __init__(self, values: Mapping[str, Any]):
        self._values = dict(values)

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __getattr__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(key) from None

    @property
    def data_path(self) -> Path:
        return Path(self._values["data_dir"]).expanduser()

    def with_overrides(self, **overrides: Any) -> "Settings":
        return Settings(_validated({**self._values, **overrides}, "overrides"))


def _validated(values: Mapping[str, Any], origin: str) -> dict[str, Any]:
    out = {}
    for name, value in values.items():
        setting = _BY_NAME.get(name)
        if setting is None:
            raise Invalid(f"unknown setting {name!r} in {origin}")
        if value is None:
            out[name] = None
            continue
        try:
            out[name] = setting.type(value)
        except (TypeError, ValueError) as exc:
            raise Invalid(f"setting {name} from {origin}: {exc}") from exc
    return out


def load_settings(config_file: str | Path | None = None,
                  environ: Mapping[str, str] | None = None,
                  **overrides: Any) -> Settings:
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    config_file = config_file or environ.get(f"{ENV_PREFIX}CONFIG")
    if config_file:
        path = Path(config_file)
        try:
            data = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise Invalid(f"cannot read config file {path}: {exc}") from exc
        values.update(_validated(data.get("tinyreg", data), str(path)))
    env_values = {s.name: environ[ENV_PREFIX + s.name.upper()]
                  for s in SETTINGS if ENV_PREFIX + s.name.upper() in environ}
    values.update(_validated(env_values, "the environment"))
    values.update(_validated({k: v for k, v in overrides.items() if v is not None}, "overrides"))
    if not values["data_dir"]:
        values["data_dir"] = _default_data_dir()
    return Settings(values)
