"""Audit log: who changed which object, when, and which fields from what to what."""

from flask import Blueprint

bp = Blueprint("audit", __name__)
