"""The upload form of an application's attachments: the file and what it is. The file's type
and size are checked by the service, on its content."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectChoice, SelectField
from wtforms.validators import DataRequired

from portal.forms import REQUIRED
from portal.labels import ATTACHMENT_KIND_LABELS


class AttachmentForm(FlaskForm):
    kind = SelectField(
        _l("What it is"),
        choices=[SelectChoice(kind.value, label) for kind, label in ATTACHMENT_KIND_LABELS.items()],
        validators=[DataRequired(REQUIRED)],
    )
    file = FileField(
        _l("File"),
        validators=[FileRequired(_l("Choose a file to upload."))],
    )
