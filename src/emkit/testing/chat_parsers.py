"""Conformance checks for :class:`~emkit.ChatParser` implementations."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emkit.errors import ParseError
from emkit.interfaces import ChatParser

Factory = Callable[[], ChatParser]


def check_parser_fuzz(factory: Factory) -> None:
    """On arbitrary bytes, ``parse`` succeeds or raises only :class:`~emkit.ParseError`.

    ``sniff`` must return a number in [0, 1] for any file.
    """
    parser = factory()

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.one_of(st.binary(max_size=400), st.text(max_size=400).map(str.encode)))
    def run(data: bytes) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "export.txt"
            path.write_bytes(data)
            confidence = parser.sniff(path)
            assert 0.0 <= confidence <= 1.0, confidence
            try:
                parser.parse(path)
            except ParseError as exc:
                assert str(path) in str(exc), f"ParseError does not name the file: {exc}"

    run()


def check_parser_missing_file(factory: Factory) -> None:
    """A missing file raises :class:`~emkit.ParseError` naming it."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "missing.txt"
        try:
            factory().parse(path)
        except ParseError as exc:
            assert "missing.txt" in str(exc)
        else:  # pragma: no cover - only reached by a broken implementation
            raise AssertionError("parsing a missing file did not raise ParseError")


def check_parser_empty_file(factory: Factory) -> None:
    """An empty or blank file raises :class:`~emkit.ParseError` naming it; sniff is in [0, 1]."""
    parser = factory()
    with tempfile.TemporaryDirectory() as tmp:
        for content in (b"", b"\n\n  \n"):
            path = Path(tmp) / "empty-export.txt"
            path.write_bytes(content)
            confidence = parser.sniff(path)
            assert 0.0 <= confidence <= 1.0, confidence
            try:
                parser.parse(path)
            except ParseError as exc:
                assert "empty-export.txt" in str(exc), str(exc)
            else:  # pragma: no cover - only reached by a broken implementation
                raise AssertionError("parsing an empty file did not raise ParseError")


def check_parser_result_shape(factory: Factory) -> None:
    """Whatever ``parse`` returns for arbitrary text has UTC instants and names its format."""
    parser = factory()

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
    def run(text: str) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "export.txt"
            path.write_text(text, encoding="utf-8")
            try:
                export = parser.parse(path)
            except ParseError:
                return
            assert export.format, "ChatExport.format is empty"
            for message in export.messages:
                offset = message.sent_at.utcoffset()
                assert offset is not None and offset.total_seconds() == 0, message

    run()


def chat_parser_checks() -> list[Callable[[Factory], None]]:
    """Every check a chat parser must pass."""
    from _sdk.testing import check_component_contract

    return [
        check_component_contract,
        check_parser_fuzz,
        check_parser_missing_file,
        check_parser_empty_file,
        check_parser_result_shape,
    ]
