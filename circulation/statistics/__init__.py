"""Circulation statistics that identify nobody (issue 17).

Counts come only from the anonymous daily counts (circulation.models.CirculationDay),
never from loans or reading history (CONF-9), and every table passes through
small-cell suppression (suppression.py) before anyone sees it.
"""
