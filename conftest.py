"""Settings shared by every test folder (tests/, plugins/*/tests, examples/plugin-template/tests).

Hypothesis profiles, chosen with ``pytest --hypothesis-profile=NAME``:

- ``default``: random examples on every run, so local runs keep exploring new inputs;
- ``ci`` (``.ci/run``): ``derandomize=True``, the same examples on every run, so that CI fails
  only for a reason the change under test caused. A failure found locally is printed with the
  seed that reproduces it.
"""

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
