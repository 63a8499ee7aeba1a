from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from imports.api.views import api
from imports.views import healthz

admin.site.site_header = "Schedule import portal: administration"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("", include("imports.urls")),
]
