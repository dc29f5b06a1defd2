"""ULIDs made at emit time: 48 bits of milliseconds, 80 random bits, strictly increasing per maker."""

from __future__ import annotations

import random
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Two Crockford characters per 10 bits: 13 look-ups for the 128 bits instead of 26 divisions.
_PAIRS = [_ALPHABET[i >> 5] + _ALPHABET[i & 31] for i in range(1024)]
_RANDOM_MAX = (1 << 80) - 1


class ULIDMaker:
    """Makes ULIDs that increase strictly, even within one millisecond.

    Within a millisecond the random part is incremented (the monotonic ULID rule); a clock that
    goes backwards keeps the last millisecond. Not thread-safe: the emitter calls it under its lock.
    """

    __slots__ = ("_ms", "_random", "_prefix", "_rng")

    def __init__(self) -> None:
        self._ms = -1
        self._random = 0
        self._prefix = ""
        self._rng = random.Random()

    def reseed(self) -> None:
        """A forked child must not repeat its parent's random sequence."""
        self._rng = random.Random()
        self._ms = -1

    def make(self) -> str:
        ms = time.time_ns() // 1_000_000
        if ms > self._ms:
            self._ms = ms
            self._random = self._rng.getrandbits(79)  # room to increment within the millisecond
            # The time prefix (10 characters) changes once a millisecond: cache it.
            self._prefix = _encode(ms << 80)[:10]
        else:
            self._random += 1
            if self._random > _RANDOM_MAX:  # 2^79 events in one millisecond: move to the next one
                self._ms += 1
                self._random = 0
                self._prefix = _encode(self._ms << 80)[:10]
        r = self._random
        return self._prefix + _PAIRS[(r >> 70) & 1023] + _PAIRS[(r >> 60) & 1023] + _PAIRS[(r >> 50) & 1023] \
            + _PAIRS[(r >> 40) & 1023] + _PAIRS[(r >> 30) & 1023] + _PAIRS[(r >> 20) & 1023] \
            + _PAIRS[(r >> 10) & 1023] + _PAIRS[r & 1023]


def _encode(value: int) -> str:
    """The 26-character Crockford base32 text of a 128-bit value (2 leading bits of padding)."""
    chars = []
    for shift in range(125, -1, -5):
        chars.append(_ALPHABET[(value >> shift) & 31])
    return "".join(chars)


def is_valid(text: str) -> bool:
    return len(text) == 26 and text[0] in "01234567" and all(c in _ALPHABET for c in text.upper())
