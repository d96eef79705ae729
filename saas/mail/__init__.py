"""Outgoing mail: a row, sent by an RQ job on the ``mail`` queue, or kept in the Outbox."""

from flask import Blueprint

bp = Blueprint("mail", __name__)
