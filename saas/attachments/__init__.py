"""Files attached to a customer: upload (size limits per plan, type sniffed from the bytes),
list, download (``Content-Disposition: attachment`` with the original name), delete; audited.

``files.py`` holds the pure parts (display names, type sniffing), ``models.py`` the table,
``service.py`` the rules, ``views.py`` the card tab, ``api.py`` the JSON endpoints.
"""
