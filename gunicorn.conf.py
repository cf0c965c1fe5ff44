"""gunicorn settings for the Procfile's web process (read from the project directory).

Threaded workers: a public share download or a bulk ZIP streams for as long as the
reader takes, and with sync workers three slow readers took every worker. Each gthread
worker serves ``WEB_THREADS`` requests at once, and its timeout is a liveness heartbeat
of the worker process, not a cap on one response, so a long download is not cut off.
Behind nginx, set MEDIA_SENDFILE_HEADER so nginx sends media files itself.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
# One connection per thread: a gthread worker accepts up to worker_connections and queues
# the rest in its own process, where they wait behind slow requests while another worker
# sits idle. With one per thread the kernel's accept queue spreads them over the workers.
worker_connections = threads
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
# Kept-alive idle connections hold a worker's connection slots; closing after each
# response keeps every slot for a request (static files are served by whitenoise or nginx).
keepalive = 0
accesslog = "-"
# Share and reference tokens in request lines are replaced by "[redacted]".
logger_class = "studio.log_redaction.GunicornLogger"
