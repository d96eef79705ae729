"""The dashboard: where a user lands after login."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)
