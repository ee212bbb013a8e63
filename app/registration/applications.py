"""The life of an application: draft, submission, the HQ's decision, activation (SPEC §7.3-7.5)."""
import hashlib
import secrets

from flask import current_app
from peewee import IntegrityError

from ..auth import hash_password
from ..mail.outbox import send_mail, send_now, store_mail
from ..models import ActivationToken, Application, AuditEntry, FrequentPlace, Resident, utcnow, write_transaction
from .forms import FREQUENT_PLACE_SLOTS, degrees, typed_date
from .links import external_url

# A password no Argon2 hash can match: the resident cannot log in before activation.
UNUSABLE_PASSWORD = "!"


class ActivationFailed(Exception):
    """An activation link that is unknown, used already or expired."""


def save_draft(application, fields):
    """Keep what the applicant typed, valid or not; False if it was sent meanwhile (kept as sent)."""
    return _while_a_draft(application, draft=fields, updated_at=utcnow())


def submit(application, fields):
    """Send the application to the HQ for review and tell the applicant it arrived.

    False if it was sent meanwhile (a second tab, a double press): one application, one mail.
    """
    now = utcnow()
    if not _while_a_draft(application, draft=fields, status="submitted", submitted_at=now, updated_at=now):
        return False
    send_mail(application.email, "application_received", hq=application.hq)
    return True


def _while_a_draft(application, **values):
    """Write ``values`` if the application is still a draft, in the database as it is now.

    Not a whole-row save of the copy read when the request began: a save from another tab,
    posted as the application is sent, would put it back to a draft, out of the HQ's list
    (and after a decision, undo it).
    """
    if not (Application.update(**values)
            .where((Application.id == application.id) & (Application.status == "draft")).execute()):
        return False
    for name, value in values.items():
        setattr(application, name, value)
    return True


def pending(hq):
    """Submitted applications of ``hq``, oldest first."""
    return (Application.select()
            .where((Application.hq == hq) & (Application.status == "submitted"))
            .order_by(Application.submitted_at))


def approve(application, by=None):
    """Create the resident (not yet active) and mail the login ID and a one-time activation link.

    Returns the resident, or None when the application was decided already (two clicks, two admins).
    ``by`` is the administrator deciding, for the audit log.
    """
    with write_transaction():
        if not _decide(application, "approved", by=by):
            return None
        resident = Resident.create(login=_new_login(application.hq), password_hash=UNUSABLE_PASSWORD,
                                   hq=application.hq, status="pending", email=application.email,
                                   **profile_fields(application.draft))
        for position, place in enumerate(frequent_places(application.draft), start=1):
            FrequentPlace.create(resident=resident, position=position, **place)
        application.resident = resident
        application.save()
        link = activation_link(resident)
        # With the decision: an approval is never kept without its mail, the only way in.
        mail = store_mail(application.email, "approved", hq=application.hq, resident=resident, link=link,
                          days=current_app.config["ACTIVATION_LINK_MAX_AGE"].days)
    send_now(mail)
    return resident


def reject(application, reason, by=None):
    """Close the application and mail the applicant the HQ's reason; False if decided already."""
    with write_transaction():
        if not _decide(application, "rejected", reason=reason, by=by):
            return False
        mail = store_mail(application.email, "rejected", hq=application.hq, reason=reason)
    send_now(mail)
    return True


def _decide(application, status, reason="", by=None):
    """Move a submitted application to ``status`` (audited as ``by``'s); False if someone decided it first."""
    now = utcnow()
    claimed = (Application.update(status=status, reason=reason, decided_at=now)
               .where((Application.id == application.id) & (Application.status == "submitted"))
               .execute())
    if claimed:
        application.status, application.reason, application.decided_at = status, reason, now
        if by is not None:
            AuditEntry.record(f"application_{status}", staff=by, application=application.id)
    return bool(claimed)


def activation_link(resident):
    """A fresh one-time activation link for ``resident``."""
    token = secrets.token_urlsafe(32)
    ActivationToken.create(token_hash=_digest(token), resident=resident,
                           expires_at=utcnow() + current_app.config["ACTIVATION_LINK_MAX_AGE"])
    return external_url("registration.activate", token=token)


def activation_for(token):
    """The unused, unexpired activation of ``token``, or raise ActivationFailed."""
    activation = ActivationToken.get_or_none(ActivationToken.token_hash == _digest(token))
    if activation is None or activation.used_at is not None or activation.expires_at <= utcnow():
        raise ActivationFailed
    return activation


def used_by(token):
    """The resident whose activation link ``token`` was, once it has been used; else None."""
    activation = ActivationToken.get_or_none(ActivationToken.token_hash == _digest(token))
    return activation.resident if activation is not None and activation.used_at is not None else None


def replaced(token):
    """Whether ``token`` is an unused link of a resident not yet activated, replaced by a newer link."""
    activation = ActivationToken.get_or_none(ActivationToken.token_hash == _digest(token))
    return (activation is not None and activation.used_at is None and activation.resident.status == "pending"
            and ActivationToken.select().where((ActivationToken.resident == activation.resident_id)
                                               & (ActivationToken.id > activation.id)).exists())


def activate(token, password):
    """Set the password, make the account active and spend the token; return the resident."""
    with write_transaction():
        activation = activation_for(token)
        now = utcnow()
        # Checked again in the write: a link replaced by a resend a moment ago no longer works.
        used = (ActivationToken.update(used_at=now)
                .where((ActivationToken.id == activation.id) & ActivationToken.used_at.is_null()
                       & (ActivationToken.expires_at > now))
                .execute())
        if not used:
            raise ActivationFailed
        resident = activation.resident
        resident.password_hash = hash_password(password)
        resident.status = "active"
        resident.save()
    return resident


def profile_fields(draft):
    """The Resident fields of a submitted (hence valid) application draft."""
    contact = {"name": draft.get("contact_name", ""), "relation": draft.get("contact_relation", ""),
               "phone": draft.get("contact_phone", ""), "consent": bool(draft.get("contact_consent"))}
    return {
        "name": draft["name"], "name_kana": draft.get("name_kana", ""),
        # As typed (1985/04/01 too): the draft keeps the applicant's own text.
        "birth_date": typed_date(draft["birth_date"]), "sex": draft.get("sex", ""),
        "address": draft.get("address", ""), "phone": draft.get("phone", ""),
        "fax": draft.get("fax", ""), "disability_type": draft.get("disability_type", ""),
        "disability_proof": draft.get("disability_proof", ""),
        "medical_history": draft.get("medical_history", ""),
        "medication": draft.get("medication", ""),
        "emergency_contacts": [contact] if contact["name"] else [],
    }


def frequent_places(draft):
    """The frequent places filled in on the form, as FrequentPlace fields."""
    return [place for slot in range(1, FREQUENT_PLACE_SLOTS + 1) if (place := _place_in(draft, slot))]


def save_frequent_places(resident, fields):
    """Make the resident's places those of the (valid) form ``fields``, slot n at position n."""
    with write_transaction():
        rows = {place.position: place for place in resident.places}
        for slot in range(1, FREQUENT_PLACE_SLOTS + 1):
            place, row = _place_in(fields, slot), rows.get(slot)
            if place and row:
                # Updated, not replaced: a start page open elsewhere still names this place by its id.
                FrequentPlace.update(**place).where(FrequentPlace.id == row.id).execute()
            elif place:
                FrequentPlace.create(resident=resident, position=slot, **place)
            elif row:
                row.delete_instance()


def place_form_data(resident):
    """The resident's places as the form's fields, slot n from position n."""
    data = {}
    for place in resident.places:
        data.update({f"place{place.position}_label": place.label, f"place{place.position}_address": place.address,
                     f"place{place.position}_lat": "" if place.lat is None else f"{place.lat:.5f}",
                     f"place{place.position}_lon": "" if place.lon is None else f"{place.lon:.5f}"})
    return data


def _place_in(fields, slot):
    """FrequentPlace fields of form slot ``slot``, or None when it is empty."""
    label = (fields.get(f"place{slot}_label") or "").strip()
    address = (fields.get(f"place{slot}_address") or "").strip()
    lat, lon = (fields.get(f"place{slot}_lat") or "").strip(), (fields.get(f"place{slot}_lon") or "").strip()
    if not (label or address):
        return None
    return {"label": label or address, "address": address,
            "lat": degrees(lat) if lat else None, "lon": degrees(lon) if lon else None}


def _new_login(hq):
    """A login ID not taken yet: the HQ code and six digits, easy to read out and type."""
    for _ in range(20):
        login = f"{hq.code}-{secrets.randbelow(10**6):06d}"
        if not Resident.select().where(Resident.login == login).exists():
            return login
    raise IntegrityError("no free login ID")


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()
