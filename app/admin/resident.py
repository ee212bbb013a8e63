"""One resident's page: the account and its mail address; for one not yet activated, the activation mail."""
from flask import abort, current_app, redirect, request, url_for

from ..auth import current_staff, staff_required
from ..core.templating import jst
from ..forms import bilingual
from ..mail.outbox import GIVE_UP_AFTER, sender_address
from ..models import Resident, utcnow
from ..pages import render_page
from ..registration import activation_mail
from . import address_change, bp
from .forms import ResidentAddressForm

# Why the activation mail cannot be sent again, by the resident's status.
NOT_PENDING = {
    "active": ("{name}さんは、すでにパスワードを設定して使い始めています。有効化のメールは送り直せません。"
               "別のスマートフォンでは、ログインIDとパスワードでログインしてもらってください。"
               "パスワードの変更やほかの端末のログアウトは、本人が「登録内容と設定」の画面でできます。",
               "{name} has set a password and is using the service: the activation mail cannot be sent again. "
               "On another phone they log in with their login ID and password; they change the password "
               "or log out other devices themselves on their account page."),
    "suspended": ("{name}さんは、すでにパスワードを設定しています（いまは停止中）。有効化のメールは送り直せません。",
                  "{name} has set a password (and is suspended now): the activation mail cannot be sent again."),
    "cancelled": ("{name}さんの登録は取り消されています。有効化のメールは送り直せません。",
                  "{name}'s registration is cancelled: the activation mail cannot be sent again."),
}


# Why the address cannot be changed, when it cannot: a registration cancelled, or a status that
# moved between the page and the press (the resident activated, or cancelled, meanwhile).
NOT_CHANGED = ("{name}さんの登録は取り消されています。メールアドレスは変えられません。",
               "{name}'s registration is cancelled: the mail address is not changed.")
STATUS_MOVED = ("{name}さんの状態が、この画面を開いたあとに変わりました。メールアドレスは変えていません。"
                "画面を確かめて、もう一度入力してください。",
                "{name}'s account changed after this page was opened: the address was not changed. "
                "Check the page and enter it again.")


def _own_resident(resident_id):
    """The HQ's resident with this id; another HQ's is as unknown as an id that does not exist."""
    resident = Resident.get_or_none((Resident.id == resident_id) & (Resident.hq == current_staff().hq))
    if resident is None:
        abort(404)
    return resident


def _resident_page(resident, error=None, status=200, address_form=None):
    pending = resident.status == "pending"
    return render_page("admin/resident.html", resident=resident, error=error, status=status,
                       address_form=address_form or ResidentAddressForm(formdata=None),
                       done=request.args.get("done"), now=utcnow(),
                       mail=activation_mail.latest_mail(resident) if pending else None,
                       link=activation_mail.current_link(resident) if pending else None,
                       error_in_words=activation_mail.error_in_words,
                       failure_in_words=activation_mail.failure_in_words, give_up_after=GIVE_UP_AFTER,
                       sender=sender_address(),
                       relay=bool(current_app.config["MAIL_RELAY"]))


@bp.get("/residents/<int:resident_id>")
@staff_required("admin")
def resident(resident_id):
    """The resident's account; while not activated, how its activation mail went."""
    return _resident_page(_own_resident(resident_id))


@bp.post("/residents/<int:resident_id>/activation-mail")
@staff_required("admin")
def activation_mail_again(resident_id):
    """Mail a new activation link (the old one stops working), at most once a minute."""
    resident = _own_resident(resident_id)
    # CSRFProtect has checked the token already; the button is the form's only input.
    try:
        activation_mail.resend(current_staff(), resident)
    except activation_mail.AlreadyActivated:
        resident = Resident.get_by_id(resident.id)
        ja, en = NOT_PENDING.get(resident.status, NOT_PENDING["active"])
        return _resident_page(resident, error=bilingual(ja.format(name=resident.name), en.format(name=resident.name)),
                              status=409)
    except activation_mail.NoAddress:
        return _resident_page(resident, status=409, error=bilingual(
            f"{resident.name}さんのメールアドレスが登録されていないため、有効化のメールを送れません。",
            f"{resident.name} has no mail address on record: the activation mail cannot be sent."))
    except activation_mail.SentJustNow as sent:
        when = jst(sent.mail.created_at, "%H:%M:%S")
        return _resident_page(resident, status=429, error=bilingual(
            f"{resident.name}さんへの有効化のメールは、{when}に送ったばかりです。"
            "同じメールが二重に届かないよう、1分たってからもう一度押してください。",
            f"An activation mail went to {resident.name} at {when}. So that no mail arrives twice, "
            "press again after a minute."))
    return redirect(url_for(".resident", resident_id=resident.id, done="resent"), 303)


@bp.post("/residents/<int:resident_id>/email")
@staff_required("admin")
def resident_address(resident_id):
    """Change the resident's mail address: before activation the new activation link goes there,
    afterwards the old and the new address are told of the change."""
    resident = _own_resident(resident_id)
    form = ResidentAddressForm()
    if resident.status not in ("pending", *address_change.CHANGEABLE):
        return _address_not_changed(resident, NOT_CHANGED)
    if not form.validate_on_submit():
        return _resident_page(resident, status=400, address_form=form)
    try:
        if resident.status == "pending":
            activation_mail.correct_address(current_staff(), resident, form.email.data)
        else:
            address_change.change_address(current_staff(), resident, form.email.data)
    except (activation_mail.AlreadyActivated, address_change.NotChangeable):
        return _address_not_changed(Resident.get_by_id(resident.id), STATUS_MOVED)
    except activation_mail.SameAddress:
        form.email.errors.append(bilingual(
            "いま登録されているアドレスと同じです。同じアドレスにもう一度送るときは、「有効化のメールを送り直す」を押してください。"
            if resident.status == "pending" else "いま登録されているアドレスと同じです。",
            "This is the address on record already."))
        return _resident_page(resident, status=400, address_form=form)
    done = "corrected" if resident.status == "pending" else "changed"
    return redirect(url_for(".resident", resident_id=resident.id, done=done), 303)


def _address_not_changed(resident, why):
    ja, en = why
    return _resident_page(resident, status=409, error=bilingual(ja.format(name=resident.name),
                                                                en.format(name=resident.name)))
