from django.contrib import admin
from django.urls import include, path

from common.views import favicon, healthz
from dashboards.views import home

urlpatterns = [
    path("", home, name="home"),
    path("", include("incidents.urls")),
    path("", include("learnings.urls")),
    path("", include("dashboards.urls")),
    path("accounts/", include("accounts.urls")),
    path("api/v1/", include("api.urls")),
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
]
