from django.urls import include, path

app_name = "sampling"
urlpatterns = [
    path("", include("sampling.urls_plans")),
    path("", include("sampling.urls_draws")),
    path("", include("sampling.urls_filings")),
]
