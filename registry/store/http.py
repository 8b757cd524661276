"""HTTP to a SPARQL server: credentials, time limits, and its failures as the registry's errors.

Credentials are registered for the store's own endpoint URLs (urllib matches a registered
URL by scheme, host, port and path prefix: a bare "/" matches nothing) and are sent to no
other address. Basic credentials go with the first request to those URLs; digest ones
answer the server's challenge.

The server's own words (a parse error, a refused credential) travel in the error's detail,
on one line and cut to a readable length, so the CLI and the API can show them as they are.
"""
from __future__ import annotations

import socket
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Iterable, Mapping

from ..errors import Invalid, TinyregError, TooLarge, Unavailable

_MESSAGE_CHARS = 400


def one_line(text: str | bytes) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = " ".join(text.split())
    return text if len(text) <= _MESSAGE_CHARS else text[:_MESSAGE_CHARS] + "…"


def http_error(url: str, status: int, body: bytes | str, what: str) -> TinyregError:
    """The registry's error for an HTTP failure status while doing `what` at `url`."""
    message = one_line(body) or f"HTTP {status}"
    if status == 400 and what == "query":
        return Invalid(f"invalid SPARQL query: {message}")
    if status == 400:
        return Invalid(f"the SPARQL server refused the {what}: {message}")
    if status in (401, 403):
        return Unavailable(f"the SPARQL server at {url} refused the credentials (HTTP {status}); "
                           f"check store_user and store_password")
    if status == 404:
        return Unavailable(f"no SPARQL endpoint at {url} (HTTP 404); check the store_* URLs "
                           f"and store_profile")
    if status == 413:
        return TooLarge(f"the SPARQL server at {url} refused a request of this size (HTTP 413); "
                        f"lower store_max_request_bytes")
    return Unavailable(f"the SPARQL server at {url} failed the {what} (HTTP {status}): {message}")


def unreachable(url: str, exc: BaseException) -> Unavailable:
    reason = getattr(exc, "reason", None) or exc
    if isinstance(exc, (socket.timeout, TimeoutError)) or isinstance(reason, socket.timeout):
        return Unavailable(f"the SPARQL server at {url} did not answer in time (store_timeout_s)")
    return Unavailable(f"cannot reach the SPARQL server at {url}: {one_line(str(reason))}")


class _SignedAhead(urllib.request.HTTPDigestAuthHandler):
    """Digest authentication that signs every request after the first with the server's
    last challenge (its nonce, counted up), instead of sending each request unsigned and
    again after a 401: one round trip a request instead of two. A server that finds the
    nonce stale answers 401 with a new challenge, which is answered as usual."""

    def __init__(self, passwords):
        super().__init__(passwords)
        self._challenge: dict[str, str] | None = None
        self._signing = threading.Lock()

    def retry_http_digest_auth(self, req, auth):
        _, challenge = auth.split(" ", 1)
        with self._signing:
            self._challenge = urllib.request.parse_keqv_list(
                filter(None, urllib.request.parse_http_list(challenge)))
        return super().retry_http_digest_auth(req, auth)

    def http_request(self, req):
        if self._challenge is not None and not req.has_header("Authorization"):
            with self._signing:  # the nonce count must not be taken twice
                signed = self.get_authorization(req, self._challenge)
            if signed:
                req.add_unredirected_header("Authorization", f"Digest {signed}")
        return req

    https_request = http_request


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes


class Http:
    """Requests with the store's credentials and time limit; one connection per request."""

    def __init__(self, user: str = "", password: str = "", timeout_s: float = 30,
                 digest: bool = False, urls: Iterable[str] = ()):
        self.timeout_s = timeout_s
        self._headers: dict[str, str] = {"User-Agent": "tinyreg"}
        handlers = []
        urls = [url for url in urls if url]
        if user and digest:
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            passwords.add_password(None, urls, user, password)
            handlers.append(_SignedAhead(passwords))
        elif user:
            # Sent with the first request rather than after a 401 challenge: half the round
            # trips; only to the store's URLs.
            passwords = urllib.request.HTTPPasswordMgrWithPriorAuth()
            passwords.add_password(None, urls, user, password, is_authenticated=True)
            handlers.append(urllib.request.HTTPBasicAuthHandler(passwords))
        self._opener = urllib.request.build_opener(*handlers)

    def request(self, method: str, url: str, what: str, body: bytes | None = None,
                headers: Mapping[str, str] | None = None,
                ok_missing: bool = False) -> Response | None:
        """Send one request; None for a 404 when `ok_missing`, an error for any other failure."""
        req = urllib.request.Request(url, data=body, method=method,
                                     headers={**self._headers, **(headers or {})})
        try:
            with self._opener.open(req, timeout=self.timeout_s) as answer:
                return Response(answer.status, answer.headers.get("Content-Type", ""),
                                answer.read())
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and ok_missing:
                return None
            raise http_error(url, exc.code, exc.read(), what) from None
        except (urllib.error.URLError, OSError) as exc:
            raise unreachable(url, exc) from None
