"""A small cookie-keeping HTTP client for tests against the live server."""
import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

from .conftest import CHITOSE_CITY_HALL, CSRF, CLIENT_ID


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class HttpSession:
    """Browser-like: keeps cookies, reads CSRF tokens from forms, does not follow redirects."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def request(self, path, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base_url + path, data=body, timeout=10) as answer:
                return answer.status, answer.headers, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()

    def form(self, path):
        """The CSRF token and client id of the form on ``path``."""
        _, _, text = self.request(path)
        client_id = CLIENT_ID.search(text)
        return {"csrf_token": CSRF.search(text).group(1), "client_id": client_id and client_id.group(1)}

    def login(self, account, path="/login"):
        status, _, text = self.request(path, {"csrf_token": self.form(path)["csrf_token"],
                                              "login": account["login"], "password": account["password"]})
        assert status == 303, text
        return self

    def cookie_header(self):
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def start_report(self, kind="fire", place="current"):
        """Create a report; return its case number."""
        fields = self.form(f"/?kind={kind}")
        status, headers, text = self.request("/reports", {**fields, "kind": kind, "place": place,
                                                          **CHITOSE_CITY_HALL})
        assert status == 303, text
        return headers["Location"].rsplit("/", 1)[1]

    def report_id(self, case_number):
        """The console id of a case, read from the dispatcher's queue."""
        _, _, text = self.request("/dispatch/")
        match = re.search(r'href="/dispatch/cases/(\d+)">\s*<strong>[^<]+</strong>\s*<span>' + case_number, text)
        return int(match.group(1))
