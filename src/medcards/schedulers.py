"""Deprecated alias of :mod:`medcards.scheduling`; it will be removed in 0.3.0.

Schedulers are picked by name with :func:`medcards.get_scheduler`.
"""

from _sdk.deprecation import deprecated_aliases

__getattr__ = deprecated_aliases(
    "medcards.schedulers",
    module="medcards.scheduling",
    public=("medcards", "medcards.study"),
)
