"""The Flask application factory.

Settings come from the defaults, then a TOML file, then `TINYREG_*` variables (all through
`load_settings`), then the `config` mapping: its lower-case keys are tinyreg settings, its
upper-case keys Flask's own. The factory opens the store and nothing else: no network,
no thread, no exit. The app holds one Registry in `app.extensions["tinyreg"]` and mounts
deploy's pull endpoints (a blueprint of deploy/) under /pull.
"""
from __future__ import annotations

from typing import Any, Mapping

from flask import Flask, request

from tinyreg.registry import Registry, Settings, load_settings

from . import errors
from .current import EXTENSION

# Room for the multipart envelope around the largest model a request may carry.
_UPLOAD_MARGIN = 1024 * 1024


def create_app(config: Mapping[str, Any] | None = None, *,
               registry: Registry | None = None) -> Flask:
    """Build the app; pass `registry` to serve one that is already open (the demo, tests)."""
    config = dict(config or {})
    settings = registry.settings if registry is not None else _settings(config)
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=settings.max_model_bytes + _UPLOAD_MARGIN,
                      **{k: v for k, v in config.items() if k.isupper()})
    if registry is None:
        registry = Registry(settings)
        registry.ensure_initialized()
    app.extensions[EXTENSION] = registry

    # Query workers start on the first query (`tinyreg serve` starts them before it listens).
    from .sparql.runner import QueryRunner
    app.extensions["tinyreg.runner"] = QueryRunner(registry)

    from tinyreg.deploy.endpoints import PULL_PREFIX, bp as pull_bp

    from .api import bp as api_bp
    from .api.documents import bp as documents_bp
    from .dashboard import bp as dashboard_bp
    from .sparql.views import bp as sparql_bp
    for blueprint in (sparql_bp, api_bp, documents_bp, dashboard_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(pull_bp, url_prefix=PULL_PREFIX)
    errors.register(app)
    app.after_request(_cors(settings))
    return app


def create_pull_app(registry: Registry) -> Flask:
    """The pull endpoints alone, at the root (`tinyreg deploy --pull-listen`): the same
    blueprint and error handling as under /pull of the full app, without the rest."""
    from tinyreg.deploy.endpoints import bp as pull_bp

    app = Flask(__name__)
    app.config["TINYREG_PROBLEMS_ONLY"] = True  # devices read problem+json, never a page
    app.extensions[EXTENSION] = registry
    app.register_blueprint(pull_bp)
    errors.register(app)
    return app


def _settings(config: dict[str, Any]) -> Settings:
    base = config.pop("SETTINGS", None)
    if base is None:
        base = load_settings(config_file=config.pop("CONFIG_FILE", None))
    overrides = {k: config.pop(k) for k in list(config) if k.islower()}
    return base.with_overrides(**overrides) if overrides else base


def _cors(settings: Settings):
    origins = {o.strip() for o in settings.cors_origins.split(",") if o.strip()}

    def add_headers(response):
        origin = request.headers.get("Origin")
        if not origins or not origin or request.blueprint == "dashboard":
            return response
        if "*" in origins or origin in origins:
            response.headers["Access-Control-Allow-Origin"] = "*" if "*" in origins else origin
            response.headers["Access-Control-Expose-Headers"] = (
                "Location, X-Tinyreg-Rows, X-Tinyreg-Truncated, X-Tinyreg-Row-Limit, X-Total-Count")
            if request.method == "OPTIONS":
                response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
                response.headers["Access-Control-Allow-Headers"] = "Accept, Authorization, Content-Type"
                response.headers["Access-Control-Max-Age"] = "600"
        response.vary.add("Origin")
        return response
    return add_headers
