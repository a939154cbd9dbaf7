"""Pages of the goals app: portfolios, the review inboxes, versions, targets, notifications."""

from django.urls import path
from django.views.generic import RedirectView

from kaohe.goals import views

app_name = "goals"

urlpatterns = [
    # Portfolio pages live under portfolios/ so that the navigation marks them apart from the
    # inbox, the targets and the notifications.
    path("", RedirectView.as_view(pattern_name="goals:list", query_string=True), name="home"),
    path("portfolios/", views.goal_set_list, name="list"),
    path("portfolios/new/", views.goal_set_create, name="set_create"),
    path("portfolios/<int:pk>/", views.goal_set_detail, name="set_detail"),
    path("portfolios/<int:pk>/goals/add/", views.goal_add, name="goal_add"),
    path("portfolios/<int:pk>/submit/", views.goal_set_submit, name="set_submit"),
    path("portfolios/<int:pk>/decide/", views.goal_set_decide, name="set_decide"),
    path("portfolios/<int:pk>/compare/", views.goal_set_compare, name="set_compare"),
    path("portfolios/goals/<int:pk>/", views.goal_detail, name="goal_detail"),
    path("portfolios/goals/<int:pk>/edit/", views.goal_edit, name="goal_edit"),
    path("portfolios/goals/<int:pk>/remove/", views.goal_remove, name="goal_remove"),
    path("portfolios/goals/<int:pk>/decompose/", views.goal_decompose, name="goal_decompose"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/batch-approve/", views.batch_approve, name="batch_approve"),
    path("portfolios/rules/", views.rules, name="rules"),
    path("targets/", views.suggestion_list, name="suggestions"),
    path("targets/<slug:code>/", views.suggestion_unit, name="suggestion_unit"),
    path("targets/decide/<int:pk>/", views.suggestion_decide, name="suggestion_decide"),
    path("notifications/", views.notifications, name="notifications"),
]
