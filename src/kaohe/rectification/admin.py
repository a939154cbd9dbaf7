from django.contrib import admin

from kaohe.core.admin import ReadOnlyAdmin
from kaohe.rectification.models import RectificationItem


@admin.register(RectificationItem)
class RectificationItemAdmin(ReadOnlyAdmin):
    list_display = ["unit", "run", "state", "due_date"]
    list_filter = ["state"]
