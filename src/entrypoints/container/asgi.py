"""ASGI entry of the container image, served by uvicorn (see the Dockerfile's CMD).

uvicorn stops accepting connections on SIGTERM, lets in-flight requests finish (bounded by
``--timeout-graceful-shutdown``), then runs the app's lifespan shutdown, which closes clients.
"""

from entrypoints.composition import compose
from entrypoints.http.app import create_app, freeze_startup_heap
from entrypoints.logs import configure_logging

_composition = compose()
configure_logging(_composition.settings.log_level)
app = create_app(_composition)
freeze_startup_heap()
