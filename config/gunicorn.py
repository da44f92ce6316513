"""gunicorn settings: the Dockerfile, docker-compose.yml and the Procfile start the web process
with ``gunicorn -c config/gunicorn.py`` (command-line flags override these).

Logging (docs/security.md, "Logs"): gunicorn's access and error logs go through
`lib.logging.GunicornLogger`, which masks tokens, OAuth codes and reset / invitation links in
every field and line; Django's own records go through settings.LOGGING's masking filter.
"""

import os

wsgi_app = "config.wsgi:application"
# PORT / WEB_CONCURRENCY / GUNICORN_THREADS as most hosts set them.
bind = [f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"]  # noqa: S104
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
accesslog = "-"
errorlog = "-"
logger_class = "lib.logging.GunicornLogger"
# No gunicornc control socket (nothing uses it; it would be one more way in).
control_socket_disable = True
# Behind a proxy that terminates TLS; X-Forwarded-For is read by lib.throttle only as far as
# TRUSTED_PROXY_COUNT allows.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
