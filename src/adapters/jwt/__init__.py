"""Adapters on JSON Web Tokens (PyJWT), with their keys from a JWKS."""
