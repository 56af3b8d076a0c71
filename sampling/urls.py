"""Every URL of sampling (namespace "sampling"): plans and tasks, the draw ceremony, recusals and
replacements, filings (备案)."""

from django.urls import path

from sampling.views import draws, filings, plans, recusals

app_name = "sampling"
urlpatterns = [
    # Annual plans and their tasks (batches).
    path("plans/", plans.plan_list, name="plan_list"),
    path("plans/new/", plans.plan_create, name="plan_create"),
    path("plans/<int:pk>/", plans.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", plans.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/adjust/", plans.plan_adjust, name="plan_adjust"),
    path("plans/<int:pk>/submit/", plans.plan_submit, name="plan_submit"),
    path("plans/<int:pk>/approve/", plans.plan_approve, name="plan_approve"),
    path("plans/<int:pk>/return/", plans.plan_return, name="plan_return"),
    path("plans/<int:pk>/publish/", plans.plan_publish, name="plan_publish"),
    path("plans/<int:plan_pk>/tasks/new/", plans.task_create, name="task_create"),
    path("tasks/", plans.task_list, name="task_list"),
    path("tasks/<int:pk>/", plans.task_detail, name="task_detail"),
    path("tasks/<int:pk>/edit/", plans.task_edit, name="task_edit"),
    path("tasks/<int:pk>/ready/", plans.task_ready, name="task_ready"),
    path("tasks/<int:pk>/cancel/", plans.task_cancel, name="task_cancel"),
    # The draw ceremony, its results and verification, background draws.
    path("tasks/<int:pk>/draw/", draws.draw_start, name="draw_start"),
    path("tasks/<int:pk>/draw/commit/", draws.draw_commit, name="draw_commit"),
    path("plans/<int:pk>/draw-all/", draws.draw_plan_all, name="draw_plan_all"),
    path("draws/<int:pk>/", draws.draw_detail, name="draw_detail"),
    path("draws/<int:pk>/execute/", draws.draw_execute, name="draw_execute"),
    path("draws/<int:pk>/abandon/", draws.draw_abandon, name="draw_abandon"),
    path("draws/<int:pk>/verify/", draws.draw_verify, name="draw_verify"),
    path("draws/<int:pk>/record.json", draws.draw_record, name="draw_record"),
    path("draws/<int:pk>/targets.xlsx", draws.draw_targets_xlsx, name="draw_targets_xlsx"),
    path("draw-jobs/<int:pk>/", draws.draw_progress, name="draw_progress"),
    # Recusals (回避) with substitutes, and target replacements from the reserve.
    path("draws/<int:pk>/recusal/", recusals.recusal_request, name="recusal_request"),
    path("draws/<int:pk>/replace/", recusals.replacement_create, name="replacement_create"),
    path("recusals/", recusals.recusal_list, name="recusal_list"),
    path("recusals/<int:pk>/", recusals.recusal_decide, name="recusal_decide"),
    path("recusals/attachments/<int:pk>/", recusals.recusal_attachment, name="recusal_attachment"),
    # Filings (备案) with the leading-group office.
    path("filings/", filings.filing_list, name="filing_list"),
    path("filings/<int:pk>/", filings.filing_detail, name="filing_detail"),
    path("filings/<int:pk>/decide/", filings.filing_decide, name="filing_decide"),
    path("filings/<int:pk>/resubmit/", filings.filing_resubmit, name="filing_resubmit"),
    path("filings/<int:pk>/pdf/", filings.filing_pdf, name="filing_pdf"),
    path("filings/<int:pk>/annex/", filings.filing_annex, name="filing_annex"),
    path("filings/<int:pk>/attachments/", filings.filing_attach, name="filing_attach"),
    path("filings/attachments/<int:pk>/", filings.filing_attachment, name="filing_attachment"),
    path("filings/<int:pk>/preview/", filings.filing_preview, name="filing_preview"),
    path("filings/<int:pk>/record/", filings.filing_record, name="filing_record"),
    path("draws/<int:pk>/file/", filings.filing_submit, name="filing_submit"),
]
