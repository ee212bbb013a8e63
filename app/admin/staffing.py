"""The HQ's staff accounts: an administrator creates dispatchers and administrators, and deactivates them."""
import re

from ..auth import end_sessions_of, hash_password
from ..models import STAFF_ROLES, AuditEntry, Staff, write_transaction
from ..reporting import InvalidInput

LOGIN = re.compile(r"^[a-z0-9][a-z0-9_-]{2,63}$")
MIN_PASSWORD = 12
ROLE_LABELS = {"dispatcher": "指令員", "admin": "管理者"}
assert set(ROLE_LABELS) == set(STAFF_ROLES)


def create(admin, *, login, name, role, password):
    """A new active staff account of the administrator's HQ."""
    login = (login or "").strip().lower()
    name = (name or "").strip()
    if not LOGIN.match(login):
        raise InvalidInput("login", "職員IDは英小文字・数字・- _ の3〜64文字にしてください。",
                           "Use 3 to 64 lowercase letters, digits, - or _ for the staff ID.")
    if not name or len(name) > 100:
        raise InvalidInput("name", "氏名を100文字以内で入力してください。", "Enter the name (at most 100 characters).")
    if role not in STAFF_ROLES:
        raise InvalidInput("role", "役割を選んでください。", "Choose the role.")
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= 256:
        raise InvalidInput("password", f"パスワードは{MIN_PASSWORD}文字以上にしてください。",
                           f"Use at least {MIN_PASSWORD} characters for the password.")
    with write_transaction():
        if Staff.select().where(Staff.login == login).exists():
            raise InvalidInput("login", "この職員IDはすでに使われています。", "This staff ID is already taken.")
        staff = Staff.create(login=login, name=name, role=role, hq=admin.hq,
                             password_hash=hash_password(password))
        AuditEntry.record("staff_create", staff=admin, login=login, role=role)
    return staff


def set_active(admin, staff, active):
    """Deactivate (every session ends at once) or reactivate a colleague's account."""
    if staff.id == admin.id:
        raise InvalidInput("staff", "自分のアカウントは停止できません。", "You cannot deactivate your own account.")
    if staff.active == active:
        return staff
    with write_transaction():
        staff.active = active
        staff.save()
        AuditEntry.record("staff_activate" if active else "staff_deactivate", staff=admin, login=staff.login)
    if not active:
        end_sessions_of(staff)
    return staff


def staff_of(hq, staff_id):
    """The HQ's staff member with this id, or None (whoever else's it may be)."""
    return Staff.get_or_none((Staff.id == staff_id) & (Staff.hq == hq))
