"""Administration forms."""
from flask import request
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from ..forms import Form, bilingual
from ..mail.addresses import InvalidAddress, normalise
from ..registration.forms import max_chars


DECISIONS = ("approve", "reject")


class DecisionForm(Form):
    """Approve or reject an application; a rejection needs the reason that is mailed."""

    reason = TextAreaField("却下の理由（申請者にメールで送られます）", validators=[
        Length(max=1000, message=bilingual("理由は1000文字以内にしてください。", "At most 1000 characters."))])

    def validate_reason(self, field):
        if request.form.get("action") == "reject" and not field.data.strip():
            raise ValidationError(bilingual("却下の理由を入力してください。", "Enter the reason for rejecting."))

    def validate(self, extra_validators=None):
        """The fields, and a decision that was chosen: neither is ever taken for the other."""
        valid = super().validate(extra_validators)
        if request.form.get("action") not in DECISIONS:
            # A rejection is mailed and cannot be undone: a post without a button's action is no decision.
            self.form_errors.append(bilingual("「承認する」か「却下する」を押してください。",
                                              "Press approve or reject."))
            return False
        return valid


class PhraseForm(Form):
    """A canned phrase's text (add or edit)."""

    text = StringField("定型文", validators=[
        DataRequired(message=bilingual("定型文を入力してください。", "Enter the canned phrase.")),
        Length(max=200, message=bilingual("定型文は200文字以内にしてください。", "At most 200 characters."))])


class StaffForm(Form):
    """A new staff account of the HQ."""

    login = StringField("職員ID（英小文字・数字・- _）", validators=[
        DataRequired(message=bilingual("職員IDを入力してください。", "Enter the staff ID.")),
        Length(max=64, message=bilingual("職員IDは64文字以内にしてください。", "At most 64 characters."))])
    name = StringField("氏名", validators=[
        DataRequired(message=bilingual("氏名を入力してください。", "Enter the name.")),
        Length(max=100, message=bilingual("氏名は100文字以内にしてください。", "At most 100 characters."))])
    # Radio buttons drawn by the template (a fieldset with a legend); checked by admin.staffing.
    role = StringField("役割", validators=[
        InputRequired(message=bilingual("役割を選んでください。", "Choose the role."))])
    password = PasswordField("初期パスワード（12文字以上）", validators=[
        DataRequired(message=bilingual("パスワードを入力してください。", "Enter the password.")),
        Length(min=12, max=256, message=bilingual("パスワードは12文字以上にしてください。",
                                                  "Use at least 12 characters."))])


class ResidentAddressForm(Form):
    """A resident's corrected mail address, checked and normalised as the registration form does."""

    # A text input, not type=email: the browser would stop the full-width or Japanese domain that
    # normalise() turns into ASCII, with a message of its own in one language.
    email = StringField("新しいメールアドレス", render_kw={"inputmode": "email", "spellcheck": "false",
                                                   "autocapitalize": "off", "autocomplete": "off"},
                        validators=[
        DataRequired(message=bilingual("メールアドレスを入力してください。", "Enter the mail address.")),
        max_chars(254, "メールアドレス", "Mail address")])

    def validate_email(self, field):
        try:
            field.data = normalise(field.data)
        except InvalidAddress as error:
            raise ValidationError(str(error)) from None
