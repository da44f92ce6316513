"""The WSGI application gunicorn serves: Django's, behind the webhook receiver's front door
(webhooks/wsgi.py; docs/webhooks.md, "The lean path")."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

from webhooks.wsgi import ReceiverFront  # noqa: E402 (needs the apps get_wsgi_application sets up)

application = ReceiverFront(django_application)
