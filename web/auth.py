"""The write token: every HTTP write (API uploads, SPARQL Update) needs `Bearer <write_token>`."""
from __future__ import annotations

import hmac

from flask import request

from tinyreg.registry.errors import Forbidden, Unauthorized

__all__ = ["Forbidden", "Unauthorized", "require_write_token"]


def require_write_token(settings, token: str | None = None) -> None:
    """Refuse the request unless it carries the configured token.

    The token comes from the Authorization header, or from `token` (a dashboard form field).
    """
    expected = settings.write_token
    if not expected:
        raise Forbidden("writes over HTTP are disabled: set the write_token setting "
                        "(TINYREG_WRITE_TOKEN) to enable them")
    given = token
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        given = header[7:].strip()
    if not given:
        raise Unauthorized("this request writes to the registry and needs "
                           "'Authorization: Bearer <write_token>'")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("the write token is not correct")
