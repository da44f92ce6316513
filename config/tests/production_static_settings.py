"""Production settings, unchanged but for the static-files storage: the manifest storage needs
`collectstatic` first, which the production-logging test has no reason to run."""

from config.settings import *  # noqa: F403
from config.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
