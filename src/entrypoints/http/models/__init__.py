"""The typed wire of the HTTP edge: one module of pydantic request and response models per
context, with the domain's limits as constraints, and the mapping to and from the domain's
own command and value types. FastAPI builds the OpenAPI document from these models, so the
document describes exactly what the routes accept and answer."""
