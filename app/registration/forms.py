"""Registration forms: asking for the link, the application (SPEC §7.3), activation."""
import math
import re
import unicodedata
from datetime import date, datetime

from flask_babel import lazy_gettext as _  # labels are translated when a page shows them
from wtforms import BooleanField, DateField, PasswordField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional, Regexp, ValidationError

from .. import routing
from ..forms import Form, bilingual
from ..i18n import mark as N_

KATAKANA = re.compile(r"[\u30A0-\u30FF\u3000 ・ー]+")
PHONE = re.compile(r"[0-9０-９\-－ー() ]{6,20}")
MIN_PASSWORD = 8
FREQUENT_PLACE_SLOTS = 3


def same_labels(*values):
    """Choices stored as their Japanese words (the profile keeps them), shown in the page's language.

    ``values`` are marked ``N_("…")`` for the catalogue.
    """
    return [SelectChoice(value, _(value)) for value in values]


def required(ja, en):
    """DataRequired with a message in both languages."""
    return DataRequired(message=bilingual(ja, en))


def max_chars(count, ja_field, en_field):
    """A length limit that names the field."""
    return Length(max=count, message=bilingual(f"{ja_field}は{count}文字以内にしてください。",
                                               f"{en_field}: at most {count} characters."))


def phone_number(ja_field, en_field):
    """An optional phone or FAX number."""
    return [Optional(), Regexp(PHONE, message=bilingual(
        f"{ja_field}は数字とハイフンで入力してください。例：0123-45-6789",
        f"{en_field}: digits and hyphens, e.g. 0123-45-6789."))]


# Browsers without a date picker (feature phones) send what was typed: accept both usual ways.
BIRTH_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d")


def _half_width(text):
    # A Japanese keyboard types full-width digits and slashes (１９８５／０４／０１) as readily as ASCII.
    return unicodedata.normalize("NFKC", text).strip()


def typed_date(text):
    """The date in ``text`` as the application form accepts it; ValueError when it is not one."""
    for format in BIRTH_DATE_FORMATS:
        try:
            return datetime.strptime(_half_width(text), format).date()
        except ValueError:
            pass
    raise ValueError(text)


class TypedDateField(DateField):
    """A date typed in any of BIRTH_DATE_FORMATS, full-width digits too; shown again as it was typed."""

    def process_formdata(self, valuelist):
        super().process_formdata([_half_width(value) for value in valuelist])


def degrees(text):
    """Decimal degrees typed as text (full-width digits too); ValueError when they are not a finite number."""
    value = float(unicodedata.normalize("NFKC", text).strip())
    if not math.isfinite(value):
        raise ValueError(text)
    return value


class Degrees:
    """An optional coordinate in decimal degrees between ``low`` and ``high`` (Japan's extent)."""

    def __init__(self, low, high, ja, en, example):
        self.low, self.high, self.ja, self.en, self.example = low, high, ja, en, example

    def __call__(self, form, field):
        if not field.data or not field.data.strip():
            return
        try:
            value = degrees(field.data)
        except ValueError:
            value = None
        if value is None or not self.low <= value <= self.high:
            raise ValidationError(bilingual(
                f"{self.ja}は {self.example} のように、{self.low:g}から{self.high:g}までの数字で入力してください。",
                f"{self.en}: a number from {self.low:g} to {self.high:g}, like {self.example}."))


def latitude():
    """A latitude in Japan (Okinotorishima to Etorofu)."""
    return Degrees(20.0, 46.0, "緯度", "Latitude", "42.82102")


def longitude():
    """A longitude in Japan (Yonaguni to Minamitorishima)."""
    return Degrees(122.0, 154.0, "経度", "Longitude", "141.65088")


CHOOSE_HQ = bilingual("消防本部を選んでください。", "Choose the fire headquarters.")


class LinkRequestForm(Form):
    """The web alternative to the empty mail."""

    hq = SelectField(_("申請する消防本部"), validate_choice=False,
                     validators=[DataRequired(message=CHOOSE_HQ)])
    email = StringField(_("メールアドレス"), validators=[
        required("メールアドレスを入力してください。", "Enter your mail address."),
        max_chars(254, "メールアドレス", "Mail address")])


def place_fields(slot):
    """The fields of frequent place ``slot``: a name, the address as typed, and a point (all optional)."""
    return (StringField(_("よく行く場所%(slot)sの名前（任意）", slot=slot), validators=[max_chars(40, "場所の名前", "Place")]),
            StringField(_("よく行く場所%(slot)sの住所（任意）", slot=slot), validators=[max_chars(200, "住所", "Address")]),
            StringField(_("よく行く場所%(slot)sの緯度（任意）", slot=slot), validators=[latitude()]),
            StringField(_("よく行く場所%(slot)sの経度（任意）", slot=slot), validators=[longitude()]))


def check_places(form, valid):
    """``valid`` and every frequent place of ``form`` makes sense as a whole."""
    for slot in range(1, FREQUENT_PLACE_SLOTS + 1):
        valid = _check_place(form, slot) and valid
    return valid


def _check_place(form, slot):
    """A place needs both coordinates or none, a point on land in Japan, and a name to show."""
    label, address = form[f"place{slot}_label"], form[f"place{slot}_address"]
    lat, lon = form[f"place{slot}_lat"], form[f"place{slot}_lon"]
    if lat.errors or lon.errors:
        return False
    typed_lat, typed_lon = (lat.data or "").strip(), (lon.data or "").strip()
    if bool(typed_lat) != bool(typed_lon):
        missing = lon if typed_lat else lat
        missing.errors.append(bilingual("緯度と経度は両方入力してください（地図で選ぶと両方入ります）。",
                                        "Enter both latitude and longitude (picking on the map fills both)."))
        return False
    if typed_lat and routing.locate(degrees(typed_lat), degrees(typed_lon)) is None:
        lat.errors.append(bilingual("この座標は日本国内の陸地ではありません。地図で選び直してください。",
                                    "These coordinates are not on land in Japan. Pick the place on the map again."))
        return False
    if typed_lat and not ((label.data or "").strip() or (address.data or "").strip()):
        label.errors.append(bilingual("地図で選んだ場所に、名前をつけてください。例：職場",
                                      "Give the place you picked on the map a name, e.g. Work."))
        return False
    return True


class ApplicationForm(Form):
    """The application of SPEC §7.3."""

    name = StringField(_("氏名"), validators=[required("氏名を入力してください。", "Enter your name."),
                                         max_chars(60, "氏名", "Name")])
    name_kana = StringField(_("氏名（フリガナ）"), validators=[
        required("フリガナを入力してください。", "Enter your name in katakana."),
        Regexp(KATAKANA, message=bilingual("フリガナはカタカナで入力してください。", "Use katakana.")),
        max_chars(60, "フリガナ", "Katakana name")])
    birth_date = TypedDateField(_("生年月日"), format=list(BIRTH_DATE_FORMATS), invalid_value_message=bilingual(
        "生年月日は 1985-04-01 のように入力してください。", "Enter the date like 1985-04-01."), validators=[
        InputRequired(message=bilingual("生年月日を入力してください。", "Enter your date of birth."))])
    sex = RadioField(_("性別"), choices=same_labels(N_("女性"), N_("男性"), N_("回答しない")),
                     validators=[InputRequired(message=bilingual("性別を選んでください。", "Choose one."))])
    address = StringField(_("住所"), validators=[required("住所を入力してください。", "Enter your address."),
                                            max_chars(200, "住所", "Address")])
    phone = StringField(_("電話番号（任意）"), validators=phone_number("電話番号", "Phone"))
    fax = StringField(_("FAX番号（任意）"), validators=phone_number("FAX番号", "FAX"))
    disability_type = SelectField(_("障害の種類"), choices=[
        SelectChoice("", _("選んでください")),
        *same_labels(N_("聴覚障害"), N_("言語機能障害"), N_("音声機能障害"), N_("その他"))],
        validators=[required("障害の種類を選んでください。", "Choose the type of disability.")])
    disability_proof = RadioField(_("確認の方法"), choices=[
        SelectChoice("身体障害者手帳", _("身体障害者手帳を持っている")),
        SelectChoice("消防本部の確認", _("手帳はないので消防本部に確認してもらう"))],
        validators=[InputRequired(message=bilingual("確認の方法を選んでください。", "Choose one."))])
    medical_history = TextAreaField(_("既往歴（任意）"), validators=[max_chars(500, "既往歴", "Medical history")])
    medication = TextAreaField(_("服用中の薬（任意）"), validators=[max_chars(500, "服用中の薬", "Medication")])
    contact_name = StringField(_("緊急連絡先の氏名（任意）"), validators=[max_chars(60, "緊急連絡先の氏名", "Contact")])
    contact_relation = StringField(_("続柄（任意）"), validators=[max_chars(20, "続柄", "Relation")])
    contact_phone = StringField(_("緊急連絡先の電話番号（任意）"),
                                validators=phone_number("緊急連絡先の電話番号", "Contact phone"))
    contact_consent = BooleanField(_("緊急時にこの連絡先へ連絡することに同意します"))
    place1_label, place1_address, place1_lat, place1_lon = place_fields(1)
    place2_label, place2_address, place2_lat, place2_lon = place_fields(2)
    place3_label, place3_address, place3_lat, place3_lon = place_fields(3)
    eligibility = RadioField(_("消防本部の管轄区域との関係"), choices=same_labels(
        N_("住んでいる"), N_("働いている"), N_("通学している")),
        validators=[InputRequired(message=bilingual("管轄区域との関係を選んでください。",
                                                    "Choose how you are connected to the area."))])
    terms = BooleanField(_("利用規約に同意します"), validators=[
        required("利用規約への同意が必要です。", "You must agree to the terms of use.")])

    def validate_birth_date(self, field):
        if field.data and not date(1900, 1, 1) <= field.data <= date.today():
            raise ValidationError(bilingual("生年月日が正しくありません。", "The date of birth is not valid."))

    def validate(self, extra_validators=None):
        """The fields one by one, then each frequent place as a whole."""
        return check_places(self, super().validate(extra_validators))

    def validate_contact_consent(self, field):
        if self.contact_name.data.strip() and not field.data:
            raise ValidationError(bilingual("緊急連絡先を登録するには、連絡への同意が必要です。",
                                            "Consent is needed to register a contact."))


class ActivationForm(Form):
    """Choosing the password on activation."""

    password = PasswordField(_("パスワード"), validators=[
        required("パスワードを入力してください。", "Enter a password."),
        Length(min=MIN_PASSWORD, max=256, message=bilingual(
            f"パスワードは{MIN_PASSWORD}文字以上にしてください。",
            f"Use at least {MIN_PASSWORD} characters."))])
    confirm = PasswordField(_("パスワード（確認）"), validators=[
        required("確認のためもう一度入力してください。", "Enter the password again."),
        EqualTo("password", message=bilingual("2つのパスワードが違います。", "The passwords do not match."))])


class FrequentPlacesForm(Form):
    """A resident's frequent places, changed on the account page."""

    place1_label, place1_address, place1_lat, place1_lon = place_fields(1)
    place2_label, place2_address, place2_lat, place2_lon = place_fields(2)
    place3_label, place3_address, place3_lat, place3_lon = place_fields(3)

    def validate(self, extra_validators=None):
        """The fields one by one, then each frequent place as a whole."""
        return check_places(self, super().validate(extra_validators))
