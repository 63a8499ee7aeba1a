"""A service's refusal reaches the person as the page's error message, on
the page of the object they acted on."""

from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.http import HttpResponse
from django.test import RequestFactory

from imports.page_refusals import refusal_shown_on
from imports.services import ActionRefused


def _request():
    request = RequestFactory().post("/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def test_a_refusal_becomes_the_error_message_and_goes_back_to_the_objects_page():
    @refusal_shown_on("imports:detail")
    def act(request, pk):
        raise ActionRefused("This import was already confirmed or cancelled.")

    request = _request()
    response = act(request, "8d6f5c3e-0c1b-4b8e-9a55-3f1d1e2a7b90")

    assert response.status_code == 302
    assert response["Location"] == "/imports/8d6f5c3e-0c1b-4b8e-9a55-3f1d1e2a7b90/"
    assert [(m.level_tag, m.message) for m in get_messages(request)] == [
        ("error", "This import was already confirmed or cancelled.")
    ]


def test_an_action_that_is_not_refused_answers_as_it_chose():
    @refusal_shown_on("imports:detail")
    def act(request, pk):
        return HttpResponse("done")

    request = _request()

    assert act(request, "8d6f5c3e-0c1b-4b8e-9a55-3f1d1e2a7b90").content == b"done"
    assert list(get_messages(request)) == []
