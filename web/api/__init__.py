"""The JSON API under /api: models, devices, compatibility, deployments, with one
problem+json error shape. The blueprint is views.py's; each module adds its routes to it."""
from . import compat, deployments  # noqa: F401  (their routes register on `bp`)
from .views import bp

__all__ = ["bp"]
