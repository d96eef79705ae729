"""Tenants, plans and seats; the current tenant; automatic query scoping; row-level security."""
