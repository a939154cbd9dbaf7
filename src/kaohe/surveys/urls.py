"""The office's and the units' survey pages (signed in), under /surveys/."""

from django.urls import path

from kaohe.surveys.views import office, results

app_name = "surveys"

urlpatterns: list = [
    # office: questionnaires, surveys, groups, quotas, codes, open/close, flagged responses
    path("", office.survey_list, name="list"),
    path("new/", office.survey_create, name="create"),
    path("<int:pk>/", office.survey_detail, name="detail"),
    path("<int:pk>/open/", office.survey_open, name="open"),
    path("<int:pk>/close/", office.survey_close, name="close"),
    path("<int:pk>/quotas/", office.survey_quota, name="quota"),
    path("<int:pk>/codes/", office.survey_codes, name="codes"),
    path("<int:pk>/link-qr.png", office.link_qr, name="link_qr"),
    path("<int:pk>/flagged/", office.flagged, name="flagged"),
    path("<int:pk>/flagged/<uuid:response>/review/", office.review, name="review"),
    path("batches/<int:pk>/codes.pdf", office.batch_pdf, name="batch_pdf"),
    path("batches/<int:pk>/qr-codes.zip", office.batch_zip, name="batch_zip"),
    path("batches/<int:pk>/job/", office.batch_job, name="batch_job"),
    path("codes/<str:code>.png", office.code_png, name="code_png"),
    path("questionnaires/", office.questionnaire_list, name="questionnaires"),
    path("questionnaires/<slug:code>/", office.questionnaire_detail, name="questionnaire"),
    path("questionnaires/<slug:code>/new/", office.builder, name="builder"),
    path("questionnaires/<slug:code>/new/yaml/", office.builder_yaml, name="builder_yaml"),
    path("questionnaires/<slug:code>/v<int:number>/", office.version_detail, name="version"),
    path(
        "questionnaires/<slug:code>/v<int:number>/preview/",
        office.version_preview,
        name="preview",
    ),
    # results: figures, Excel, comments → rectification, a unit's own results, the live screen
    path("results/", results.results_list, name="results_list"),
    path("<int:pk>/results/", results.survey_results, name="results"),
    path("<int:pk>/results/export.xlsx", results.results_export, name="results_export"),
    path("<int:pk>/units/<str:code>/", results.unit_results, name="unit_results"),
    path("comments/<int:pk>/rectify/", results.rectify_comment, name="rectify_comment"),
    path("<int:pk>/live/", results.live_screen, name="live"),
    path("<int:pk>/live/panel/", results.live_panel, name="live_panel"),
    path("<int:pk>/live/open/", results.live_open, name="live_open"),
    path("<int:pk>/live/close/", results.live_close, name="live_close"),
]
