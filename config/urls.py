from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from common.views import favicon, healthz

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="incidents:incident-list"), name="home"),
    path("", include("incidents.urls")),
    path("", include("learnings.urls")),
    path("accounts/", include("accounts.urls")),
    path("api/v1/", include("api.urls")),
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
]
