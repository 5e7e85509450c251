"""Lambda handler for the leaderboards routes only:
``entrypoints.aws_lambda.http_leaderboards.handler``."""

from entrypoints.aws_lambda.web import http_handler

handler = http_handler("leaderboards")
