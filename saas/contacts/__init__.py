"""Contacts of customers: people, typed phones (E.164) and emails, relationships, photos,
vCards; the card's "Contacts" tab (issue 6)."""

from flask import Blueprint

bp = Blueprint("contacts", __name__)
