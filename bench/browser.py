"""A small HTTP client that signs in and fills forms like a person's browser (cookies, CSRF tokens).

Only the standard library: each ``Browser`` keeps one keep-alive connection and its cookies,
follows no redirects (they are returned, to be checked), and reconnects after a dropped connection.
"""
import http.client
import re
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


class Response:
    def __init__(self, status, headers, body, seconds):
        self.status, self.headers, self.body, self.seconds = status, headers, body, seconds

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    @property
    def location(self):
        return self.headers.get("location", "")


class Browser:
    def __init__(self, base_url, timeout=30):
        parts = urlsplit(base_url)
        self.host, self.port, self.timeout = parts.hostname, parts.port or 80, timeout
        self.cookies = {}
        self._connection = None

    def _connect(self):
        if self._connection is None:
            self._connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._connection

    def close(self):
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def request(self, method, path, form=None):
        """One request; a connection error is raised as ``ConnectionError`` after closing the connection."""
        headers = {"Host": f"{self.host}:{self.port}", "Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        try:
            connection = self._connect()
            connection.request(method, path, body=body, headers=headers)
            raw = connection.getresponse()
            data = raw.read()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            raise ConnectionError(f"{method} {path}: {error!r}") from error
        seconds = time.perf_counter() - start
        received = {k.lower(): v for k, v in raw.getheaders()}
        for header in raw.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or "1970" in (morsel["expires"] or ""):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if received.get("connection", "").lower() == "close":
            self.close()
        return Response(raw.status, received, data, seconds)

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, form):
        return self.request("POST", path, form)

    def submit(self, page_path, action, form, page=None):
        """Open the page holding a form, then post it with the page's CSRF token."""
        page = page or self.get(page_path)
        match = CSRF.search(page.text)
        token = (match.group(1) or match.group(2)) if match else ""
        return self.post(action, {**form, "csrf_token": token})

    def login(self, email, password):
        response = self.submit("/login", "/login", {"email": email, "password": password})
        if response.status != 302:
            raise RuntimeError(f"could not sign in as {email}: {response.status}")
        return response
