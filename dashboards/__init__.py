"""Solara dashboards: explore one program live, and browse stored experiment and sensitivity results.

Start with ``abm dashboard`` (or ``make dashboard``). The page is ``dashboards/app.py``; this package
only builds UI and calls numbers the model (``abm``) and the stored results already offer.
Importing it has no side effects.
"""
