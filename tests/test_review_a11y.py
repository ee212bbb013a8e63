"""What axe cannot see, checked on the rendered HTML: page titles, and the language of the
Japanese parts of bilingual text (review of the dynamic parts' accessibility)."""
import re

from tests.conftest import form_fields, login_as


def title_of(response):
    return re.search(r"<title>(.*?)</title>", response.text, re.S).group(1).strip()


def test_a_practice_page_with_errors_says_error_first(app, client):
    """GOV.UK puts 「エラー：」 first in the title: it is the first word a screen reader says."""
    login_as(client, app.accounts["residents"][0])
    page = client.get("/practice?kind=fire")
    refused = client.post("/practice/reports", data={**form_fields(page), "kind": "fire", "place": "nowhere"})
    assert refused.status_code == 400
    assert title_of(refused).startswith("エラー：練習中：")
    assert title_of(client.get("/practice?kind=fire")).startswith("練習中：")
