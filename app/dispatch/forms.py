"""Console forms."""
import re

from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Optional, Regexp

from ..forms import Form, bilingual, login_field, password_field


class LoginForm(Form):
    login = login_field("職員ID")
    password = password_field()


class StatusForm(Form):
    """The pressed stage button carries ``status``; closing may carry a reason."""

    status = HiddenField()
    reason = StringField("終了の理由（任意）", validators=[Optional()])


class TransferForm(Form):
    hq = SelectField("引き継ぎ先", validate_choice=False)
    reason = StringField("理由（任意）", validators=[Optional()])


class MessageForm(Form):
    body = TextAreaField("返信", validators=[
        DataRequired(message=bilingual("返信を入力してください。", "Enter a reply."))])
    client_id = HiddenField()


class ClaimForm(Form):
    """Claim, take over (from ``holder``, the colleague the page showed) or release a case."""

    action = HiddenField(validators=[AnyOf(("claim", "take_over", "release"), message=bilingual(
        "担当の操作を選んでください。", "Choose claim, take over or release."))])
    holder = HiddenField(validators=[Regexp(r"^\d{0,12}$", message=bilingual(
        "担当者の情報が正しくありません。画面を読み込み直してください。",
        "The claim information is not valid. Please reload the page."))])


class QuestionForm(Form):
    """A choice question: the text, and the dispatcher's own answer chips (one per line or 、)."""

    body = TextAreaField("質問", validators=[
        DataRequired(message=bilingual("質問を入力してください。", "Enter the question."))])
    choices = TextAreaField("独自の選択肢（任意・1行に1つ、または「、」で区切る）", validators=[Optional()])
    client_id = HiddenField()

    def choice_list(self):
        """The typed choices, in order, without blanks."""
        return [c.strip() for c in re.split(r"[\n、,，]", self.choices.data or "") if c.strip()]
