"""Which HQ a device's position suggests on /register: the routing of reports, told in plain words."""
from dataclasses import dataclass

from .. import routing
from ..forms import bilingual
from ..jurisdictions import DatabaseDirectory
from ..models import Headquarters
from ..reporting import parse_fix


@dataclass(frozen=True)
class Suggestion:
    """The HQ to preselect (None when there is none to offer) and what to tell the applicant."""

    hq: Headquarters | None
    message: str


def suggest_hq(lat, lon):
    """The HQ for the position in ``lat``/``lon`` (form text); reporting.InvalidInput when they are not one."""
    fix = parse_fix(lat, lon)
    if fix is None:
        return None
    municipality = routing.locate(fix.lat, fix.lon)
    ref = municipality and routing.jurisdiction_hq(DatabaseDirectory(), municipality.code)
    if ref is None:
        return Suggestion(None, bilingual(
            "現在地から消防本部がわかりませんでした。一覧から選んでください。",
            "No fire headquarters was found for where you are. Choose one from the list."))
    hq = Headquarters.get(Headquarters.code == ref.code)
    if not hq.uses_service:
        return Suggestion(None, bilingual(
            f"現在地（{municipality.name}）の{hq.name}は、まだNET119を受け付けていません。"
            "働いている、または通学している地域の消防本部を一覧から選んでください。",
            f"{hq.name} ({municipality.name_en}) does not take NET119 yet. "
            "Choose the headquarters where you work or study."))
    return Suggestion(hq, bilingual(
        f"現在地（{municipality.name}）から「{hq.name}」を選びました。違うときは一覧から選び直してください。",
        f"Chosen from where you are ({municipality.name_en}): {hq.name}. Change it if it is wrong."))
