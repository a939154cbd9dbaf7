"""Pages of the key projects register (重点项目) and the major tasks (攻坚战)."""

from django.urls import path

from kaohe.projects.views import offensives, register

app_name = "projects"

urlpatterns = [
    # the register
    path("", register.project_list, name="list"),
    path("map/", register.project_map, name="map"),
    path("new/", register.project_create, name="create"),
    path("import/", register.project_import, name="import"),
    path("import/template.xlsx", register.import_template, name="import_template"),
    path("check/", register.schedule_check, name="check"),
    path("<int:pk>/", register.project_detail, name="detail"),
    path("<int:pk>/edit/", register.project_edit, name="edit"),
    path("<int:pk>/report/", register.report_progress, name="report"),
    path("evidence/<int:pk>/", register.evidence_file, name="evidence"),
    # the major tasks
    path("tasks/", offensives.board, name="board"),
    path("tasks/mine/", offensives.my_tasks, name="my_tasks"),
    path("tasks/new/", offensives.offensive_create, name="offensive_create"),
    path("tasks/<int:pk>/", offensives.offensive_detail, name="offensive"),
    path("tasks/milestones/<int:pk>/report/", offensives.milestone_report, name="milestone_report"),
    path("tasks/reports/<int:pk>/decide/", offensives.milestone_decide, name="milestone_decide"),
    path("tasks/evidence/<int:pk>/", offensives.milestone_evidence, name="milestone_evidence"),
]
