"""The ``portside`` command: ``serve``, ``init-aws``, ``orders recover``, ``consume races``,
``consume trivia``, ``simulate-race``, ``trivia players``, ``dev-token``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from entrypoints.composition import compose, load_settings
from entrypoints.logs import configure_logging
from entrypoints.settings import ConfigurationError, Settings

#: The commands that run for a while and log as JSON lines; the one-shot tools (``init-aws``,
#: ``dev-token``) print their own report and leave the libraries' logging alone.
LOGGING_COMMANDS = frozenset({"serve", "orders", "consume", "simulate-race"})


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

    consume = commands.add_parser("consume", help="run a stream consumer")
    consumers = consume.add_subparsers(dest="consumer", required=True)
    races = consumers.add_parser(
        "races", help="aggregate RACES_STREAM with the Lambda handler's code (checkpointed)"
    )
    races.add_argument(
        "--window-seconds", type=float, default=15.0, help="tumbling window; 0 = none"
    )
    races.add_argument(
        "--until-idle", type=float, metavar="SECONDS", help="exit after this long with nothing"
    )

    trivia = consumers.add_parser(
        "trivia", help="handle trivia events from an SQS queue subscribed to TRIVIA_TOPIC_ARN"
    )
    trivia.add_argument("--queue-url", required=True)
    trivia.add_argument(
        "--until-idle", type=float, metavar="SECONDS", help="exit after this long with nothing"
    )

    simulate = commands.add_parser("simulate-race", help="send one race of simulated racers")
    simulate.add_argument("--racers", type=int, default=100)
    simulate.add_argument("--seconds", type=int, help="default: RACE_SECONDS")
    simulate.add_argument("--class-id", type=int, default=1)
    simulate.add_argument("--seed", type=int, default=1)
    simulate.add_argument("--speed", type=float, default=1.0, help="1 = real time, 0 = at once")
    simulate.add_argument("--target", choices=("local", "kinesis"), default="local")
    simulate.add_argument("--url", default="http://127.0.0.1:8000")
    simulate.add_argument("--stream", help="default: RACES_STREAM")
    simulate.add_argument("--duplicates", type=float, default=0.0, help="a fraction, 0..1")
    simulate.add_argument("--partition-key", choices=("race", "random"), default="race")

    trivia_tools = commands.add_parser("trivia", help="trivia tools")
    trivia_commands = trivia_tools.add_subparsers(dest="trivia_command", required=True)
    players = trivia_commands.add_parser(
        "players", help="simulated players of a live game over WebSockets (development tokens)"
    )
    players.add_argument("--url", default="http://127.0.0.1:8000")
    players.add_argument("--players", type=int, default=10)
    which = players.add_mutually_exclusive_group(required=True)
    which.add_argument("--game", help="join this running game")
    which.add_argument("--host", metavar="QUIZ_ID", help="host this quiz and drive the game")
    players.add_argument("--host-user", default="host", help="the quiz's owner (default: host)")
    players.add_argument("--host-url", help="the host's server, when not the players' one")
    players.add_argument("--question-seconds", type=int, default=30)
    players.add_argument("--seed", type=int, default=1)
    players.add_argument(
        "--think-ms", type=int, nargs=2, default=(0, 0), metavar=("LOW", "HIGH"),
        help="each answer after a random pause in this range (default: at once)",
    )  # fmt: skip

    token = commands.add_parser(
        "dev-token", help="print a development token of the embedded identity provider"
    )
    token.add_argument("--user", required=True, help="the username the token names")

    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        if args.command in LOGGING_COMMANDS:
            configure_logging(settings.log_level)
        if args.command == "serve":
            return _serve(settings, args.host, args.port)
        if args.command == "orders":
            return _recover(settings, args.idle)
        if args.command == "consume" and args.consumer == "trivia":
            return _consume_trivia(settings, args.queue_url, args.until_idle)
        if args.command == "consume":
            return _consume_races(settings, args.window_seconds, args.until_idle)
        if args.command == "simulate-race":
            return _simulate_race(settings, args)
        if args.command == "dev-token":
            return _dev_token(settings, args.user)
        if args.command == "trivia":
            return _trivia_players(settings, args)
    except ConfigurationError as exc:
        print(f"portside: configuration error: {exc}", file=sys.stderr)
        return 2
    return _init_aws(settings, args.demo_data)


WS_MAX_BYTES = 16 * 1024


def _serve(settings: Settings, host: str, port: int) -> int:
    import uvicorn

    from entrypoints.http.app import create_app, freeze_startup_heap

    composition = compose(settings)
    app = create_app(composition, dev_sign_in=True)  # the one entry with the sign-in
    if composition.dev_identity is not None:
        composition.dev_identity().private_key()  # the shared key file exists from the start
    freeze_startup_heap()
    # log_config=None keeps the JSON logging configured above. WebSocket frames are capped at
    # 16 KiB (uvicorn's default 16 MiB): a live-game frame over its 8 KB limit gets an error
    # message; one beyond the cap closes only that connection.
    uvicorn.run(app, host=host, port=port, log_config=None, ws_max_size=WS_MAX_BYTES)
    return 0


def _dev_token(settings: Settings, user: str) -> int:
    from entrypoints.composition.trivia import dev_identity

    if not user.strip() or len(user) > 128 or not user.isprintable():
        raise ConfigurationError("--user must name a user (1 to 128 printable characters)")
    print(dev_identity(settings).issue(user.strip()))
    return 0


def _trivia_players(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio
    import json

    from entrypoints.composition.trivia import dev_identity
    from entrypoints.live_players import run_players

    if not 1 <= args.players <= 10_000:
        raise ConfigurationError("--players must be 1 to 10000")
    identity = dev_identity(settings)
    summary = asyncio.run(
        run_players(
            args.url,
            args.players,
            identity.issue,
            game_id=args.game,
            host_quiz=args.host,
            host_user=args.host_user,
            question_seconds=args.question_seconds,
            seed=args.seed,
            show_progress=sys.stderr.isatty(),
            host_url=args.host_url,
            think_ms=(min(args.think_ms), max(args.think_ms)),
        )
    )
    print(json.dumps(summary, indent=2))
    return 0


def _recover(settings: Settings, idle: float | None) -> int:
    import asyncio
    from datetime import timedelta

    composition = compose(settings)

    async def recover() -> list[str]:
        try:
            idle_for = None if idle is None else timedelta(seconds=idle)
            recovered = await composition.orders.recover(idle_for)
        finally:
            await composition.aclose()
        return [f"order {o.order_id}: {o.status.value}" for o in recovered]

    lines = asyncio.run(recover())
    print("\n".join(lines) if lines else "nothing to recover")
    return 0


def _consume_trivia(settings: Settings, queue_url: str, until_idle: float | None) -> int:
    import asyncio

    from entrypoints.composition.trivia import event_queue
    from entrypoints.trivia_consumer import TriviaQueueConsumer

    if until_idle is not None and until_idle < 0:
        raise ConfigurationError("--until-idle must be >= 0")
    loop = asyncio.new_event_loop()
    composition = compose(settings)
    try:
        queue = event_queue(composition, queue_url)
        consumer = TriviaQueueConsumer(composition.trivia_events, queue, loop.run_until_complete)
        report = consumer.run(until_idle)
    finally:
        loop.run_until_complete(composition.aclose())
        loop.close()
    print(
        f"received {report.received} messages, handled {report.handled}, "
        f"left {report.left_for_retry} for a retry"
    )
    return 0


def _consume_races(settings: Settings, window: float, until_idle: float | None) -> int:
    from entrypoints.composition.races import stream_reading
    from entrypoints.races_consumer import RaceStreamConsumer

    if window < 0 or (until_idle is not None and until_idle < 0):
        raise ConfigurationError("--window-seconds and --until-idle must be >= 0")
    composition = compose(settings)
    stream, reader, checkpoints = stream_reading(composition)
    consumer = RaceStreamConsumer(composition, reader, checkpoints, stream, window_seconds=window)
    report = consumer.run(until_idle)
    print(
        f"consumed {report.records} records in {report.batches} batches "
        f"({report.windows} windows, {report.retries} retries)"
    )
    return 0


def _simulate_race(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio

    from entrypoints.composition.races import race_rules
    from entrypoints.race_simulator import LocalTarget, StreamTarget, simulate

    rules = race_rules(compose(settings))
    seconds = args.seconds if args.seconds is not None else rules.race_seconds
    if not 1 <= seconds <= rules.race_seconds:
        raise ConfigurationError(f"--seconds must be 1..{rules.race_seconds} (RACE_SECONDS)")
    if args.racers < 1 or not 0 <= args.duplicates <= 1 or args.speed < 0:
        raise ConfigurationError("--racers >= 1, --duplicates 0..1 and --speed >= 0 please")
    if args.class_id not in rules.classes:
        raise ConfigurationError(f"--class-id must be one of {list(rules.classes)}")
    target: LocalTarget | StreamTarget
    if args.target == "local":
        target = LocalTarget(args.url)
    else:
        from dataclasses import replace

        stream = args.stream or settings.races_stream
        if not stream:
            raise ConfigurationError("--stream or RACES_STREAM must name the stream")
        producer = compose(replace(settings, races_stream=stream)).race_stream
        assert producer is not None
        target = StreamTarget(producer, asyncio.run, args.partition_key)
    summary = simulate(
        target,
        rules,
        racers=args.racers,
        seconds=seconds,
        class_id=args.class_id,
        seed=args.seed,
        speed=args.speed,
        duplicates=args.duplicates,
    )
    return 1 if summary.failed else 0


def _init_aws(settings: Settings, demo_data: bool) -> int:
    from entrypoints.provisioning import init_aws

    try:
        report = init_aws(settings, demo_data=demo_data)
    except Exception as exc:  # an operator's tool: say what failed, without a traceback
        print(f"portside: init-aws failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print("\n".join(report) if report else "nothing to create: no AWS resource is configured")
    return 0


if __name__ == "__main__":
    sys.exit(main())
