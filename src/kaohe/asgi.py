"""ASGI entry point, for a separate server-sent-events process if one is ever needed."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaohe.settings")
application = get_asgi_application()
