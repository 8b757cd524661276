"""The one place errors become responses.

Machine clients (/api, /sparql, /update, the documents asked for as data) get RFC 7807
`application/problem+json` built from `TinyregError.problem()`; people on the dashboard get
an HTML page saying the same thing. Nothing escapes as a traceback: an unexpected exception
is logged and answered as a generic 500 problem.
"""
from __future__ import annotations

import json
import logging
from urllib.parse import quote

from flask import Flask, Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from tinyreg.registry.errors import PROBLEM_TYPE, TinyregError, problem_document

log = logging.getLogger(__name__)

MACHINE_PREFIXES = ("/api", "/sparql", "/update", "/pull")
# Blueprints that answer machines; the dashboard answers people.
MACHINE_BLUEPRINTS = ("api", "sparql", "documents", "pull")


def register(app: Flask) -> None:
    app.register_error_handler(TinyregError, _registry_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _wants_problem() -> bool:
    if current_app.config.get("TINYREG_PROBLEMS_ONLY"):
        return True
    if request.blueprint in MACHINE_BLUEPRINTS or request.path.startswith(MACHINE_PREFIXES):
        return True
    if request.blueprint == "dashboard":
        return False
    best = request.accept_mimetypes.best_match(["text/html", "application/json", PROBLEM_TYPE])
    return best not in (None, "text/html")


def _respond(body: dict) -> Response:
    # A URI reference, as RFC 7807 has it: the path as the client sent it, still escaped.
    body.setdefault("instance", quote(request.path, safe="/:@!$&'()*+,;=~", errors="replace"))
    status = body["status"]
    if _wants_problem():
        response = Response(json.dumps(body, default=str), status=status, mimetype=PROBLEM_TYPE)
    else:
        response = Response(render_template("error.html", problem=body), status=status,
                            mimetype="text/html")
    if status == 401:
        # Devices sign their pull requests (deploy/device_requests.py); people bring a token.
        scheme = "Tinyreg-Device" if request.blueprint == "pull" else "Bearer"
        response.headers["WWW-Authenticate"] = f'{scheme} realm="tinyreg"'
    if status == 503:
        response.headers["Retry-After"] = "1"
    return response


def _registry_error(exc: TinyregError) -> Response:
    return _respond(exc.problem())


def _http_error(exc: HTTPException) -> Response:
    slug = (exc.name or "error").lower().replace(" ", "-")
    response = _respond(problem_document(exc.code or 500, exc.name, exc.description or exc.name, slug))
    if exc.code == 405 and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def _unexpected(exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _respond(problem_document(500, "Internal error",
                            "the server failed to answer this request; the server log says why",
                            "internal-error"))
