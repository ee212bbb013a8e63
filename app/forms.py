"""Form building blocks shared by the blueprints' forms."""
from flask_babel import lazy_gettext as _  # labels are translated when a page shows them
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

# Typed place descriptions; shared by real reports, practice and the proxy card.
MAX_PLACE_TEXT = 200


def _missing_as_empty(value):
    return "" if value is None else value


def _without_nul(value):
    # No keyboard types a NUL, and PostgreSQL refuses one in text: it could only turn a
    # garbled paste or a forged request into a server error (and a report lost).
    return value.replace("\x00", "") if isinstance(value, str) else value


class Form(FlaskForm):
    """The base of every form here: a text field left out of a POST reads as "", as if sent empty.

    A browser sends every field, but a hand-made request or an old page's form need not;
    WTForms then leaves the field ``None``, which optional fields' validators let through
    to code that expects text (a profile without its phone number met a NOT NULL column).
    Every field's text loses its NUL characters (_without_nul), select fields' too.
    """

    class Meta:
        def bind_field(self, form, unbound_field, options):
            # First, so that a field's own filters never meet None or a NUL either.
            first = (_without_nul, _missing_as_empty) if issubclass(unbound_field.field_class, StringField) \
                else (_without_nul,)  # StringField: TextArea, Password, Hidden too
            options["filters"] = (*first, *unbound_field.kwargs.get("filters", ()))
            return unbound_field.bind(form=form, **options)


def bilingual(ja, en):
    """A validation message in both languages (the templates show the English beneath)."""
    return f"{ja}\n{en}"


def login_field(label=_("ログインID")):
    """The login ID field used by every login form."""
    return StringField(label, validators=[
        DataRequired(message=bilingual("ログインIDを入力してください。", "Enter your login ID.")),
        Length(max=64, message=bilingual("ログインIDが長すぎます。", "The login ID is too long."))])


def password_field(label=_("パスワード"), **options):
    """The password field used by every login form."""
    return PasswordField(label, **options, validators=[
        DataRequired(message=bilingual("パスワードを入力してください。", "Enter your password.")),
        Length(max=256, message=bilingual("パスワードが長すぎます。", "The password is too long."))])


WRONG_LOGIN = bilingual("ログインIDまたはパスワードが違います。", "The login ID or password is wrong.")
# Said only after the right password: a suspended resident in an emergency must not keep trying
# (and be made to wait) believing they mistyped, but learn at once to call for help another way.
RESIDENT_NOT_IN_USE = bilingual(
    "このアカウントは利用が停止されているか、取り消されています。緊急のときは、周りの人に119番に電話してもらうか、FAXで119番に送ってください。"
    "利用の再開は、登録した消防本部にお問い合わせください。",
    "This account is suspended or cancelled. In an emergency, ask someone nearby to call 119, or send a FAX to 119. "
    "Ask your fire headquarters to restore the account.")
STAFF_NOT_IN_USE = bilingual("この職員アカウントは無効になっています。本部の管理者に連絡してください。",
                             "This staff account has been deactivated. Ask your HQ's administrator.")


def wait_to_log_in(seconds):
    """The message for a login refused until a short back-off ends."""
    ja, en = _wait_in_words(seconds)
    return bilingual(f"ログインの失敗が続いたため、少しの間ログインできません。{ja}ほど待ってから、もう一度入力してください。",
                     f"Too many failed logins. Wait {en} and try again.")


def wait_to_check_password(seconds):
    """The message for a password not checked until a short back-off ends (asked again when logged in)."""
    ja, en = _wait_in_words(seconds)
    return bilingual(f"パスワードの間違いが続いたため、少しの間確かめられません。{ja}ほど待ってから、もう一度入力してください。",
                     f"Too many wrong passwords. Wait {en} and try again.")


def _wait_in_words(seconds):
    count, ja, en = (seconds, "秒", "second") if seconds < 60 else (-(-seconds // 60), "分", "minute")
    return f"{count}{ja}", f"{count} {en}{'s' if count > 1 else ''}"


class ReportForm(Form):
    """The second tap (real or practice). Location fields are filled by the page's geolocation."""

    kind = HiddenField()
    # The tapped button: "home", "current" or "frequent-<id>".
    place = StringField(validators=[DataRequired(message=bilingual("場所を選んでください。", "Choose the place."))])
    place_text = StringField(_("場所の説明（住所や目印・任意）"), validators=[
        Optional(), Length(max=MAX_PLACE_TEXT, message=bilingual(
            f"場所の説明は{MAX_PLACE_TEXT}文字以内にしてください。",
            f"Describe the place in at most {MAX_PLACE_TEXT} characters."))])
    lat = HiddenField()
    lon = HiddenField()
    accuracy = HiddenField()
    client_id = HiddenField()


class MessageForm(Form):
    """A chat message (real or practice)."""

    body = TextAreaField(_("メッセージ"), validators=[
        DataRequired(message=bilingual("メッセージを入力してください。", "Enter a message."))])
    client_id = HiddenField()
