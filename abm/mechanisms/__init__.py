"""One module per mechanism; each is a pure function over arrays and a numpy Generator.

These functions are the specification of the model's processes. The model (:mod:`abm.model`) runs
each process, in the order of the ODD process overview, as one compiled kernel (:mod:`abm.kernels`)
that computes the same numbers from the same draws; ``tests/abm/test_kernels.py`` checks that bit
for bit. Work shadowing and the co-design workshops still call these functions directly.
"""
