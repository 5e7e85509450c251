"""Images for the avatar tests, made here: photos with metadata, images that lie about their
type, a decompression bomb and an oversized one."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageDraw


def photo(
    width: int = 800, height: int = 600, kind: str = "JPEG", seed: int = 0, **options: object
) -> bytes:
    """A picture with EXIF (an orientation, a camera maker, a GPS position) and a comment."""
    image = Image.new("RGB", (width, height), (40 + seed * 20 % 200, 90, 160))
    draw = ImageDraw.Draw(image)
    draw.rectangle((width // 4, height // 4, width // 2, height // 2), fill=(240, 200, 20))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: the output must come out upright
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (52.0, 22.0, 1.5), 3: "E", 4: (4.0, 53.0, 2.0)})
    out = io.BytesIO()
    extra: dict[str, object] = {"comment": b"where I live"} if kind == "JPEG" else {}
    image.save(out, kind, exif=exif, **extra, **options)
    return out.getvalue()


def transparent_png(side: int = 300) -> bytes:
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((10, 10, side - 10, side - 10), fill=(255, 0, 0, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def png_bomb(side: int = 12_000) -> bytes:
    """A small PNG (about 140 KB) whose header claims ``side`` x ``side`` grey pixels: 144 M
    of them (432 MB decoded as RGB) if anything decoded it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    packer = zlib.compressobj(9)
    rows = bytes((side + 1) * 500)  # 500 filtered rows of zeros at a time
    data = b"".join(packer.compress(rows) for _ in range(side // 500)) + packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )
