"""Team: users, invitations and roles of the company."""

from flask import Blueprint

bp = Blueprint("users", __name__)
