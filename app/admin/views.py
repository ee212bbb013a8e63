"""The administrator's overview of their HQ."""
from ..auth import current_staff, staff_required
from ..models import Resident, Staff
from ..pages import render_page
from . import bp


@bp.get("/")
@staff_required("admin")
def index():
    """The HQ's jurisdiction, staff and residents (read-only for now)."""
    hq = current_staff().hq
    return render_page("admin/index.html", hq=hq,
                       jurisdictions=list(hq.jurisdictions.order_by("municipality_code")),
                       staff=list(Staff.select().where(Staff.hq == hq).order_by(Staff.login)),
                       resident_count=Resident.select().where(Resident.hq == hq).count())
