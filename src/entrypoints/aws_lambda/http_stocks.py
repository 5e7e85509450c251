"""Lambda handler for the stocks routes only: ``entrypoints.aws_lambda.http_stocks.handler``."""

from entrypoints.aws_lambda.web import http_handler

handler = http_handler("stocks")
