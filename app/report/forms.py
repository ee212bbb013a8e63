"""Resident login form (the report and message forms are shared, in app/forms.py)."""
from flask_wtf import FlaskForm

from ..forms import login_field, password_field


class LoginForm(FlaskForm):
    login = login_field()
    password = password_field()
