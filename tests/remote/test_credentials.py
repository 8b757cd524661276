"""Credentials go to the store's own URLs and nowhere else (basic: with the first request)."""
from __future__ import annotations

import http.server

import pytest

from tinyreg.registry.store.http import Http

from .server import loopback


@pytest.fixture
def recorder():
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append((self.path, self.headers.get("Authorization")))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    with loopback(Handler) as base:
        yield base, seen


def test_basic_credentials_go_with_the_first_request_to_the_stores_urls_only(recorder):
    base, seen = recorder
    http = Http("tinyreg", "s3cret", urls=[f"{base}/repo/query", f"{base}/repo/update"])
    http.request("GET", f"{base}/repo/query?query=ASK%7B%7D", "query")
    http.request("GET", f"{base}/repo/update", "update")
    http.request("GET", f"{base}/elsewhere", "query")
    assert seen[0] == ("/repo/query?query=ASK%7B%7D", "Basic dGlueXJlZzpzM2NyZXQ=")
    assert seen[1] == ("/repo/update", "Basic dGlueXJlZzpzM2NyZXQ=")
    assert seen[2] == ("/elsewhere", None)
