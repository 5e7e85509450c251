"""Lambda handler for every HTTP route: ``entrypoints.aws_lambda.http.handler``."""

from entrypoints.aws_lambda.web import http_handler

handler = http_handler()
