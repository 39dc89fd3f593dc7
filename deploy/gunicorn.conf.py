"""gunicorn settings for Rapport in production.

Used by `rapport serve --production`, or directly:

    gunicorn -c deploy/gunicorn.conf.py lti_plugin.wsgi:app

Every value can be changed from the environment, so one file serves a laptop, a virtual
machine and a container. Grades are not delivered by these processes: run `rapport worker`
beside them (one or more, on any host that reaches the database).
"""
import multiprocessing
import os

# Where to listen. Behind a TLS-terminating proxy on the same host keep 127.0.0.1; in a
# container set RAPPORT_BIND=0.0.0.0:8000 and publish the port to the proxy only.
bind = os.environ.get("RAPPORT_BIND", "127.0.0.1:8000")

# Processes and threads. A launch costs a few milliseconds of CPU and waits briefly on the
# database, so about two processes per core, each with a couple of threads, keep the cores
# busy without queueing requests behind a slow one.
workers = int(os.environ.get("RAPPORT_WORKERS", 2 * multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("RAPPORT_THREADS", 2))

# How a burst spreads over the workers. By default a worker takes a new connection only when one
# of its threads is free, and closes each connection after its answer: waiting requests then
# queue in the kernel, first come first served, and go to whichever worker frees up first.
# gunicorn's own defaults (1000 connections a worker, keep-alive) let one worker take far more
# than its share of a class launching at once and keep it: measured here with 500 launches at
# concurrency 50, p95 fell from 600-930 ms to 370-540 ms, for the same CPU (bench/RESULTS.md).
# The proxy in front (Caddy, nginx) keeps its own connections to browsers alive either way.
worker_connections = int(os.environ.get("RAPPORT_WORKER_CONNECTIONS", threads))
keepalive = int(os.environ.get("RAPPORT_KEEPALIVE", 0))

# Each request is short (nothing slow happens while a user waits); a worker stuck for 30 s is
# restarted.
timeout = int(os.environ.get("RAPPORT_WORKER_TIMEOUT", 30))
graceful_timeout = 30
# Requests larger than this never reach Rapport (it refuses bodies over 1 MiB itself too).
limit_request_line = 8190

# Build the app in each worker, after the fork: database and Redis connections are never
# shared between processes.
preload_app = False

# No access log: Rapport writes one JSON line per request itself, without the query string.
# gunicorn's access log would print each URL whole, and launch pages carry their token in it.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("RAPPORT_GUNICORN_LOGLEVEL", "warning")

# The scheme and client address come from X-Forwarded-* only through Rapport's
# TRUSTED_PROXIES setting (werkzeug's ProxyFix), never from gunicorn's own guesses.
secure_scheme_headers: dict[str, str] = {}
forwarded_allow_ips = "127.0.0.1"

# The heartbeat file of each worker: in memory where the system offers it (containers often
# mount /tmp on an overlay disk, which makes heartbeats slow).
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

proc_name = "rapport"

# gunicorn 25.1 and later open a control socket under $HOME/.gunicorn by default; Rapport does not
# use it (a rolling restart is `kill -HUP` of the master), and in the image $HOME is /app, which
# the rapport user cannot write. Older gunicorn ignores the setting.
control_socket_disable = True
