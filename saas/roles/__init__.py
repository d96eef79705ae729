"""Roles: named sets of permissions of one company (built-in and custom)."""
