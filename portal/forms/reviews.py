"""The scoring sheet: a whole-number score and a comment per criterion of the call, an
overall comment, a recommendation and the amount for a reduced one. Scales and the rules
that make a review complete are checked by portal.services.reviews."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import Length, Optional

from portal.forms.fields import DecimalTextField
from portal.labels import RECOMMENDATION_LABELS
from portal.models import Criterion, Recommendation, Review
from portal.services.reviews import comment_field, score_field, weighted_score

COMMENT_MAX = 5000
OVERALL_MAX = 20000
AMOUNT_MAX = Decimal("999999999.99")
_WHOLE = re.compile(r"[+-]?\d{1,9}")


class ScoreField(StringField):
    """A whole number of points, or nothing yet. What was typed is shown back when it is not
    a whole number; the scale is the service's to check."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.raw_text = ""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.raw_text = ((valuelist[0] if valuelist else "") or "").strip()
        if not self.raw_text:
            self.data = None
            return
        if not _WHOLE.fullmatch(self.raw_text):
            self.data = None
            raise ValueError(_l("Enter a whole number of points, without fractions."))
        self.data = int(self.raw_text)

    def _value(self) -> str:
        if self.raw_text:
            return self.raw_text
        return "" if self.data is None else str(self.data)


class ReviewForm(FlaskForm):
    """Fields common to every call; `review_form` adds a score and comment per criterion."""

    overall_comment = TextAreaField(_l("Overall comment"),
                                    validators=[Length(max=OVERALL_MAX)])
    recommendation = RadioField(
        _l("Recommendation"),
        choices=[SelectChoice(r.value, label) for r, label in RECOMMENDATION_LABELS.items()],
        # Only nothing at all is "no recommendation yet": a blank that is not empty is not a
        # choice either, and must not reach Recommendation() (it was a 500).
        validators=[Optional(strip_whitespace=False)],
    )
    recommended_amount = DecimalTextField(
        _l("Recommended amount, ₽"), places=2, maximum=AMOUNT_MAX,
        description=_l("Only for “fund with a reduced amount”: no more than the amount "
                       "requested."),
    )
    criteria: Sequence[Criterion] = ()

    def criterion_fields(self, criterion: Criterion) -> tuple[Any, Any]:
        return self[score_field(criterion)], self[comment_field(criterion)]

    def weighted_scores(self) -> dict[int, Decimal | None]:
        """score x weight per criterion as the form stands (None where the score is missing
        or off the scale): what the live total shows before the page's script runs."""
        out: dict[int, Decimal | None] = {}
        for c in self.criteria:
            score = self[score_field(c)].data
            inside = isinstance(score, int) and 0 <= score <= c.scale_max
            out[c.id] = weighted_score(c, score) if inside else None
        return out

    def review_data(self) -> dict[str, Any]:
        """What portal.services.reviews.save_review takes."""
        return {
            "scores": {
                c.id: (self[score_field(c)].data, self[comment_field(c)].data or "")
                for c in self.criteria
            },
            "overall_comment": self.overall_comment.data or "",
            "recommendation": Recommendation(self.recommendation.data)
            if self.recommendation.data else None,
            "recommended_amount": self.recommended_amount.data,
        }


def review_form(criteria: Sequence[Criterion], review: Review | None = None,
                **kwargs: Any) -> ReviewForm:
    """The form for a call's criteria, filled from `review` (a saved draft) unless the
    request carries the data."""

    class _Form(ReviewForm):
        pass

    for criterion in criteria:
        setattr(_Form, score_field(criterion), ScoreField(
            _l("Score for “%(name)s”", name=criterion.name),
            # A text box with the numeric keypad rather than type=number, which would drop
            # what the browser cannot parse instead of showing it back beside its message.
            render_kw={"inputmode": "numeric", "autocomplete": "off",
                       "data-scale-max": criterion.scale_max,
                       # hundredths of a point: the live total adds whole numbers
                       "data-weight": int(criterion.weight * 100)},
        ))
        setattr(_Form, comment_field(criterion), TextAreaField(
            _l("Comment on “%(name)s”", name=criterion.name),
            validators=[Length(max=COMMENT_MAX)],
        ))
    _Form.criteria = tuple(criteria)

    data: dict[str, Any] = {}
    if review is not None:
        given = {s.criterion_id: s for s in review.scores}
        for criterion in criteria:
            row = given.get(criterion.id)
            if row is not None:
                data[score_field(criterion)] = row.score
                data[comment_field(criterion)] = row.comment
        data["overall_comment"] = review.overall_comment
        data["recommendation"] = review.recommendation.value if review.recommendation else None
        data["recommended_amount"] = review.recommended_amount
    return _Form(data=data, **kwargs)
