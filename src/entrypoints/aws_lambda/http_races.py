"""Lambda handler for the races routes only: ``entrypoints.aws_lambda.http_races.handler``."""

from entrypoints.aws_lambda.web import http_handler

handler = http_handler("races")
