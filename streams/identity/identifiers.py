"""Check digits and shapes of the identifiers agencies use for a child.

The one place that knows how an NHS number, a UPN and a postcode are checked:
the ingest validation and the identity index both call these.
"""

from __future__ import annotations

import re

# The 23 letters the DfE uses for UPN check characters (no I, O or S).
_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"

# Outward code, optional space, inward code (BS 7666 shapes; GIR 0AA for Girobank).
_POSTCODE = re.compile(
    r"^(GIR ?0AA|[A-PR-UWYZ](?:[0-9][0-9A-HJKPSTUW]?|[A-HK-Y][0-9][0-9ABEHMNPRVWXY]?) ?[0-9][ABD-HJLNP-UW-Z]{2})$"
)

# NHS numbers beginning 999 are reserved by NHS England for testing: synthetic people use them.
SYNTHETIC_NHS_PREFIX = "999"


def nhs_check_digit(first_nine: str) -> int | None:
    """The modulus-11 check digit for nine digits, or None when no digit fits (remainder 10)."""
    if len(first_nine) != 9 or not first_nine.isdigit():
        raise ValueError("an NHS number check digit is computed over exactly nine digits")
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def normalise_nhs_number(value: str) -> str:
    """Strip the spaces and hyphens people type (943 476 5919 -> 9434765919)."""
    return re.sub(r"[\s-]", "", value)


def is_valid_nhs_number(value: str) -> bool:
    """True when the value is ten digits whose last is the modulus-11 check digit."""
    digits = normalise_nhs_number(value)
    if len(digits) != 10 or not digits.isdigit():
        return False
    return nhs_check_digit(digits[:9]) == int(digits[9])


def upn_check_letter(last_twelve: str) -> str:
    """The check letter that leads a UPN, computed over its other twelve characters.

    Weights 2..13 by position; a temporary UPN's final letter counts by its place in the
    23-letter alphabet. The sum modulo 23 indexes that alphabet.
    """
    if len(last_twelve) != 12 or not last_twelve[:11].isdigit():
        raise ValueError("a UPN check letter is computed over eleven digits and a final character")
    values = [int(c) for c in last_twelve[:11]]
    final = last_twelve[11]
    if final.isdigit():
        values.append(int(final))
    elif final in _UPN_LETTERS:
        values.append(_UPN_LETTERS.index(final))
    else:
        raise ValueError("a UPN ends in a digit or one of the 23 check letters")
    total = sum(v * w for v, w in zip(values, range(2, 14), strict=True))
    return _UPN_LETTERS[total % 23]


def is_valid_upn(value: str) -> bool:
    """True when the value is a 13-character UPN whose first letter is its check letter."""
    upn = value.strip().upper()
    if len(upn) != 13:
        return False
    try:
        return upn_check_letter(upn[1:]) == upn[0]
    except ValueError:
        return False


def normalise_postcode(value: str) -> str | None:
    """Upper-case a UK postcode with one space before the inward code, or None if it is not one."""
    compact = re.sub(r"\s+", "", value).upper()
    if len(compact) < 5 or len(compact) > 7:
        return None
    candidate = f"{compact[:-3]} {compact[-3:]}"
    return candidate if _POSTCODE.match(candidate) else None
