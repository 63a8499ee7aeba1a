"""How a page finds what a person asked for: only among what they may see.
Admins' pages answer 404, not 403, to the others: nobody learns what exists."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect

from imports import selectors
from imports.models import Import


def get_import_for_user(request, pk) -> Import:
    return get_object_or_404(
        selectors.imports_for(request.user).select_related("team", "connection", "uploaded_by"), pk=pk
    )


def require_admin(request) -> None:
    if not selectors.is_admin(request.user):
        raise Http404


def unless_checking(request, job: Import):
    """The pages of a file's rows have nothing to show until it is checked."""
    if job.is_checking:
        messages.info(request, "The file is still being checked; its rows are shown once the check is done.")
        return redirect("imports:detail", pk=job.pk)
    return None
