"""Resident login and answer forms (the report and message forms are shared, in app/forms.py)."""
from wtforms import HiddenField

from ..forms import Form, login_field, password_field


class LoginForm(Form):
    login = login_field()
    password = password_field()


class AnswerForm(Form):
    """A tapped answer chip; app.reporting.answer_question checks the question and the choice."""

    question_seq = HiddenField()
    choice = HiddenField()
    client_id = HiddenField()
