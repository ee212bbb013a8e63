"""Practice forms: the same fields as a real report's, validated the same way."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import bilingual

MAX_PLACE_TEXT = 200


class PracticeReportForm(FlaskForm):
    """The second tap of a practice report."""

    kind = HiddenField()
    place = StringField(validators=[DataRequired(message=bilingual("場所を選んでください。", "Choose the place."))])
    place_text = StringField("場所の説明（住所や目印・任意）", validators=[
        Optional(), Length(max=MAX_PLACE_TEXT, message=bilingual(
            f"場所の説明は{MAX_PLACE_TEXT}文字以内にしてください。",
            f"Describe the place in at most {MAX_PLACE_TEXT} characters."))])
    lat = HiddenField()
    lon = HiddenField()
    accuracy = HiddenField()
    client_id = HiddenField()


class PracticeMessageForm(FlaskForm):
    body = TextAreaField("メッセージ", validators=[
        DataRequired(message=bilingual("メッセージを入力してください。", "Enter a message."))])
    client_id = HiddenField()
