"""The JSON API under /api: models, devices, compatibility, with one problem+json error shape."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from . import views  # noqa: E402,F401  (routes register on `bp`)
from . import compat, deployments  # noqa: E402,F401
