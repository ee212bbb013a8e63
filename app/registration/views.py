"""Registration pages: the link by web, the application form, activation, the demo mailbox."""
from flask import abort, current_app, redirect, request, url_for
from flask_babel import gettext
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectChoice

from ..auth import current_resident, log_in
from ..caching import never_stored
from ..extensions import csrf
from ..forms import bilingual
from ..login_limits import address_network, client_address
from ..mail.addresses import InvalidAddress, normalise
from ..mail.addresses import mailbox as mailbox_of  # beside the demo's mailbox() view
from ..mail.limits import RateLimit
from ..mail.outbox import sender_address
from ..models import Application, Headquarters, OutgoingMail
from ..pages import render_page
from ..reporting import InvalidInput
from . import applications, bp
from .forms import CHOOSE_HQ, ActivationForm, ApplicationForm, LinkRequestForm
from .location import suggest_hq
from .links import LinkExpired, LinkInvalid, read_application_token, send_application_link

# The web form must not become a way to flood someone's phone with mail: five links an
# hour to one mailbox (its +tag variants counted as one), and at most LINKS_PER_NETWORK
# an hour asked from one client network (an IPv4 address or an IPv6 /64), whatever the
# addresses. A registration session at an HQ, all on one Wi-Fi, stays well under that.
LINKS_PER_MAILBOX = 5
LINKS_PER_NETWORK = 30
STALE_FORM = bilingual("画面の有効期限が切れていたため、まだ送っていません。入力した内容はそのまま残っています。もう一度ボタンを押してください。",
                       "This page had expired, so nothing was sent yet. What you typed is still here: press the button again.")


def _link_limits():
    """This app's two counts (kept in memory: the embedded default is one process)."""
    return current_app.extensions.setdefault("net119.link_requests", (
        RateLimit(LINKS_PER_MAILBOX, 3600), RateLimit(LINKS_PER_NETWORK, 3600)))


@bp.route("/", methods=["GET", "POST"])
def request_link():
    """Choose the HQ and enter a mail address; the application link is mailed."""
    form = LinkRequestForm()
    # An HQ's name is Japanese on an English page too: lang="ja" for a screen reader.
    form.hq.choices = [SelectChoice("", gettext("選んでください"))] + [
        SelectChoice(hq.code, hq.name, render_kw={"lang": "ja"}) for hq in
        Headquarters.select().where(Headquarters.uses_service == True).order_by(Headquarters.name)]  # noqa: E712
    suggestion, status = None, 200
    if request.method == "GET":
        # ?lat=&lon= from the page's 現在地 button: preselect the HQ that routing gives for that point.
        try:
            suggestion = suggest_hq(request.args.get("lat"), request.args.get("lon"))
        except InvalidInput as error:
            form.hq.errors = [bilingual(f"{error.ja}一覧から選んでください。", f"{error.en} Choose from the list.")]
            status = 400
        if suggestion and suggestion.hq:
            form.hq.data = suggestion.hq.code
    if form.validate_on_submit():
        hq = Headquarters.get_or_none((Headquarters.code == form.hq.data)
                                      & (Headquarters.uses_service == True))  # noqa: E712
        try:
            email = normalise(form.email.data)
        except InvalidAddress as error:
            form.email.errors.append(str(error))
        else:
            if hq is None:
                form.hq.errors.append(CHOOSE_HQ)
            else:
                per_mailbox, per_network = _link_limits()
                if not per_network.allow(address_network(client_address())):
                    # Said plainly: it tells nothing about any address, only about this network.
                    form.email.errors.append(bilingual(
                        "この通信回線からの申し込みが多すぎます。1時間ほどしてから、もう一度お試しください。",
                        "Too many requests from this network. Please try again in about an hour."))
                    return render_page("registration/request.html", "registration/_hq_field.html", form=form,
                                       suggestion=suggestion, status=429)
                # The same answer whatever the address: the page never tells who is registered.
                if per_mailbox.allow(mailbox_of(email)):
                    send_application_link(hq, email)
                return redirect(url_for(".link_sent"), 303)
    if request.method == "POST":
        status = 400
    return render_page("registration/request.html", "registration/_hq_field.html", form=form,
                       suggestion=suggestion, status=status)


@bp.get("/sent")
def link_sent():
    """Where to look for the link, and what to allow in the phone's mail filter."""
    return render_page("registration/sent.html", sender=sender_address())


# The signed link is what lets one write this application, so the form's own token is checked
# below, not by CSRFProtect before the view: a stale token (cookies cleared, another browser)
# must not throw away the longest form of the service, only ask for one more press.
@bp.route("/terms")
def terms():
    """The terms of use the application form asks the applicant to agree to."""
    path = current_app.config.get("TERMS_FILE")
    # Read on each request: an operator's new text shows without a restart, and a page
    # read a few times a day costs nothing. A file that cannot be read is the operator's
    # error, shown to them in the log; the applicant gets the built-in text, not a 500.
    operator_terms = None
    if path:
        try:
            with open(path, encoding="utf-8") as text:
                operator_terms = Markup(text.read())
        except (OSError, UnicodeDecodeError):
            current_app.logger.exception("TERMS_FILE %s cannot be read; showing the built-in terms", path)
    return render_page("registration/terms.html", operator_terms=operator_terms)


@bp.route("/apply/<token>", methods=["GET", "POST"])
@csrf.exempt
@never_stored
def apply(token):
    """The application form; every post saves the draft, valid or not."""
    try:
        hq, email, issued_at = read_application_token(token)
    except LinkExpired:
        return render_page("registration/link_problem.html", expired=True, status=410)
    except LinkInvalid:
        return render_page("registration/link_problem.html", expired=False, status=404)
    application = Application.for_link(hq, email, issued_at)
    if application.status != "draft":
        return render_page("registration/submitted.html", application=application)
    if request.method == "GET":
        form = ApplicationForm(formdata=MultiDict(application.draft))
        return render_page("registration/apply.html", form=form, application=application,
                           saved=request.args.get("saved"))
    form = ApplicationForm()
    valid = form.validate()
    if "csrf_token" in form.errors:
        # Only this message on the page: the answers are not checked until they are really sent.
        for field in form:
            field.errors = []
        form.form_errors.append(STALE_FORM)
        return render_page("registration/apply.html", form=form, application=application, status=400)
    fields = {name: value for name, value in request.form.items() if name in form and name != "csrf_token"}
    saving = request.form.get("action") == "save"
    if saving or not valid:
        if not applications.save_draft(application, fields):
            # Sent meanwhile (another tab, a double press): what was sent stands, and says so.
            return redirect(url_for(".apply", token=token), 303)
        if saving:
            return redirect(url_for(".apply", token=token, saved=1, _anchor="saved"), 303)
        return render_page("registration/apply.html", form=form, application=application, status=400)
    applications.submit(application, fields)  # sent now, or already: the page shows it sent
    return redirect(url_for(".apply", token=token), 303)


@bp.route("/activate/<token>", methods=["GET", "POST"])
def activate(token):
    """Choose the password; this device stays logged in."""
    try:
        resident = applications.activation_for(token).resident
    except applications.ActivationFailed:
        return _activation_failed(token)
    form = ActivationForm()
    if form.validate_on_submit():
        try:
            resident = applications.activate(token, form.password.data)
        except applications.ActivationFailed:
            return _activation_failed(token)
        log_in(resident)
        return redirect(url_for("report.start"), 303)
    status = 400 if request.method == "POST" else 200
    return render_page("registration/activate.html", form=form, resident=resident, status=status)


def _activation_failed(token):
    """The link cannot be used; but on the phone it set up, the resident is simply let in."""
    resident = current_resident()
    if resident is not None and resident == applications.used_by(token):
        # A second tap of the button, or the mail's link opened again: the password is set
        # and this phone is logged in, so "this link cannot be used" would only alarm.
        return redirect(url_for("report.start"), 303)
    return render_page("registration/link_problem.html", activation=True,
                       replaced=applications.replaced(token), status=410)


@bp.get("/mailbox")
def mailbox():
    """The demo's outbox, for deployments without a relay (MAILBOX_PAGE)."""
    if not current_app.config["MAILBOX_PAGE"]:
        abort(404)
    mails = OutgoingMail.select().order_by(OutgoingMail.id.desc()).limit(50)
    return render_page("registration/mailbox.html", mails=mails)

