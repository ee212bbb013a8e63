"""Administration forms."""
from flask import request
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length, ValidationError

from ..forms import bilingual


class DecisionForm(FlaskForm):
    """Approve or reject an application; a rejection needs the reason that is mailed."""

    reason = TextAreaField("却下の理由（申請者にメールで送られます）", validators=[
        Length(max=1000, message=bilingual("理由は1000文字以内にしてください。", "At most 1000 characters."))])

    def validate_reason(self, field):
        if request.form.get("action") == "reject" and not field.data.strip():
            raise ValidationError(bilingual("却下の理由を入力してください。", "Enter the reason for rejecting."))
