"""Resident forms: login, the second tap, a chat message."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import bilingual, login_field, password_field
from ..reporting import MAX_PLACE_TEXT


class LoginForm(FlaskForm):
    login = login_field()
    password = password_field()


class ReportForm(FlaskForm):
    """The second tap. Location fields are filled by the page's geolocation when it can."""

    kind = HiddenField()
    # The tapped button: "home", "current" or "frequent-<id>".
    place = StringField(validators=[DataRequired(message=bilingual("場所を選んでください。", "Choose the place."))])
    place_text = StringField("場所の説明（住所や目印・任意）", validators=[
        Optional(), Length(max=MAX_PLACE_TEXT, message=bilingual(
            f"場所の説明は{MAX_PLACE_TEXT}文字以内にしてください。",
            f"Describe the place in at most {MAX_PLACE_TEXT} characters."))])
    lat = HiddenField()
    lon = HiddenField()
    accuracy = HiddenField()
    client_id = HiddenField()


class MessageForm(FlaskForm):
    body = TextAreaField("メッセージ", validators=[
        DataRequired(message=bilingual("メッセージを入力してください。", "Enter a message."))])
    client_id = HiddenField()
