"""ASGI entry of the container image, served by uvicorn (see the Dockerfile's CMD).

uvicorn stops accepting connections on SIGTERM, lets in-flight requests finish (bounded by
``--timeout-graceful-shutdown``), then runs the app's lifespan shutdown, which closes clients.
"""

from entrypoints.bootstrap import bootstrap
from entrypoints.http.app import create_app, freeze_startup_heap

app = create_app(bootstrap())
freeze_startup_heap()
