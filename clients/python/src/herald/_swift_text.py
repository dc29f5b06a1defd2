"""Text as the server cuts and writes it: clipped at a character boundary, JSON and numbers as
Swift writes them, so the texts of events made here are the texts the server makes.

A "character" is Swift's: an extended grapheme cluster (Unicode's UAX #29). The rules kept here are
the ones that decide a boundary in practice — CR LF, controls, combining marks and other
extenders, spacing marks, Hangul syllables, emoji ZWJ sequences and flag pairs; the Indic
conjunct rule and the rarest prepend marks are left out.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any, Iterator, Tuple

__all__ = ["clip", "characters", "swift_double", "swift_json"]

_CR, _LF, _CONTROL, _EXTEND, _ZWJ, _RI, _PREPEND, _SPACING, _L, _V, _T, _LV, _LVT, _PICTO, _OTHER = range(15)

# Other_Grapheme_Extend among the spacing marks, and what Unicode files under Extend besides Mn and Me.
_EXTEND_EXTRA = {0x09BE, 0x09D7, 0x0B3E, 0x0B57, 0x0BBE, 0x0BD7, 0x0CC2, 0x0CD5, 0x0CD6, 0x0D3E, 0x0D57, 0x0DCF, 0x0DDF,
                 0x1B35, 0x302E, 0x302F, 0x1D165, 0x200C, 0xFF9E, 0xFF9F}
_PREPENDS = {0x0600, 0x0601, 0x0602, 0x0603, 0x0604, 0x0605, 0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2, 0x110BD, 0x110CD}
# Extended_Pictographic below U+1F000 (above it, nearly everything outside the flags and skin tones is).
_PICTO_RANGES = ((0x00A9, 0x00A9), (0x00AE, 0x00AE), (0x203C, 0x203C), (0x2049, 0x2049), (0x2122, 0x2122), (0x2139, 0x2139),
                 (0x2194, 0x2199), (0x21A9, 0x21AA), (0x231A, 0x231B), (0x2328, 0x2328), (0x2388, 0x2388), (0x23CF, 0x23CF),
                 (0x23E9, 0x23F3), (0x23F8, 0x23FA), (0x24C2, 0x24C2), (0x25AA, 0x25AB), (0x25B6, 0x25B6), (0x25C0, 0x25C0),
                 (0x25FB, 0x25FE), (0x2600, 0x2605), (0x2607, 0x2612), (0x2614, 0x2685), (0x2690, 0x2705), (0x2708, 0x2712),
                 (0x2714, 0x2714), (0x2716, 0x2716), (0x271D, 0x271D), (0x2721, 0x2721), (0x2728, 0x2728), (0x2733, 0x2734),
                 (0x2744, 0x2744), (0x2747, 0x2747), (0x274C, 0x274C), (0x274E, 0x274E), (0x2753, 0x2755), (0x2757, 0x2757),
                 (0x2763, 0x2767), (0x2795, 0x2797), (0x27A1, 0x27A1), (0x27B0, 0x27B0), (0x27BF, 0x27BF), (0x2934, 0x2935),
                 (0x2B05, 0x2B07), (0x2B1B, 0x2B1C), (0x2B50, 0x2B50), (0x2B55, 0x2B55), (0x3030, 0x3030), (0x303D, 0x303D),
                 (0x3297, 0x3297), (0x3299, 0x3299))


def _break_class(cp: int) -> int:
    if cp < 0x7F:
        return _CR if cp == 0x0D else _LF if cp == 0x0A else _CONTROL if cp < 0x20 else _OTHER
    if cp == 0x200D:
        return _ZWJ
    if 0x1F1E6 <= cp <= 0x1F1FF:
        return _RI
    if 0x1F3FB <= cp <= 0x1F3FF or 0xFE00 <= cp <= 0xFE0F or 0xE0020 <= cp <= 0xE007F or 0xE0100 <= cp <= 0xE01EF or cp in _EXTEND_EXTRA:
        return _EXTEND
    if cp in _PREPENDS:
        return _PREPEND
    if 0x1100 <= cp <= 0x115F or 0xA960 <= cp <= 0xA97C:
        return _L
    if 0x1160 <= cp <= 0x11A7 or 0xD7B0 <= cp <= 0xD7C6:
        return _V
    if 0x11A8 <= cp <= 0x11FF or 0xD7CB <= cp <= 0xD7FB:
        return _T
    if 0xAC00 <= cp <= 0xD7A3:
        return _LV if (cp - 0xAC00) % 28 == 0 else _LVT
    category = unicodedata.category(chr(cp))
    if category in ("Mn", "Me"):
        return _EXTEND
    if category == "Mc" or cp in (0x0E33, 0x0EB3):
        return _SPACING
    if category in ("Cc", "Cf", "Zl", "Zp"):
        return _CONTROL
    if 0x1F000 <= cp <= 0x1FAFF or 0x1FC00 <= cp <= 0x1FFFD or any(low <= cp <= high for low, high in _PICTO_RANGES):
        return _PICTO
    return _OTHER


def characters(text: str) -> Iterator[str]:
    """The extended grapheme clusters of ``text``, in order."""
    start = 0
    previous = -1
    picto_zwj = False  # inside Extended_Pictographic Extend* ZWJ? (GB11)
    picto_run = False  # inside Extended_Pictographic Extend*
    regional = 0  # regional indicators in a row before this one (GB12, GB13)
    for index, char in enumerate(text):
        current = _break_class(ord(char))
        if index > 0 and _breaks(previous, current, picto_zwj, regional):
            yield text[start:index]
            start = index
        picto_zwj = picto_run and current == _ZWJ
        picto_run = current == _PICTO or (picto_run and current == _EXTEND)
        regional = regional + 1 if current == _RI else 0
        previous = current
    if start < len(text):
        yield text[start:]


def _breaks(before: int, after: int, picto_zwj: bool, regional: int) -> bool:
    if before == _CR and after == _LF:
        return False
    if before in (_CR, _LF, _CONTROL) or after in (_CR, _LF, _CONTROL):
        return True
    if before == _L and after in (_L, _V, _LV, _LVT):
        return False
    if before in (_LV, _V) and after in (_V, _T):
        return False
    if before in (_LVT, _T) and after == _T:
        return False
    if after in (_EXTEND, _ZWJ, _SPACING) or before == _PREPEND:
        return False
    if picto_zwj and after == _PICTO:
        return False
    if before == _RI and after == _RI:
        return regional % 2 == 0
    return True


def clip(text: str, limit: int) -> Tuple[str, bool]:
    """``text`` cut to at most ``limit`` UTF-8 bytes at a character boundary, ending with ``…`` when
    cut; and whether it was."""
    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded) <= limit:
        return text, False
    room = limit - 3  # "…" is three bytes
    if text.isascii():
        kept = text[:max(room, 0)]
        if kept.endswith("\r") and text[len(kept)] == "\n":
            kept = kept[:-1]  # CR LF is one character
        return kept + "…", True
    used = 0
    kept_parts = []
    for character in characters(text):
        size = len(character.encode("utf-8", "surrogatepass"))
        if used + size > room:
            break
        kept_parts.append(character)
        used += size
    return "".join(kept_parts) + "…", True


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
