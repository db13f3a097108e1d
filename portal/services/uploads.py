"""Staff uploads checked before they are stored: an image must be an image (Pillow reads it), a product feed
must be a feed file by name and size, and neither may weigh more than UPLOAD_MAX_BYTES."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

# Pillow's format name → the content type served and the suffix stored.
IMAGE_FORMATS = {"PNG": ("image/png", ".png"), "JPEG": ("image/jpeg", ".jpg"), "GIF": ("image/gif", ".gif"),
                 "WEBP": ("image/webp", ".webp")}
MAX_IMAGE_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded
FEED_TYPES = {".csv": "text/csv", ".tsv": "text/tab-separated-values", ".xml": "application/xml",
              ".json": "application/json", ".gz": "application/gzip"}
MAX_FILENAME = 255


class UploadError(ValueError):
    """An upload that is refused; the message names the field and why."""


@dataclass(frozen=True)
class Upload:
    data: bytes
    filename: str
    content_type: str
    suffix: str
    width: int | None = None
    height: int | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    def stream(self) -> BinaryIO:
        return io.BytesIO(self.data)


def _read(source: BinaryIO | None, field: str, max_bytes: int) -> bytes:
    if source is None:
        raise UploadError(f"{field}: choose a file to upload")
    data = source.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UploadError(f"{field}: the file is larger than {max_bytes:,} bytes")
    if not data:
        raise UploadError(f"{field}: the file is empty")
    return data


def safe_filename(name: str | None, default: str) -> str:
    """The uploader's file name, for display and downloads only (storage keys never come from it)."""
    cleaned = re.sub(r"[^\w.\- ]+", "_", (name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).strip(" .")
    return (cleaned or default)[-MAX_FILENAME:]


def image(source: BinaryIO | None, filename: str | None, max_bytes: int, field: str = "file") -> Upload:
    """A PNG, JPEG, GIF or WebP image, judged by its bytes (not its name), with its size in pixels."""
    data = _read(source, field, max_bytes)
    # No warning filters here: they are process-wide (catch_warnings too saves and restores the global
    # list), and uploads run on request threads. Pillow raises DecompressionBombError past twice its own
    # limit and at most warns below that; our smaller limit refuses such images before they are decoded.
    try:
        with Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS)) as picture:
            width, height = picture.size
            if width * height > MAX_IMAGE_PIXELS:
                raise UploadError(f"{field}: the image is too large ({width}×{height} pixels)")
            picture.verify()  # reads the whole file: a truncated or corrupt image is refused here
            kind = picture.format
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # The warning is raised only where warnings are errors (the tests); either way the image is too big.
        raise UploadError(f"{field}: the image is too large (more than {MAX_IMAGE_PIXELS:,} pixels)") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        if isinstance(err, UploadError):
            raise
        raise UploadError(f"{field}: not a PNG, JPEG, GIF or WebP image") from None
    content_type, suffix = IMAGE_FORMATS[kind]
    return Upload(data, safe_filename(filename, f"image{suffix}"), content_type, suffix, width, height)


def feed(source: BinaryIO | None, filename: str | None, max_bytes: int, field: str = "file") -> Upload:
    """A product feed file: CSV, TSV, XML, JSON, or any of them gzipped (.gz), by name, within the size."""
    name = safe_filename(filename, "")
    suffix = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if suffix not in FEED_TYPES:
        raise UploadError(f"{field}: a product feed is a .csv, .tsv, .xml, .json or .gz file")
    data = _read(source, field, max_bytes)
    if suffix == ".gz" and not data.startswith(b"\x1f\x8b"):
        raise UploadError(f"{field}: the file is named .gz but is not gzip-compressed")
    return Upload(data, name, FEED_TYPES[suffix], suffix)
