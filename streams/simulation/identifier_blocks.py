"""Where a seed's identifier series start."""

from __future__ import annotations

import random
import zlib


def identifier_block(rng: random.Random) -> int:
    """Where this seed's identifier series start: derived from the generator's state without
    drawing from it (so the rest of the history is unchanged), so that histories from different
    seeds published to one hub are different children, not the same NHS numbers again."""
    return zlib.crc32(repr(rng.getstate()).encode()) % 800 * 1000
