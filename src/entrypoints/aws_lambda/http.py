"""Lambda handler for every HTTP route (API Gateway REST v1, HTTP API v2, function URLs).

Module scope composes once per execution environment, so warm invocations reuse clients.
"""

from mangum import Mangum

from entrypoints.bootstrap import bootstrap
from entrypoints.http.app import create_app

# lifespan="off": Lambda has no shutdown hook, and startup work here runs at import instead.
handler = Mangum(create_app(bootstrap()), lifespan="off")
