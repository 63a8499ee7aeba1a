"""Every error the API gives, as `application/problem+json` (RFC 9457):
`type`, `title`, `status`, `detail`, and `errors` for the fields at fault;
never an HTML page and never a traceback.

`Problem` is raised by the API's code; the handlers registered on the API turn
it and ninja's own errors into answers, and `ProblemMiddleware` does the same
for whatever Django answers under /api/ before the API is reached (an unknown
path, a method not allowed, a crash).
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja.errors import AuthenticationError, HttpError, ValidationError

from imports.refusals import ActionRefused

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
API_PREFIX = "/api/"


class Problem(Exception):
    def __init__(
        self,
        status: int,
        detail: str,
        *,
        code: str = "",
        title: str = "",
        errors: list[dict] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code
        self.title = title or HTTPStatus(status).phrase
        self.errors = errors
        self.headers = headers or {}


def response(problem: Problem) -> HttpResponse:
    body = {"type": "about:blank", "title": problem.title, "status": problem.status, "detail": problem.detail}
    if problem.code:
        body["code"] = problem.code
    if problem.errors is not None:
        body["errors"] = problem.errors
    answer = HttpResponse(json.dumps(body), status=problem.status, content_type=MEDIA_TYPE)
    for name, value in problem.headers.items():
        answer[name] = value
    return answer


def _where(error: dict) -> str:
    location = [str(part) for part in error.get("loc", ())]
    if location and location[0] in ("body", "form", "file", "query", "path", "header"):
        location = location[1:]
    # ninja names the whole form or body after the view's argument first.
    if len(location) > 1 and location[0] in ("form", "payload", "body", "data"):
        location = location[1:]
    return ".".join(location)


def field_errors(exc: ValidationError) -> list[dict]:
    return [
        {
            "field": _where(error),
            "in": str(error.get("loc", ("body",))[0]),
            "message": error.get("msg", "is not valid"),
        }
        for error in exc.errors
    ]


def install(api) -> None:
    """Registers the handlers that answer every error as a problem."""

    @api.exception_handler(Problem)
    def _problem(request, exc: Problem):
        return response(exc)

    @api.exception_handler(ActionRefused)
    def _refused(request, exc: ActionRefused):
        # What a person would read on the page, answered as a conflict with
        # the import's state: the same refusal, one service, two ways.
        return response(Problem(409, str(exc), code="not_allowed_now"))

    @api.exception_handler(ValidationError)
    def _invalid(request, exc: ValidationError):
        errors = field_errors(exc)
        named = ", ".join(sorted({e["field"] for e in errors if e["field"]})) or "the request"
        return response(
            Problem(
                422,
                f"Some fields are missing or not valid: {named}. See errors.",
                code="invalid_request",
                errors=errors,
            )
        )

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc: AuthenticationError):
        return response(
            Problem(
                401,
                "Send a valid API key as `Authorization: Bearer <key>`. An admin makes one under API keys; "
                "a revoked or expired key is refused.",
                code="unauthenticated",
                headers={"WWW-Authenticate": 'Bearer realm="api"'},
            )
        )

    @api.exception_handler(HttpError)
    def _http_error(request, exc: HttpError):
        return response(Problem(exc.status_code, str(exc)))

    @api.exception_handler(MultiPartParserError)
    def _unreadable_body(request, exc):
        return response(
            Problem(
                400,
                f"The body is not valid multipart/form-data ({exc}). Send the file as a form field named file.",
                code="unreadable_body",
            )
        )

    @api.exception_handler(SuspiciousOperation)
    def _refused_body(request, exc):
        return response(Problem(400, "The request was refused as malformed or too large.", code="refused"))

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return response(Problem(404, "Nothing is at this address for this key.", code="not_found"))

    @api.exception_handler(Exception)
    def _crash(request, exc):
        log.exception("The API failed on %s %s", request.method, request.path)
        return response(
            Problem(500, "The portal failed to answer this request; it was logged. Try again later.", code="failed")
        )


class ProblemMiddleware:
    """Under /api/, an error Django answered itself becomes a problem too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        answer = self.get_response(request)
        if (
            request.path.startswith(API_PREFIX)
            and answer.status_code >= 400
            and not answer.get("Content-Type", "").startswith(MEDIA_TYPE)
        ):
            status = answer.status_code
            detail = {
                404: "Nothing is at this address. The API's paths are listed at /api/v1/docs.",
                405: f"This address does not take {request.method}.",
            }.get(status, HTTPStatus(status).phrase + ".")
            replaced = response(Problem(status, detail))
            for name in ("Allow", "Retry-After", "WWW-Authenticate"):
                if answer.has_header(name):
                    replaced[name] = answer[name]
            return replaced
        return answer
