"""Pattern-oriented calibration: ABC-SMC (pyabc) over the project's executors, and posterior ensembles.

Modules: :mod:`.spec` (the calibration spec and its checks against the model), :mod:`.targets`
(what one particle runs and the summary statistics and distances it yields), :mod:`.sampler`
(a pyabc sampler that evaluates each batch of proposals through an executor, reproducibly),
:mod:`.run` (``calibrate``: new or resumed fits), :mod:`.progress` (the progress bar),
:mod:`.outputs` (posterior table, generations, report, predictive checks), :mod:`.docs` (the
generated blocks of docs/VALIDATION.md and README.md), :mod:`.lopo` (leave-one-pattern-out: held-out
pass rates of several fits next to the full fit's), :mod:`.posterior` (weighted, seeded draws for
experiments, validation and the CMO table), :mod:`.toys` (pluggable test models with known
posteriors), :mod:`.cli` (``abm calibrate``, ``abm calibrate-lopo``).
"""
