"""The dashboard: server-rendered pages for people, fed by the same calls as the API."""
from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from . import views  # noqa: E402,F401  (routes register on `bp`)
