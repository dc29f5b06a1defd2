"""Text as the server cuts and writes it: clipped at a code point boundary, JSON and numbers as
Swift writes them, so the texts of events made here are the texts the server makes."""

from __future__ import annotations

import math
from typing import Any, Tuple

__all__ = ["clip", "swift_double", "swift_json"]


def clip(text: str, limit: int) -> Tuple[str, bool]:
    """``text`` cut to at most ``limit`` UTF-8 bytes at a code point boundary, ending with ``…``
    when cut; and whether it was (the server's rule)."""
    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded) <= limit:
        return text, False
    # Cut the bytes, then step back to the start of a code point (UTF-8 continuation bytes are 10xxxxxx).
    end = max(limit - 3, 0)  # "…" is three bytes
    while 0 < end < len(encoded) and encoded[end] & 0xC0 == 0x80:
        end -= 1
    return encoded[:end].decode("utf-8", "surrogatepass") + "…", True


def swift_double(value: float) -> str:
    """``String(value)`` in Swift: the shortest round-trip digits, exponent form from 2^53 up."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = repr(value)
    if 2.0 ** 53 < abs(value) < 1e16:  # Python writes these in full, Swift with an exponent
        sign = "-" if value < 0 else ""
        digits = text.lstrip("-").split(".")[0].rstrip("0")
        exponent = len(text.lstrip("-").split(".")[0]) - 1
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e+{exponent}"
    return text


def swift_json(value: Any) -> str:
    """Compact JSON as the server's writer makes it: keys in order, UTF-8 as is, only ``"``, ``\\``,
    controls and U+2028/U+2029 escaped, integral doubles below 10^15 as integers."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value == math.floor(value) and abs(value) < 1e15:
            return str(int(value))
        return swift_double(value)
    if isinstance(value, str):
        return _swift_string(value)
    if isinstance(value, dict):
        return "{" + ",".join(_swift_string(str(k)) + ":" + swift_json(v) for k, v in value.items()) + "}"
    return "[" + ",".join(swift_json(v) for v in value) + "]"


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _swift_string(text: str) -> str:
    out = []
    for char in text:
        escaped = _ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif char < " ":
            out.append(f"\\u00{ord(char):02x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'
