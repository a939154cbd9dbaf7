"""The respondent's pages (no sign-in), under /s/: short, to type from a code sheet."""

from django.urls import path

from kaohe.surveys.views import answer

app_name = "answer"

urlpatterns: list = [
    path("", answer.enter, name="enter"),
    path("c/<str:code>/", answer.by_code, name="code"),
    path("l/<str:token>/", answer.by_link, name="link"),
    path("thanks/", answer.thanks, name="thanks"),
]
