"""Company settings and each user's own preferences, API tokens and password."""

from flask import Blueprint

bp = Blueprint("settings", __name__, url_prefix="/settings")
