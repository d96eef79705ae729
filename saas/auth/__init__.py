"""Signup, login/logout, invitations acceptance, password reset, language switch."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
