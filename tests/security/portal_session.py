"""A signed-in person talking to a running portal over real HTTP, optionally
as the production proxy would relay them (X-Forwarded-Proto: https and the
address the proxy saw in X-Forwarded-For)."""

from __future__ import annotations

import re

import requests

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class PortalSession(requests.Session):
    def __init__(self, url: str, *, behind_proxy: bool = False, client_address: str | None = None):
        super().__init__()
        self.url = url
        self.pages: list[str] = []
        self.behind_proxy = behind_proxy
        if behind_proxy:
            self.headers["X-Forwarded-Proto"] = "https"
            # What a browser sends on a POST; Django compares it with the HTTPS origin it is served at.
            self.headers["Origin"] = "https://" + url.split("://", 1)[1]
        if client_address:
            self.headers["X-Forwarded-For"] = client_address

    def request(self, method, path, *args, **kwargs):
        kwargs["allow_redirects"] = False
        kwargs.setdefault("timeout", 30)
        if self.behind_proxy:
            # The hop from the proxy to gunicorn is plain HTTP, but the
            # browser's side is HTTPS, so its Secure cookies do come back.
            kwargs["cookies"] = {cookie.name: cookie.value for cookie in self.cookies}
        response = super().request(method, path if path.startswith("http") else self.url + path, *args, **kwargs)
        self.pages.append(response.text if "text" in response.headers.get("Content-Type", "") else "")
        return response

    def csrf_token(self, path: str) -> str:
        return CSRF_FIELD.search(self.get(path).text).group(1)

    def post_form(self, path: str, data: dict | None = None, *, form_page: str | None = None, **kwargs):
        token = self.csrf_token(form_page or path)
        return self.post(path, data={"csrfmiddlewaretoken": token, **(data or {})}, **kwargs)

    def sign_in(self, username: str, password: str) -> requests.Response:
        return self.post_form("/login/", {"username": username, "password": password})
