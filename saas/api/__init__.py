"""The JSON API under /api/v1: bearer tokens only, JSON errors, an OpenAPI document.

Each feature declares its endpoints in its own ``api.py`` with ``api.route(...)``;
``create_app`` imports those modules (this package imports none of them: no import cycle).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from saas.api.openapi import ApiRegistry

bp = Blueprint("api", __name__, url_prefix="/api/v1")
api = ApiRegistry(bp, title="Baza API", version="1")


@bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(api.document())
