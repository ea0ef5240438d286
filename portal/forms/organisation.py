"""The organisation's details, shared by self-registration and the admin's form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from portal.forms import REQUIRED, NumberCheck
from portal.services.organisations import ORGANISATION_FIELDS
from portal.validators import (
    check_bik,
    check_correspondent_account,
    check_inn,
    check_kpp,
    check_ogrn,
    check_settlement_account,
)


class OrganisationFieldsMixin:
    full_name = StringField(
        _l("Full name of the library"), validators=[DataRequired(REQUIRED), Length(max=500)]
    )
    short_name = StringField(
        _l("Short name"), validators=[DataRequired(REQUIRED), Length(max=200)]
    )
    inn = StringField(
        _l("INN"), description=_l("10 digits"),
        validators=[DataRequired(REQUIRED), NumberCheck(check_inn)],
    )
    kpp = StringField(
        _l("KPP"), description=_l("9 characters"),
        validators=[DataRequired(REQUIRED), NumberCheck(check_kpp)],
    )
    ogrn = StringField(
        _l("OGRN"), description=_l("13 digits"),
        validators=[DataRequired(REQUIRED), NumberCheck(check_ogrn)],
    )
    municipality = StringField(
        _l("Municipality"), validators=[DataRequired(REQUIRED), Length(max=200)]
    )
    address = StringField(_l("Address"), validators=[DataRequired(REQUIRED), Length(max=500)])
    head_name = StringField(
        _l("Head of the library (full name)"),
        validators=[DataRequired(REQUIRED), Length(max=200)],
    )
    head_position = StringField(_l("Head's position"), validators=[Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Length(max=50)])
    email = EmailField(
        _l("Library's e-mail"),
        validators=[Optional(), Email(_l("Enter a valid e-mail address.")), Length(max=254)],
    )
    bank_name = StringField(_l("Bank"), validators=[Length(max=300)])
    bik = StringField(
        _l("BIK"), description=_l("9 digits"),
        validators=[DataRequired(REQUIRED), NumberCheck(check_bik)],
    )
    settlement_account = StringField(
        _l("Settlement account"), description=_l("20 digits"),
        validators=[DataRequired(REQUIRED), NumberCheck(check_settlement_account, "bik")],
    )
    correspondent_account = StringField(
        _l("Correspondent account"), description=_l("20 digits"),
        validators=[DataRequired(REQUIRED), NumberCheck(check_correspondent_account, "bik")],
    )

    def organisation_data(self) -> dict[str, str]:
        return {name: getattr(self, name).data or "" for name in ORGANISATION_FIELDS}
