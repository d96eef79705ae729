"""The customer base: customers, the pool and ownership (issue 6, first slice)."""

from flask import Blueprint

bp = Blueprint("customers", __name__)
