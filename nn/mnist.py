"""MNIST: load the IDX files (checked, every error naming the file) and download them.

>>> data = load_mnist(download_mnist("data/mnist"))  # doctest: +SKIP
>>> X_train, y_train = data["train"]  # doctest: +SKIP
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from .checkpoint import write_atomically
from .checks import check_real, show

__all__ = ["MNIST_FILES", "MNIST_MD5", "MNIST_URL", "download_mnist", "load_mnist"]

Pair = tuple[np.ndarray, np.ndarray]

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
"""Split name -> (images file, labels file), as published."""

MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
"""Published MD5 checksums of the gzip files, checked after a download."""

MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
"""A public mirror of the original files (the one torchvision uses)."""

_IDX_IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
_IDX_LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension


def _find(folder: Path, gz_name: str) -> Path | None:
    """The file in `folder` under its gzip name or without `.gz` (gzip preferred)."""
    for name in (gz_name, gz_name.removesuffix(".gz")):
        if (folder / name).is_file():
            return folder / name
    return None


def _read_idx(path: Path, magic: int, ndim: int) -> tuple[tuple[int, ...], np.ndarray]:
    """Read an IDX file of unsigned bytes: its declared dimensions and its data, flat."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError; a flipped
        # bit in the deflate stream is a zlib.error
        raise ValueError(f"load_mnist: {path}: cannot decompress: {exc}") from exc
    header = 4 * (1 + ndim)
    if len(raw) < header:
        raise ValueError(
            f"load_mnist: {path}: truncated: {len(raw)} bytes, shorter than the "
            f"{header}-byte IDX header"
        )
    fields = np.frombuffer(raw, dtype=">u4", count=1 + ndim)
    found, dims = int(fields[0]), tuple(int(d) for d in fields[1:])
    if found != magic:
        kind = "images" if magic == _IDX_IMAGES_MAGIC else "labels"
        raise ValueError(
            f"load_mnist: {path}: bad magic number {found}, expected {magic} (IDX {kind})"
        )
    expected = header + math.prod(dims)
    if len(raw) != expected:
        problem = "truncated" if len(raw) < expected else "has trailing bytes"
        raise ValueError(
            f"load_mnist: {path}: {problem}: header declares dimensions {dims}, "
            f"which need {expected} bytes, but the file has {len(raw)}"
        )
    return dims, np.frombuffer(raw, dtype=np.uint8, offset=header)


def _load_pair(images_path: Path, labels_path: Path, normalize: bool, flatten: bool) -> Pair:
    (n_images, rows, cols), pixels = _read_idx(images_path, _IDX_IMAGES_MAGIC, 3)
    (n_labels,), labels = _read_idx(labels_path, _IDX_LABELS_MAGIC, 1)
    if n_images != n_labels:
        raise ValueError(
            f"load_mnist: {images_path} has {n_images} images but {labels_path} has "
            f"{n_labels} labels"
        )
    if labels.size and labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise ValueError(
            f"load_mnist: {labels_path}: labels must be in 0..9, label {bad} is {labels[bad]}"
        )
    X = pixels.reshape(n_images, rows * cols) if flatten else pixels.reshape(n_images, rows, cols)
    # np.float32(1 / 255) * 255 rounds to exactly 1.0, and the division keeps 0..255 in [0, 1].
    X = X.astype(np.float32) / np.float32(255) if normalize else X.copy()
    return X, labels.astype(np.int64)


def load_mnist(
    path: str | os.PathLike[str], *, normalize: bool = True, flatten: bool = True
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Load the MNIST IDX files found in the folder ``path``.

    Looks for ``train-images-idx3-ubyte.gz`` + ``train-labels-idx1-ubyte.gz`` (key ``"train"``)
    and ``t10k-images-idx3-ubyte.gz`` + ``t10k-labels-idx1-ubyte.gz`` (key ``"test"``), each also
    accepted without ``.gz``, and returns the pairs that are there:
    ``{"train": (X, y), "test": (X, y)}``. ``X`` is float32 in [0, 1] of shape ``(n, 784)``;
    with ``normalize=False`` it keeps the raw uint8 pixels, with ``flatten=False`` the shape is
    ``(n, 28, 28)``. ``y`` is int64 in 0..9.

    The files are checked, and every error names the file: magic number, declared size against
    the actual byte count, image count against label count, label range, and an images file
    without its labels (or the reverse). A folder with no pair at all raises FileNotFoundError.

    >>> data = load_mnist("data/mnist")  # doctest: +SKIP
    >>> X_test, y_test = data["test"]  # doctest: +SKIP
    >>> X_test.shape, X_test.dtype, y_test[:3].tolist()  # doctest: +SKIP
    ((10000, 784), dtype('float32'), [7, 2, 1])
    """
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"load_mnist: {folder} is not a folder")
    data = {}
    for key, (images_name, labels_name) in MNIST_FILES.items():
        images, labels = _find(folder, images_name), _find(folder, labels_name)
        if images is None and labels is None:
            continue
        if labels is None:
            raise FileNotFoundError(
                f"load_mnist: {images} has no labels file: expected {labels_name} "
                f"(or without .gz) in {folder}"
            )
        if images is None:
            raise FileNotFoundError(
                f"load_mnist: {labels} has no images file: expected {images_name} "
                f"(or without .gz) in {folder}"
            )
        data[key] = _load_pair(images, labels, normalize, flatten)
    if not data:
        expected = ", ".join(name for pair in MNIST_FILES.values() for name in pair)
        raise FileNotFoundError(
            f"load_mnist: no MNIST files in {folder}; expected {expected} (or without .gz), "
            f"e.g. from download_mnist({str(folder)!r})"
        )
    return data


def download_mnist(
    path: str | os.PathLike[str], base_url: str = MNIST_URL, *, timeout: float = 30.0
) -> Path:
    """Fetch the four MNIST gzip files into the folder ``path``; returns that folder.

    Files already present (with or without ``.gz``) are skipped. Each download is checked
    against its published MD5 and written atomically (`nn.checkpoint.write_atomically`: a
    temporary file in the same folder, then a rename), so an interrupted download never leaves a
    half file behind. Without a
    network, the RuntimeError names the URL and the folder to place the files in by hand.

    >>> data = load_mnist(download_mnist("data/mnist"))  # doctest: +SKIP
    """
    if not isinstance(base_url, str):
        raise ValueError(f"download_mnist: base_url must be a str, got {show(base_url)}")
    timeout = check_real("download_mnist", "timeout", timeout)
    if timeout == 0:
        raise ValueError("download_mnist: timeout must be > 0 seconds, got 0")
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    base = base_url.rstrip("/") + "/"
    for name in (name for pair in MNIST_FILES.values() for name in pair):
        if _find(folder, name) is not None:
            continue
        url = base + name
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                payload = response.read()
        except ValueError as exc:  # urllib's "unknown url type"
            raise ValueError(f"download_mnist: bad base_url {base_url!r}: {exc}") from exc
        except OSError as exc:  # URLError, HTTPError, timeouts and refusals are all OSErrors
            reason = getattr(exc, "reason", exc)
            raise RuntimeError(
                f"download_mnist: could not fetch {url} ({reason}). Without network access, "
                f"download the four files by hand and place them in {folder}: "
                + ", ".join(MNIST_MD5)
            ) from exc
        digest = hashlib.md5(payload).hexdigest()
        if digest != MNIST_MD5[name]:
            raise RuntimeError(
                f"download_mnist: {url} gave a file with MD5 {digest}, expected "
                f"{MNIST_MD5[name]}; not saved"
            )
        write_atomically(folder / name, payload)
    return folder
