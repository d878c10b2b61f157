"""Deprecated: renamed :mod:`emkit.parsers.pseudonymise`.

It pseudonymises an export and writes a patient folder; the public names are
:func:`emkit.export_to_patient` and friends. Reading a name here warns.
"""

from __future__ import annotations

from _sdk.deprecation import deprecated_aliases

__getattr__ = deprecated_aliases(
    __name__,
    {
        name: f"emkit.parsers.pseudonymise.{name}"
        for name in (
            "ParseSummary",
            "Pseudonymiser",
            "SenderNotFoundError",
            "export_to_patient",
            "find_sender",
        )
    },
)
