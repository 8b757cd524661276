"""The SPARQL 1.1 Protocol endpoint: /sparql for queries (and updates when enabled), /update."""
from flask import Blueprint

bp = Blueprint("sparql", __name__)

from . import views  # noqa: E402,F401  (routes register on `bp`)
