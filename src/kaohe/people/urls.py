"""Pages of assessing people (考人)."""

from django.urls import path

from kaohe.people import views

app_name = "people"

urlpatterns = [
    path("", views.home, name="home"),
    path("runs/", views.start_run, name="start_run"),
    path("rule/<int:year>/", views.rule, name="rule"),
    path("gradings/<int:pk>/", views.grading, name="grading"),
    path("gradings/<int:pk>/return/", views.return_grading, name="return"),
    path("gradings/<int:pk>/upward/", views.upward_create, name="upward_create"),
    path("upward/<int:pk>/feed/", views.upward_feed, name="upward_feed"),
    path("gradings/<int:pk>/reward/", views.pool, name="pool"),
    path("gradings/<int:pk>/reward.xlsx", views.pool_export, name="pool_export"),
    path("people/<slug:code>/", views.record, name="record"),
    path("mine/", views.mine, name="mine"),
    path("flags/", views.flags, name="flags"),
    path("ratings/<int:year>/", views.ratings, name="ratings"),
    path("ratings/<int:year>/template.xlsx", views.ratings_template_view, name="ratings_template"),
]
