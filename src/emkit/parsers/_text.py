"""Reading export files: encodings, byte-order marks and clear errors."""

from __future__ import annotations

from pathlib import Path

from emkit.errors import ParseError

#: How many bytes :func:`read_head` reads for sniffing.
SNIFF_BYTES = 64 * 1024


def read_bytes(path: Path) -> bytes:
    """The bytes of ``path``; a missing or unreadable file is a :class:`~emkit.ParseError`."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise ParseError(path, "file not found") from None
    except IsADirectoryError:
        raise ParseError(path, "is a directory, not an export file") from None
    except OSError as exc:
        raise ParseError(path, f"cannot read: {exc.strerror or exc}") from None


def decode(path: Path, data: bytes) -> str:
    r"""Decode an export: UTF-8 (with or without BOM) or UTF-16 with a BOM.

    Line endings are normalised to ``\\n``.

    Raises:
        ParseError: for an empty file, UTF-16 without a BOM, or bytes that are not UTF-8,
            naming the line of the first bad byte.
    """
    if not data.strip():
        raise ParseError(path, "empty file: nothing to parse")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ParseError(
                path, f"UTF-16 export is truncated or corrupt near byte {exc.start}"
            ) from None
    else:
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        if len(data) >= 4 and data[1:4:2] == b"\x00\x00" and data[0:4:2] != b"\x00\x00":
            raise ParseError(
                path, "looks like UTF-16 without a byte-order mark; re-save the export as UTF-8"
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise ParseError(
                path,
                f"not UTF-8 (byte 0x{data[exc.start]:02x}); re-save the export as UTF-8 or UTF-16",
                line=line,
            ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_head(path: Path) -> str:
    """The first bytes of ``path`` decoded leniently, for sniffing; empty if unreadable."""
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(SNIFF_BYTES)
    except OSError:
        return ""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data[: len(data) // 2 * 2].decode("utf-16", errors="ignore")
    return data.decode("utf-8", errors="ignore").lstrip("\ufeff")
