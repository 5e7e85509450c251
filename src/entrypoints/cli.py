"""The ``portside`` command: ``serve`` and ``init-aws``."""

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

    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        if args.command == "serve":
            return _serve(settings, args.host, args.port)
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
