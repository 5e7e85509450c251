"""Lambda handler for the trivia routes only: ``entrypoints.aws_lambda.http_trivia.handler``."""

from entrypoints.aws_lambda.web import http_handler

handler = http_handler("trivia")
