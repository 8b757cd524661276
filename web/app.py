"""The Flask application factory.

Settings come from the defaults, then a TOML file, then `TINYREG_*` variables (all through
`load_settings`), then the `config` mapping: its lower-case keys are tinyreg settings, its
upper-case keys Flask's own. The factory opens the store and nothing else: no network,
no thread, no exit. The app holds one Registry in `app.extensions["tinyreg"]` and mounts
deploy's pull endpoints under /pull.
"""
from __future__ import annotations

from typing import Any, Mapping

from flask import Flask, request

from tinyreg.registry import Registry, Settings, load_settings

from . import errors

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
    app.extensions["tinyreg"] = registry

    from .sparql.runner import QueryRunner
    app.extensions["tinyreg.runner"] = QueryRunner(workers=max(2, settings.threads))

    from .api import bp as api_bp
    from .api.documents import bp as documents_bp
    from .dashboard import bp as dashboard_bp
    from .sparql import bp as sparql_bp
    for blueprint in (sparql_bp, api_bp, documents_bp, dashboard_bp):
        app.register_blueprint(blueprint)
    errors.register(app)
    app.after_request(_cors(settings))
    _mount_pull_endpoints(app, registry)
    return app


# Devices that cannot be reached (behind NAT, asleep) poll here for their assignments:
# `tinyreg agent --pull http://<host>:<port>/pull/`.
PULL_PREFIX = "/pull"


def _mount_pull_endpoints(app: Flask, registry: Registry) -> None:
    """deploy's pull-mode WSGI app beside the Flask app, under PULL_PREFIX. Its links are
    relative, so they hold under any prefix."""
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from tinyreg.deploy.assignments import make_app

    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {PULL_PREFIX: make_app(registry)})


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
