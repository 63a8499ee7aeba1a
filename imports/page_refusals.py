"""The one way a service's refusal reaches a person in the HTML views: the
reason as the page's error message, and back to the page they acted from.
(The API's way is its problem+json handler, imports.api.problems.)"""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from imports.refusals import ActionRefused


def refusal_shown_on(url_name: str) -> Callable:
    """A view acting on one object (its `pk`) whose refusals go back to
    `url_name` for that object, said as the page's error message."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def shown(request: HttpRequest, pk, *args, **kwargs) -> HttpResponse:
            try:
                return view(request, pk, *args, **kwargs)
            except ActionRefused as refusal:
                messages.error(request, str(refusal))
                return redirect(url_name, pk=pk)

        return shown

    return decorate
