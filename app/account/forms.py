"""Self-service forms of a logged-in resident."""
from flask_babel import lazy_gettext as _  # labels are translated when a page shows them
from wtforms import BooleanField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length

from ..forms import Form, bilingual, password_field
from ..registration.forms import MIN_PASSWORD, max_chars, phone_number, required


class ProfileForm(Form):
    """What a resident changes most often; the rest goes through the HQ."""

    address = StringField(_("住所"), validators=[required("住所を入力してください。", "Enter your address."),
                                            max_chars(200, "住所", "Address")])
    phone = StringField(_("電話番号（任意）"), validators=phone_number("電話番号", "Phone"))
    fax = StringField(_("FAX番号（任意）"), validators=phone_number("FAX番号", "FAX"))
    medical_history = TextAreaField(_("既往歴（任意）"), validators=[max_chars(500, "既往歴", "Medical history")])
    medication = TextAreaField(_("服用中の薬（任意）"), validators=[max_chars(500, "服用中の薬", "Medication")])


class PasswordForm(Form):
    current = password_field(_("今のパスワード"))
    password = PasswordField(_("新しいパスワード"), validators=[
        required("新しいパスワードを入力してください。", "Enter a new password."),
        Length(min=MIN_PASSWORD, max=256, message=bilingual(
            f"パスワードは{MIN_PASSWORD}文字以上にしてください。", f"Use at least {MIN_PASSWORD} characters."))])
    confirm = PasswordField(_("新しいパスワード（確認）"), validators=[
        required("確認のためもう一度入力してください。", "Enter the password again."),
        EqualTo("password", message=bilingual("2つのパスワードが違います。", "The passwords do not match."))])


class CancelForm(Form):
    # Ids of their own: the password form on the same page has fields of these names.
    confirm = BooleanField(_("登録を取り消すと、NET119で通報できなくなることを理解しました"), id="cancel-confirm", validators=[
        DataRequired(message=bilingual("確認のチェックを入れてください。", "Tick the box to confirm."))])
    # It cannot be undone: not by whoever picks up a phone left unlocked.
    current = password_field(_("今のパスワード"), id="cancel-current")


WRONG_PASSWORD = bilingual("今のパスワードが違います。", "The current password is wrong.")
