"""Russian registration and bank numbers, with real-world values."""

import pytest

from portal.validators import (
    InvalidNumber,
    check_bik,
    check_correspondent_account,
    check_inn,
    check_kpp,
    check_ogrn,
    check_settlement_account,
)

# Public details of real organisations (the Bank of Russia, Sberbank, Russian Railways,
# the Russian State Library).
REAL_INNS = ["7702235133", "7707083893", "7708503727", "7704097560"]
REAL_OGRNS = ["1037700013020", "1027700132195", "1037739877295"]


@pytest.mark.parametrize("inn", REAL_INNS)
def test_real_inns_pass(inn):
    assert check_inn(inn) == inn


@pytest.mark.parametrize("inn", ["7707083894", "7707083890"])
def test_inn_with_wrong_check_digit_says_so(inn):
    with pytest.raises(InvalidNumber, match="check digit"):
        check_inn(inn)


@pytest.mark.parametrize(
    ("inn", "message"),
    [("770708389", "10 digits"), ("77070838933", "10 digits"), ("77070A3893", "digits only"),
     ("", "digits only"), ("７７０７０８３８９３", "digits only")],
)
def test_inn_shape(inn, message):
    with pytest.raises(InvalidNumber, match=message):
        check_inn(inn)


def test_inn_surrounding_spaces_are_ignored():
    assert check_inn(" 7707083893 ") == "7707083893"


@pytest.mark.parametrize("ogrn", REAL_OGRNS)
def test_real_ogrns_pass(ogrn):
    assert check_ogrn(ogrn) == ogrn


@pytest.mark.parametrize(
    ("ogrn", "message"),
    [("1027700132196", "check digit"), ("102770013219", "13 digits"),
     ("3027700132195", "starts with 1 or 5")],
)
def test_bad_ogrns(ogrn, message):
    with pytest.raises(InvalidNumber, match=message):
        check_ogrn(ogrn)


@pytest.mark.parametrize("kpp", ["773601001", "770201001", "7736AB001"])
def test_kpp_valid(kpp):
    assert check_kpp(kpp) == kpp


def test_kpp_lower_case_letters_are_normalised():
    assert check_kpp("7736ab001") == "7736AB001"


@pytest.mark.parametrize("kpp", ["77360100", "7736010011", "77A601001", "773601-01"])
def test_kpp_invalid(kpp):
    with pytest.raises(InvalidNumber, match="9 characters"):
        check_kpp(kpp)


def test_bik_valid_and_invalid():
    assert check_bik("044525225") == "044525225"  # Sberbank, Moscow
    assert check_bik("004525988") == "004525988"  # the Federal Treasury's Moscow office
    with pytest.raises(InvalidNumber, match="starts with 0"):
        check_bik("144525225")
    with pytest.raises(InvalidNumber, match="9 digits"):
        check_bik("04452522")


def test_correspondent_account_checked_against_bik():
    # Sberbank's correspondent account at the Bank of Russia.
    assert check_correspondent_account("30101810400000000225", "044525225")
    # The single treasury account (ЕКС) of the Treasury's Moscow office.
    assert check_correspondent_account("40102810545370000003", "004525988")
    with pytest.raises(InvalidNumber, match="does not match the BIK 044525225"):
        check_correspondent_account("30101810500000000225", "044525225")
    with pytest.raises(InvalidNumber, match="starts with 301"):
        check_correspondent_account("40702810400000000225", "044525225")


def _with_check_digit(bik, account_without_check):
    from portal.demo import demo_account

    return demo_account(bik, account_without_check)


def test_settlement_account_checked_against_bik():
    account = _with_check_digit("044525225", "4070281040000001234")
    assert check_settlement_account(account, "044525225") == account
    wrong_digit = account[:-1] + str((int(account[-1]) + 1) % 10)
    with pytest.raises(InvalidNumber, match="does not match the BIK 044525225"):
        check_settlement_account(wrong_digit, "044525225")
    # The same account under another bank's BIK fails the check.
    with pytest.raises(InvalidNumber, match="does not match the BIK"):
        check_settlement_account(account, "044525593")


def test_settlement_account_in_a_bank_of_russia_office_uses_bik_digits_5_and_6():
    bik = "044525000"  # a Bank of Russia office: the key is 0 + digits 5-6 of the BIK
    for digit in "0123456789":
        account = "4010181" + digit + "000000010001"
        if check_ok(account, "025"):
            assert check_settlement_account(account, bik) == account
            break
    else:  # pragma: no cover - one digit always fits
        pytest.fail("no check digit fits")


def check_ok(account, key):
    weights = ((7, 1, 3) * 8)[:23]
    return sum(int(d) * w % 10 for d, w in zip(key + account, weights, strict=True)) % 10 == 0


def test_settlement_account_shape():
    with pytest.raises(InvalidNumber, match="20 digits"):
        check_settlement_account("4070281040000000123", "044525225")
