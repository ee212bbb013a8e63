"""Console forms."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired

from ..forms import bilingual, login_field, password_field


class LoginForm(FlaskForm):
    login = login_field("職員ID")
    password = password_field()


class MessageForm(FlaskForm):
    body = TextAreaField("返信", validators=[
        DataRequired(message=bilingual("返信を入力してください。", "Enter a reply."))])
    client_id = HiddenField()
