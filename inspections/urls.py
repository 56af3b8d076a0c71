"""The inspection pages: the list (an inspector's own, a department's, an office's joint ones),
the inspection itself with its check form, evidence and signature, the review, corrections, and
the follow-up (后续处置)."""

from django.urls import include, path

from .views import combined, fill, handling, lists, panels, review

app_name = "inspections"

urlpatterns = [
    path("", lists.inspection_list, name="list"),
    path("mine/", lists.my_inspection_list, name="mine"),
    path("dispatches/<int:pk>/confirm/", lists.dispatch_confirm, name="dispatch_confirm"),
    path("<int:pk>/", fill.inspection_detail, name="detail"),
    path("<int:pk>/confirm/", fill.inspection_confirm, name="confirm"),
    path("<int:pk>/save/", fill.inspection_save, name="save"),
    path("<int:pk>/evidence/", fill.evidence_add, name="evidence_add"),
    path("<int:pk>/evidence/<int:evidence>/", fill.evidence_file, name="evidence_file"),
    path("<int:pk>/evidence/<int:evidence>/display/", fill.evidence_display, name="evidence_display"),
    path("<int:pk>/evidence/<int:evidence>/withdraw/", fill.evidence_withdraw, name="evidence_withdraw"),
    path("<int:pk>/signature/", fill.signature_upload, name="signature"),
    path("<int:pk>/conflicts/<int:conflict>/resolve/", fill.conflict_resolve, name="conflict_resolve"),
    path("<int:pk>/submit/", review.inspection_submit, name="submit"),
    path("<int:pk>/review/", review.inspection_review, name="review"),
    path("<int:pk>/correct/", review.inspection_correct, name="correct"),
    path("<int:pk>/handlings/new/", handling.handling_add, name="handling_add"),
    path("handlings/", handling.handling_list, name="handling_list"),
    path("handlings/<int:pk>/", handling.handling_detail, name="handling_detail"),
    path("handlings/<int:pk>/update/", handling.handling_update, name="handling_update"),
    path("handlings/<int:pk>/close/", handling.handling_close, name="handling_close"),
    # The office's dashboard panel: 综合查一次 and this year's inspections per firm.
    path("panels/visits/", panels.panel_visits, name="panel_visits"),
    # 综合查一次: an offer accepted as one visit, the list, one combined visit and its record.
    path("combined/", combined.combined_list, name="combined_list"),
    path("combined/offers/<int:entity>/", combined.combined_accept, name="combined_accept"),
    path("combined/<int:pk>/", combined.combined_detail, name="combined_detail"),
    path("combined/<int:pk>/cancel/", combined.combined_cancel, name="combined_cancel"),
    path("combined/<int:pk>/record/", combined.combined_record, name="combined_record"),
    path("combined/<int:pk>/record.pdf", combined.combined_record_pdf, name="combined_record_pdf"),
    # The 检查记录表, the 检查结果告知书 and a task's records as one zip (inspections.documents).
    path("", include("inspections.documents.urls")),
]
