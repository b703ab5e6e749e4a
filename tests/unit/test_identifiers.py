"""The identifier checks, read as the rules they implement."""

from hypothesis import given
from hypothesis import strategies as st

from streams.identity.identifiers import (
    is_valid_nhs_number,
    is_valid_upn,
    nhs_check_digit,
    normalise_postcode,
    upn_check_letter,
)


def test_nhs_number_published_example_is_valid() -> None:
    # 943 476 5919 is NHS Digital's documented example of a valid number.
    assert is_valid_nhs_number("943 476 5919")
    assert is_valid_nhs_number("9434765919")


def test_nhs_number_with_wrong_check_digit_is_invalid() -> None:
    assert not is_valid_nhs_number("9434765918")


def test_nhs_number_whose_check_would_be_ten_is_never_valid() -> None:
    # Remainder 1 gives check 10: no digit fits, so no number with these nine digits is valid.
    nine = next(f"{n:09d}" for n in range(10**8, 10**9) if nhs_check_digit(f"{n:09d}") is None)
    assert all(not is_valid_nhs_number(nine + str(d)) for d in range(10))


def test_nhs_number_shapes_rejected() -> None:
    for bad in ["", "123", "94347659190", "94347659a9", "abcdefghij"]:
        assert not is_valid_nhs_number(bad)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_nhs_exactly_one_check_digit_or_none(nine: str) -> None:
    valid = [d for d in range(10) if is_valid_nhs_number(nine + str(d))]
    expected = nhs_check_digit(nine)
    assert valid == ([] if expected is None else [expected])


@given(st.text(alphabet="0123456789", min_size=11, max_size=11), st.sampled_from("0123456789A"))
def test_upn_accepts_its_own_check_letter_and_no_other(digits: str, final: str) -> None:
    body = digits + final
    letter = upn_check_letter(body)
    assert is_valid_upn(letter + body)
    others = [c for c in "ABCDEFGHJKLMNPQRTUVWXYZ" if c != letter]
    assert not any(is_valid_upn(c + body) for c in others)


def test_upn_worked_example() -> None:
    # Weights 2..13 over 8 2 1 2 0 0 1 1 2 3 4 5: sum 219, 219 mod 23 = 12 -> 'N'.
    assert upn_check_letter("821200112345") == "N"
    assert is_valid_upn("N821200112345")
    assert not is_valid_upn("M821200112345")
    assert not is_valid_upn("N82120011234")


def test_postcode_normalised_and_shapes_checked() -> None:
    assert normalise_postcode("ts18 1aa") == "TS18 1AA"
    assert normalise_postcode("TS181AA") == "TS18 1AA"
    assert normalise_postcode("sw1a 1aa") == "SW1A 1AA"
    assert normalise_postcode("M1 1AE") == "M1 1AE"
    for bad in ["", "TS18", "12345", "TS18 1A", "QQ1 1AA", "TS18 1AAA"]:
        assert normalise_postcode(bad) is None
