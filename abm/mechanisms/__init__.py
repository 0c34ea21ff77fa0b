"""One module per mechanism; each is a pure function over arrays and a numpy Generator.

The model (:mod:`abm.model`) calls them in the order of the ODD process overview.
"""
