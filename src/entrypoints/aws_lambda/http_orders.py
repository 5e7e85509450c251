"""Lambda handler for the orders routes only: ``entrypoints.aws_lambda.http_orders.handler``."""

from entrypoints.aws_lambda.web import http_handler

handler = http_handler("orders")
