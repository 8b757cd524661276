"""The registry's one error hierarchy.

Every layer above the core (CLI, HTTP) turns these into its own error shape: a one-line
message and an exit code on the command line, RFC 7807 problem+json on HTTP. Each class
carries the HTTP status it maps to so the mapping lives in one place.
"""
from __future__ import annotations

PROBLEM_TYPE = "application/problem+json"
PROBLEM_BASE = "https://w3id.org/tinyreg/problems/"


def problem_document(status: int, title: str, detail: str, type_slug: str, **extra) -> dict:
    """An RFC 7807 problem document (without `instance`): the one shape of every error the
    registry's HTTP servers answer, and the reference device agent's too."""
    body = {"type": PROBLEM_BASE + type_slug, "title": title, "status": status, "detail": detail}
    body.update(extra)
    return body


class TinyregError(Exception):
    status = 500
    title = "Registry error"

    def __init__(self, detail: str, **extra):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def problem(self) -> dict:
        """The RFC 7807 body for this error (without `instance`)."""
        return problem_document(self.status, self.title, self.detail, self.slug(), **self.extra)

    @classmethod
    def slug(cls) -> str:
        return cls.__name__.lower()


def one_line(text: str) -> str:
    """A message on one line: it may quote a user's text, line breaks and all."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


class NotFound(TinyregError):
    status = 404
    title = "Not found"


class Invalid(TinyregError):
    """Input that cannot be accepted as it is: bad file, bad query, bad value."""
    status = 400
    title = "Invalid input"


class Unauthorized(TinyregError):
    """The request does not say who makes it, or cannot prove it (no token, no valid signature)."""
    status = 401
    title = "Unauthorized"


class Forbidden(TinyregError):
    """Who makes the request is known, and may not do this."""
    status = 403
    title = "Forbidden"


class Incompatible(TinyregError):
    """A model version does not fit a device; `results` holds the SHACL results."""
    status = 409
    title = "Incompatible"

    def __init__(self, detail: str, results: list | None = None, **extra):
        super().__init__(detail, results=results or [], **extra)
        self.results = results or []


class Conflict(TinyregError):
    status = 409
    title = "Conflict"


class TooLarge(TinyregError):
    status = 413
    title = "Too large"


class Unavailable(TinyregError):
    """The store or a server it depends on cannot be reached or is locked."""
    status = 503
    title = "Unavailable"


class MigrationFailed(TinyregError):
    """The store's data could not be brought to the registry's data layout (registry.migrate)."""
    status = 503
    title = "Store not migrated"
