from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import include, path


@login_required
def signed_in(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("_bench/signed-in/", signed_in, name="bench_signed_in"),
    path("", include("portal.urls")),
]
