"""The sign-in page: the identity provider's button when single sign-on is
set up, and the password form unless local passwords are turned off."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponseForbidden
from django.shortcuts import redirect
from django.urls import reverse


class SignInView(auth_views.LoginView):
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            sso=settings.OIDC_ENABLED,
            sso_name=settings.OIDC_PROVIDER_NAME,
            sso_failed=self.request.GET.get("sso") == "failed",
            local_passwords=settings.LOCAL_PASSWORDS,
        )
        return context

    def post(self, request, *args, **kwargs):
        if not settings.LOCAL_PASSWORDS:
            return HttpResponseForbidden(
                f"Passwords are turned off on this portal: sign in with {settings.OIDC_PROVIDER_NAME}."
            )
        return super().post(request, *args, **kwargs)


def admin_sign_in(request, extra_context=None):
    """With single sign-on, the admin signs in on the portal's page too, so
    that the provider's button, and LOCAL_PASSWORDS=false, hold there."""
    if settings.OIDC_ENABLED:
        query = request.GET.urlencode()
        return redirect(reverse("login") + (f"?{query}" if query else ""))
    return admin.site.login(request, extra_context)
