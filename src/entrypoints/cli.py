"""The ``portside`` command: ``serve``, ``init-aws`` and ``orders recover``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from entrypoints.bootstrap import bootstrap, init_aws, load_settings
from entrypoints.settings import ConfigurationError, Settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="portside", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP API (in memory unless configured)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)

    init = commands.add_parser(
        "init-aws", help="create the configured tables, streams and buckets if missing"
    )
    init.add_argument("--demo-data", action="store_true", help="also write the demo rows")

    orders = commands.add_parser("orders", help="order operations")
    order_commands = orders.add_subparsers(dest="order_command", required=True)
    recover = order_commands.add_parser(
        "recover", help="resume sagas a crash left half-done and idle for a while"
    )
    recover.add_argument(
        "--idle", type=float, metavar="SECONDS", help="default: ORDERS_RECOVERY_IDLE_SECONDS"
    )

    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        if args.command == "serve":
            return _serve(settings, args.host, args.port)
        if args.command == "orders":
            return _recover(settings, args.idle)
    except ConfigurationError as exc:
        print(f"portside: configuration error: {exc}", file=sys.stderr)
        return 2
    return _init_aws(settings, args.demo_data)


def _serve(settings: Settings, host: str, port: int) -> int:
    import uvicorn

    from entrypoints.http.app import create_app

    app = create_app(bootstrap(settings))
    # log_config=None keeps the JSON logging the composition root configured.
    uvicorn.run(app, host=host, port=port, log_config=None)
    return 0


def _recover(settings: Settings, idle: float | None) -> int:
    import asyncio
    from datetime import timedelta

    services = bootstrap(settings)

    async def recover() -> list[str]:
        try:
            idle_for = None if idle is None else timedelta(seconds=idle)
            recovered = await services.orders.recover(idle_for)
        finally:
            await services.aclose()
        return [f"order {o.order_id}: {o.status.value}" for o in recovered]

    lines = asyncio.run(recover())
    print("\n".join(lines) if lines else "nothing to recover")
    return 0


def _init_aws(settings: Settings, demo_data: bool) -> int:
    try:
        report = init_aws(settings, demo_data=demo_data)
    except Exception as exc:  # an operator's tool: say what failed, without a traceback
        print(f"portside: init-aws failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print("\n".join(report) if report else "nothing to create: no AWS resource is configured")
    return 0


if __name__ == "__main__":
    sys.exit(main())
