"""Tools to look inside the engine and to learn from it, built on the library (never part of
what trains a network): ``summary`` (shapes, parameters, receptive fields, memory per layer),
``diagnostics`` (gradient flow per layer), ``tracing`` (``mg.trace``: every op that runs, with
its derivative) and ``viz`` (the backward graph as Graphviz DOT). ``import minigrad`` makes
them ``mg.summary``, ``mg.diagnostics``, ``mg.trace`` and ``mg.viz``.
"""
