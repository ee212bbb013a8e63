"""Form building blocks shared by the blueprints' forms."""
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


def bilingual(ja, en):
    """A validation message in both languages (the templates show the English beneath)."""
    return f"{ja}\n{en}"


def login_field(label="ログインID"):
    """The login ID field used by every login form."""
    return StringField(label, validators=[
        DataRequired(message=bilingual("ログインIDを入力してください。", "Enter your login ID.")),
        Length(max=64, message=bilingual("ログインIDが長すぎます。", "The login ID is too long."))])


def password_field(label="パスワード"):
    """The password field used by every login form."""
    return PasswordField(label, validators=[
        DataRequired(message=bilingual("パスワードを入力してください。", "Enter your password.")),
        Length(max=256, message=bilingual("パスワードが長すぎます。", "The password is too long."))])


WRONG_LOGIN = bilingual("ログインIDまたはパスワードが違います。", "The login ID or password is wrong.")
