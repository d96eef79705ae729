"""Billing: the owner changes the plan; a provider takes the payment."""

from flask import Blueprint

bp = Blueprint("billing", __name__)
