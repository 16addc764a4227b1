"""The runtime under the core: dtypes, grad modes, the one random generator, BLAS threads and
``mg.cuda`` (the backends and their fast paths have folders of their own, minigrad/backends/
and minigrad/fast/). Nothing is imported here: each module is imported where it is used."""
