from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from imports.api.views import api
from portal import health, metrics, oidc
from portal.sign_in import SignInView, admin_sign_in

admin.site.site_header = "Schedule import portal: administration"

urlpatterns = [
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("oidc/authenticate/", oidc.SignInStart.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", oidc.SignInCallback.as_view(), name="oidc_authentication_callback"),
    path("admin/login/", admin_sign_in),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("", include("imports.notifications.urls")),
    path("api/v1/", api.urls),
    path("", include("imports.urls")),
]
