"""The customer base: customers, the pool and ownership (issue 6, first slice)."""
