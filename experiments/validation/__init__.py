"""Scientific validation of the model: canonical reductions, the pattern suite and the realist CMO analysis.

Modules: :mod:`.stats` (probability of superiority, bootstrap and Wilson intervals, Gilbert's exact
connectivity), :mod:`.runner` (replicates over ``abm.run``-style runs with paired seeds),
:mod:`.reductions` (Deffuant-Weisbuch, G(n, p), no interaction), :mod:`.patterns` (MODEL.md patterns
1-7 with pass thresholds fixed before calibration), :mod:`.report` (tables, figures, docs section).
"""
