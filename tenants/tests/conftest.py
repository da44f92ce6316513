import os

# Playwright's sync API runs an event loop in the test thread, and the session-scoped browser
# starts before the database is set up, so this must be set when the module loads.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
