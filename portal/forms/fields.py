"""Fields for what WTForms lacks: amounts and other exact decimals typed the Russian way
(`1 234,56`), lists typed one item per line, and whole numbers of a sensible size."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField as _IntegerField
from wtforms import StringField, TextAreaField
from wtforms.validators import ValidationError

from portal.i18n import current_locale
from portal.money import format_decimal, format_number, parse_decimal


class DecimalTextField(StringField):
    """An exact, non-negative decimal with at most `places` decimals, optionally bounded.
    Shown back as typed when invalid, so nothing the person typed is lost."""

    def __init__(
        self,
        label: Any = None,
        validators: Any = None,
        *,
        places: int = 2,
        minimum: Decimal | None = None,
        maximum: Decimal | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.places = places
        self.minimum = minimum
        self.maximum = maximum
        self.raw_text = ""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.raw_text = (valuelist[0] if valuelist else "") or ""
        text = self.raw_text.strip()
        if not text:
            self.data = None
            return
        try:
            self.data = parse_decimal(text, self.places)
        except ValueError:
            self.data = None
            if text.lstrip().startswith("-"):
                raise ValueError(_l("The value cannot be negative.")) from None
            raise ValueError(
                _l("Enter a number like 1 234,56 (at most %(n)d decimal places).", n=self.places)
            ) from None

    def pre_validate(self, form: Any) -> None:
        if self.data is None:
            return
        if self.minimum is not None and self.data < self.minimum:
            raise ValidationError(_l("The value must be at least %(n)s.",
                                     n=format_number(self.minimum)))
        if self.maximum is not None and self.data > self.maximum:
            raise ValidationError(_l("The value must be at most %(n)s.",
                                     n=format_number(self.maximum)))

    def _value(self) -> str:
        if self.raw_text:
            return self.raw_text
        if self.data is None:
            return ""
        pattern = "0.00" if self.places == 2 else "0." + "#" * self.places
        return format_decimal(Decimal(self.data), format=pattern, locale=current_locale())


class LinesField(TextAreaField):
    """A list of strings typed one per line; blank lines are dropped."""

    def process_formdata(self, valuelist: list[str]) -> None:
        text = valuelist[0] if valuelist else ""
        self.data = [line.strip() for line in text.splitlines() if line.strip()]

    def _value(self) -> str:
        return "\n".join(self.data or [])


class IntegerField(_IntegerField):
    """WTForms' whole number, refused beyond a 64-bit integer: WTForms takes any number of
    digits, and its NumberRange turns a number of more than 308 digits into a float (an
    OverflowError, a 500); no count or id of the portal comes near the limit."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and not -(2**63) <= self.data < 2**63:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))
