"""waitress as `tinyreg serve` runs it: every error a problem document, slow clients cut off.

waitress answers some requests itself, before the app sees them: 400 for a request it cannot
parse, 413 for a body over `max_request_body_size`, 431 for headers over
`max_request_header_size`, 500 when the app raises past Flask. Its server class names the
channel class (`channel_class`) and the channel names the task that writes those answers
(`error_task_class`); the subclasses here write RFC 7807 `application/problem+json` in the
same shape as web/errors.py, instead of text/plain.

Slow clients (slowloris). waitress reads requests in its event loop, not in its worker
threads, so a client that sends its headers a byte at a time costs a socket, not a thread.
What it caps is sockets: past `connection_limit` it stops accepting, and it closes a
connection only after `channel_timeout` seconds without a byte, which a trickling client
never reaches. So the limit is raised within the process's file descriptors, and a request
head (the request line and headers) must arrive whole within HEAD_TIMEOUT_S of its first
byte; keep-alive connections idle for IDLE_TIMEOUT_S are closed. Bodies are not timed as a
whole: a model upload on a slow link may take minutes.
"""
from __future__ import annotations

import json
import resource
import time
from typing import Any

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import MultiSocketServer, TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher

from tinyreg.registry.errors import PROBLEM_TYPE, problem_document

HEAD_TIMEOUT_S = 10
IDLE_TIMEOUT_S = 30
# How often waitress looks for connections to close, in seconds.
CLEANUP_INTERVAL_S = 1
# Seconds that stopping waits for requests in flight before the process ends anyway.
SHUTDOWN_WAIT_S = 2


def connection_limit() -> int:
    """Open connections accepted at once: up to 1,000, leaving most file descriptors to the
    store and the query workers' pipes."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1000
    return max(100, min(1000, soft // 4))


def create_server(app: Any, **adjustments: Any):
    """Like `waitress.create_server`, with the classes and limits above."""
    adjustments.setdefault("connection_limit", connection_limit())
    adjustments.setdefault("channel_timeout", IDLE_TIMEOUT_S)
    adjustments.setdefault("cleanup_interval", CLEANUP_INTERVAL_S)
    adj = Adjustments(**adjustments)
    dispatcher = _Dispatcher()
    dispatcher.set_thread_count(adj.threads)
    socket_map: dict = {}
    servers = [_Server(app, socket_map, dispatcher=dispatcher, adj=adj, sockinfo=info)
               for info in adj.listen]
    if len(servers) == 1:
        return servers[0]
    return MultiSocketServer(socket_map, adj, [(s.effective_host, s.effective_port)
                                               for s in servers], dispatcher,
                             log_info=servers[-1].log_info)


class _ProblemErrorTask(ErrorTask):
    def execute(self) -> None:
        error = self.request.error
        slug = error.reason.lower().replace(" ", "-")
        body = problem_document(error.code, error.reason, str(error.body).strip() or error.reason, slug)
        path = getattr(self.request, "path", None)
        if path:
            body["instance"] = path
        data = json.dumps(body).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", PROBLEM_TYPE))
        self.set_close_on_finish()
        self.content_length = len(data)
        self.write(data)


class _Channel(HTTPChannel):
    error_task_class = _ProblemErrorTask
    head_started: float | None = None  # when the first byte of an unfinished head came

    def received(self, data: bytes) -> bool:
        result = super().received(data)
        pending = self.request
        if pending is None or pending.headers_finished:
            self.head_started = None
        elif self.head_started is None:
            self.head_started = time.monotonic()
        return result


class _Server(TcpWSGIServer):
    channel_class = _Channel

    def maintenance(self, now: float) -> None:
        super().maintenance(now)
        cutoff = time.monotonic() - HEAD_TIMEOUT_S
        for channel in list(self.active_channels.values()):
            started = getattr(channel, "head_started", None)
            if started is not None and started < cutoff:
                channel.will_close = True


class _Dispatcher(ThreadedTaskDispatcher):
    def shutdown(self, cancel_pending: bool = True, timeout: float = SHUTDOWN_WAIT_S) -> bool:
        return super().shutdown(cancel_pending, timeout)
