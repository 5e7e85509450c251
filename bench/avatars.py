"""Avatars processed per second vs Pillow decoding and resizing the same image alone.

The image is a 1 MB photo-like JPEG (2560 x 1920, noise over a gradient, quality 90, EXIF
with a GPS position). The pipeline is the avatar processor on the in-memory adapters: the
pending upload read and consumed, the object read, the limits checked, the image decoded
strictly (Pillow, declared type only, the size checked before decoding), re-encoded without
metadata (JPEG at most 512 px) with its 128 px WebP thumbnail, moderated in memory (one
digest lookup), both pictures stored, the profile updated, the upload deleted and the
player notified (no connection, no subscription). The baseline is what any avatar service
does at least: ``Image.open`` and ``thumbnail((128, 128))`` of the same bytes (Pillow's own
draft decoding included). Rounds alternate; the ratio of the medians is printed (the issue's
target: at least 0.7).

    python -m bench.avatars [--images 40] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import time
from datetime import UTC, datetime

from PIL import Image, ImageFilter

from adapters.memory.trivia import InMemoryProgressStore
from adapters.memory.trivia_profiles import (
    InMemoryAvatarStorage,
    InMemoryImageModerator,
    InMemoryProfileStore,
    InMemoryPushSubscriptionStore,
)
from adapters.pillow.trivia import PillowImageProcessor
from domain.trivia.avatars import AvatarProcessor, PlayerNotifier, ProfileService
from domain.trivia.profiles import AvatarUrls, Outcome
from tests.support.fakes import ManualClock


def photo_jpeg() -> bytes:
    width, height = 2560, 1920
    gradient = Image.radial_gradient("L").resize((width, height)).convert("RGB")
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    image = Image.blend(gradient, noise, 0.5).filter(ImageFilter.GaussianBlur(1))
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 22.0, 1.5), 3: "E", 4: (4.0, 53.0, 2.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def baseline(data: bytes, images: int) -> float:
    """Images per second: Pillow decoding and resizing alone."""
    started = time.perf_counter()
    for _ in range(images):
        with Image.open(io.BytesIO(data)) as image:
            image.thumbnail((128, 128))
    return images / (time.perf_counter() - started)


async def pipeline(data: bytes, images: int) -> float:
    """Avatars per second through the processor (a new player per upload: their 3 pending
    uploads never limit the run)."""
    clock = ManualClock(datetime.now(UTC))
    profiles, storage = InMemoryProfileStore(), InMemoryAvatarStorage()
    service = ProfileService(profiles, InMemoryProgressStore(), storage, clock)
    notifier = PlayerNotifier(InMemoryPushSubscriptionStore(), None, clock)
    processor = AvatarProcessor(
        profiles, storage, PillowImageProcessor(), InMemoryImageModerator(["0" * 64]),
        notifier, AvatarUrls("/"), clock,
    )  # fmt: skip
    keys = []
    for n in range(images):
        form = await service.request_upload(f"player-{n}", "image/jpeg")
        keys.append(storage.accept(form.fields, data, clock.now()))
    started = time.perf_counter()
    for key in keys:
        result = await processor.process(key)
        assert result is not None
        assert result.outcome is Outcome.ACCEPTED
    return images / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    data = photo_jpeg()
    print(f"image: {len(data) / 1e6:.2f} MB JPEG 2560x1920")
    baseline(data, 3)  # warm up both
    asyncio.run(pipeline(data, 3))
    plain, ours = [], []
    for n in range(args.rounds):
        plain.append(baseline(data, args.images))
        ours.append(asyncio.run(pipeline(data, args.images)))
        print(f"round {n + 1}: Pillow alone {plain[-1]:.1f}/s, pipeline {ours[-1]:.1f}/s")
    a, b = statistics.median(ours), statistics.median(plain)
    print(f"median: pipeline {a:.1f} avatars/s, Pillow alone {b:.1f} images/s, ratio {a / b:.2f}")


if __name__ == "__main__":
    main()
