"""ImageProcessor on Pillow: strict decoding and re-encoding of the players' avatars.

- Only the declared format is tried (``Image.open(formats=...)``): a PNG sent as a JPEG,
  or a script sent as an image, is refused.
- The size in the header is checked before any pixel is decoded (at most 4096 px a side),
  and Pillow's own decompression-bomb check (at ``Image.MAX_IMAGE_PIXELS``, its default of
  89 M pixels, left as the process has it) is an error here, not a warning.
- JPEG is decoded at a reduced scale when the avatar needs less (``draft``: the DCT scaling
  of libjpeg), which is most of the speed.
- The EXIF orientation is applied, then every piece of metadata dropped (EXIF, with its GPS
  location, XMP, ICC, text chunks): the outputs are made from the pixels alone. The avatar
  is JPEG (PNG when it has transparency) at most 512 px a side; the thumbnail a 128 px
  square, centre-cropped, in WebP.
"""

from __future__ import annotations

import hashlib
import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from domain.trivia.errors import InvalidImageError
from domain.trivia.profiles import AVATAR_MAX_SIDE, AVATAR_SIDE, THUMBNAIL_SIDE, Picture, Rendition

FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
JPEG_QUALITY = 85
WEBP_QUALITY = 80
#: libwebp's effort (0-6, default 4): at 128 px, 2 is 5x faster for a few bytes more.
WEBP_METHOD = 2


class PillowImageProcessor:
    """ImageProcessor on Pillow (see the module docstring)."""

    def render(self, data: bytes, declared_type: str) -> Rendition:
        source = hashlib.sha256(data).hexdigest()
        image = _decoded(data, declared_type)
        image.info.clear()  # no metadata goes out (the savers read some of it from info)
        # No copy: the decoded image is this call's own. Area averaging (BOX, and whole-factor
        # reduction for the thumbnail: ``reducing_gap=1``): the JPEG decoder's scaling did
        # the large reduction already, and resampling was a quarter of the time left
        # (Lanczos: 6.5 ms of 26 for a 1 MB photo; these: 2.7 of 18).
        avatar = image
        avatar.thumbnail((AVATAR_SIDE, AVATAR_SIDE), Image.Resampling.BOX)
        thumbnail = avatar.resize(
            (THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS,
            box=_centre_square(avatar.size), reducing_gap=1.0,
        )  # fmt: skip
        if avatar.mode == "RGBA":
            picture = _encoded(avatar, "image/png", "PNG", source, optimize=False)
        else:
            picture = _encoded(avatar, "image/jpeg", "JPEG", source, quality=JPEG_QUALITY)
        small = _encoded(
            thumbnail, "image/webp", "WEBP", source, quality=WEBP_QUALITY, method=WEBP_METHOD
        )
        return Rendition(picture, small)


def _centre_square(size: tuple[int, int]) -> tuple[float, float, float, float]:
    width, height = size
    side = min(width, height)
    left, top = (width - side) / 2, (height - side) / 2
    return left, top, left + side, top + side


def _decoded(data: bytes, declared_type: str) -> Image.Image:
    kind = FORMATS.get(declared_type)
    if kind is None:
        raise InvalidImageError(f"{declared_type!r} is not an accepted image type")
    try:
        with warnings.catch_warnings():
            # Damaged metadata (EXIF) is dropped anyway: its warnings are not the image's.
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data), formats=[kind])
            width, height = opened.size
            if max(width, height) > AVATAR_MAX_SIDE:
                raise InvalidImageError(f"{width}x{height} px: at most {AVATAR_MAX_SIDE} px a side")
            if kind == "JPEG":
                # the smallest scale whose longest side still covers the avatar's
                scale = AVATAR_SIDE / max(width, height, 1)
                opened.draft("RGB", (round(width * scale), round(height * scale)))
            opened.load()
            ImageOps.exif_transpose(opened, in_place=True)  # no copy
            image: Image.Image = opened
            alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            mode = "RGBA" if alpha else "RGB"
            return image if image.mode == mode else image.convert(mode)
    except UnidentifiedImageError:
        raise InvalidImageError(f"not a {kind} image") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidImageError("too many pixels (a decompression bomb?)") from None
    except (OSError, ValueError, SyntaxError) as exc:  # truncated or corrupt data
        raise InvalidImageError(f"damaged {kind} data ({exc})") from None


def _encoded(
    image: Image.Image, content_type: str, kind: str, source: str, **options: object
) -> Picture:
    out = io.BytesIO()
    image.save(out, kind, **options)
    width, height = image.size
    return Picture(content_type, out.getvalue(), width, height, source)
