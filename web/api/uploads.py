"""Uploaded files and model cards from a request, for the API and the dashboard forms."""
from __future__ import annotations

from typing import Any

from flask import request

from tinyreg.registry.errors import Invalid
from tinyreg.registry.parsing import load_json

CARD_FIELDS = ("name", "model", "task", "sensors", "description", "license", "creator",
               "source", "dataset", "trained_on", "npu", "max_latency_ms", "inference_rate")


def uploaded_file(field: str) -> tuple[bytes, str | None]:
    """The uploaded file: a multipart field, or the raw request body."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get(field)
        if upload is None:
            raise Invalid(f"the form has no file field `{field}`")
        data = upload.read()
        filename = upload.filename or None
    else:
        data = request.get_data(cache=False)
        filename = request.args.get("filename")
    if not data:
        raise Invalid("the upload is empty")
    return data, filename


def model_card(filename: str | None) -> dict[str, Any]:
    """The model card from a `card` JSON field, then single fields, then the file name."""
    values = request.form if request.mimetype == "multipart/form-data" else request.args
    card: dict[str, Any] = {}
    if values.get("card"):
        try:
            card = load_json(values["card"])
        except Invalid as exc:
            raise Invalid(f"`card`: {exc.detail}") from None
        if not isinstance(card, dict):
            raise Invalid("`card` must be a JSON object")
    for name in CARD_FIELDS:
        if values.get(name):
            card[name] = values[name]
    if values.get("metrics"):
        try:
            card["metrics"] = load_json(values["metrics"])
        except Invalid as exc:
            raise Invalid(f"`metrics`: {exc.detail}") from None
    if not card.get("name") and filename:
        card["name"] = filename.rsplit("/", 1)[-1].removesuffix(".tflite")
    return card
