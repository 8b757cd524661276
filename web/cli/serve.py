"""`tinyreg serve`: the web front end on waitress, a production WSGI server.

One process with several threads: the embedded store can be opened read-write by one
process only, so the threads share it (pyoxigraph releases the GIL while it evaluates). Public
SPARQL queries run in worker processes over the store opened read-only (web/sparql/pool.py),
started before the server listens. SIGTERM ends the server like Ctrl-C: the workers are
killed first, so no query keeps the process (and the store's lock) past a few seconds.
"""
from __future__ import annotations

import signal
import threading

import click

from tinyreg.registry import Registry, Settings

from .base import EnvironmentProblem, cli, pass_state

def serve(registry_settings: Settings, host: str | None = None, port: int | None = None,
          threads: int | None = None, *, registry: Registry | None = None) -> None:
    """Serve until interrupted; the arguments override the settings of the same name.

    Pass `registry` to serve one that is already open (the demo command does).
    """
    from tinyreg.web.app import create_app
    from tinyreg.web.server import create_server

    given = {"host": host, "port": port, "threads": threads}
    settings = registry_settings.with_overrides(**{k: v for k, v in given.items() if v is not None})
    own = registry is None
    if own:
        registry = Registry(settings)
        registry.ensure_initialized()
    # The same store under the settings given here (host, port and threads may differ).
    app = create_app(registry=Registry(settings, store=registry.store))
    runner = app.extensions["tinyreg.runner"]
    try:
        try:
            server = create_server(
                app, host=settings.host, port=settings.port, threads=settings.threads,
                ident="tinyreg", clear_untrusted_proxy_headers=True,
                max_request_body_size=settings.max_model_bytes + 1024 * 1024)
        except (OSError, ValueError) as exc:
            raise EnvironmentProblem(
                f"cannot listen on {settings.host}:{settings.port}: {exc}") from None
        runner.warm()
        click.echo(f"tinyreg on http://{settings.host}:{server.effective_port}/  "
                   f"({settings.threads} threads; SPARQL at /sparql, API at /api)", err=True)
        _stop_on_sigterm(runner)
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        runner.close()
        if own:
            registry.close()


def _stop_on_sigterm(runner) -> None:
    """A service manager's SIGTERM ends the server like Ctrl-C: the query workers are killed
    (requests waiting on them answer at once), then the store is closed cleanly."""
    def stop(signum, frame):
        runner.close()
        raise KeyboardInterrupt
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)


@cli.command("serve")
@click.option("--host", help="Address to listen on (setting host).")
@click.option("--port", type=int, help="Port to listen on (setting port).")
@click.option("--threads", type=int, help="Worker threads (setting threads).")
@pass_state
def serve_command(state, host: str | None, port: int | None, threads: int | None) -> None:
    """Serve the dashboard, the JSON API and the SPARQL endpoint."""
    serve(state.settings(), host, port, threads)
