"""Filing (备案) pages, under the "sampling" namespace."""

from django.urls import path

from sampling.views import filings as views

urlpatterns = [
    path("filings/", views.filing_list, name="filing_list"),
    path("filings/<int:pk>/", views.filing_detail, name="filing_detail"),
    path("filings/<int:pk>/decide/", views.filing_decide, name="filing_decide"),
    path("filings/<int:pk>/resubmit/", views.filing_resubmit, name="filing_resubmit"),
    path("filings/<int:pk>/pdf/", views.filing_pdf, name="filing_pdf"),
    path("filings/<int:pk>/annex/", views.filing_annex, name="filing_annex"),
    path("filings/<int:pk>/attachments/", views.filing_attach, name="filing_attach"),
    path("filings/attachments/<int:pk>/", views.filing_attachment, name="filing_attachment"),
    path("filings/<int:pk>/preview/", views.filing_preview, name="filing_preview"),
    path("filings/<int:pk>/record/", views.filing_record, name="filing_record"),
    path("draws/<int:pk>/file/", views.filing_submit, name="filing_submit"),
]
