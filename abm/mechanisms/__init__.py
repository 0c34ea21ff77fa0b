"""One module per mechanism of the ODD process overview: the model's rules, each written once.

Every rule is a compiled (numba) function over the state's arrays, with its equation and units in
its module's docstring; parameters are read by name from the run's parameter record
(:meth:`abm.params.Params.record`), random numbers come from the run's one generator
(:func:`abm.mechanisms._numba.generator_handle`). The model's process methods
(:class:`abm.model.IntegrationModel`) call them in the order of the schedule. Nothing here knows the
model, the state object or the configuration: mechanisms see arrays only.

With ``NUMBA_DISABLE_JIT=1`` the same functions run as plain Python (same numbers), for debugging.
"""
