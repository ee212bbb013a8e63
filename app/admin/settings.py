"""HQ settings an administrator changes at /admin/settings: the order of the report buttons (SPEC §3.1)."""
from flask import redirect, url_for
from markupsafe import Markup
from wtforms import RadioField, ValidationError
from wtforms.fields.choices import SelectChoice

from ..auth import current_staff, staff_required
from ..forms import Form, bilingual
from ..models import Headquarters
from ..pages import render_page
from . import bp

# The first tap of the resident's start page; the report is sent by the second.
TAP_ORDERS = {
    "kind-first": ("種類が先（火事・救急 → 場所）", "Type first (fire, ambulance → place)"),
    "place-first": ("場所が先（自宅・外出先 → 火事・救急）", "Place first (home, where I am → type)"),
}


class SettingsForm(Form):
    """The HQ's settings for its residents' app."""

    tap_order = RadioField("通報ボタンの順番", validate_choice=False, choices=[
        SelectChoice(key, Markup('{} <span lang="en" class="en">{}</span>').format(*labels))
        for key, labels in TAP_ORDERS.items()])

    def validate_tap_order(self, field):
        if field.data not in TAP_ORDERS:
            raise ValidationError(bilingual("通報ボタンの順番を選んでください。", "Choose the order of the report buttons."))


@bp.route("/settings", methods=["GET", "POST"])
@staff_required("admin")
def settings():
    """Show and change the HQ's settings; every resident of the HQ gets them at their next page."""
    hq = current_staff().hq
    form = SettingsForm(tap_order=hq.tap_order)
    if form.validate_on_submit():
        Headquarters.update(tap_order=form.tap_order.data).where(Headquarters.id == hq.id).execute()
        return redirect(url_for(".settings", saved=1), 303)
    return render_page("admin/settings.html", status=400 if form.errors else 200, hq=hq, form=form)
