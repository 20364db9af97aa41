"""nn.mnist: loading the IDX files (checked, naming the file) and downloading them."""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from nn import mnist
from nn.mnist import download_mnist, load_mnist

MNIST_T10K = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-t10k"

# MNIST: small IDX files written here
# ---------------------------------------------------------------------------------------------

IMAGES_GZ, LABELS_GZ = "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"


def _idx(magic: int, dims: tuple[int, ...], payload: bytes) -> bytes:
    header = np.array([magic, *dims], dtype=">u4").tobytes()
    return header + payload


def _fake_mnist(n: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    pixels[0, 0, 0], pixels[0, 0, 1] = 0, 255  # make the extremes present
    return pixels, rng.integers(0, 10, size=n, dtype=np.uint8)


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(gzip.compress(content) if path.suffix == ".gz" else content)
    return path


def _write_pair(
    folder: Path,
    pixels: np.ndarray,
    labels: np.ndarray,
    prefix: str = "t10k",
    gz: bool = True,
) -> tuple[Path, Path]:
    ext = ".gz" if gz else ""
    images = _write(
        folder / f"{prefix}-images-idx3-ubyte{ext}", _idx(2051, pixels.shape, pixels.tobytes())
    )
    labels_path = _write(
        folder / f"{prefix}-labels-idx1-ubyte{ext}", _idx(2049, labels.shape, labels.tobytes())
    )
    return images, labels_path


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "plain"])
def test_load_mnist_reads_idx_files(tmp_path, gz):
    pixels, labels = _fake_mnist()
    _write_pair(tmp_path, pixels, labels, gz=gz)
    X, y = load_mnist(tmp_path)["test"]
    assert X.shape == (5, 784) and X.dtype == np.float32
    assert y.shape == (5,) and y.dtype == np.int64
    np.testing.assert_array_equal(X, pixels.reshape(5, 784) / np.float32(255))
    np.testing.assert_array_equal(y, labels)


def test_load_mnist_pixels_span_exactly_zero_to_one(tmp_path):
    _write_pair(tmp_path, *_fake_mnist())
    X, _ = load_mnist(tmp_path)["test"]
    assert X.min() == 0.0 and X.max() == 1.0


def test_load_mnist_raw_keeps_uint8_images(tmp_path):
    pixels, labels = _fake_mnist()
    _write_pair(tmp_path, pixels, labels)
    X, _ = load_mnist(tmp_path, normalize=False, flatten=False)["test"]
    assert X.shape == (5, 28, 28) and X.dtype == np.uint8
    np.testing.assert_array_equal(X, pixels)
    assert X.flags.writeable


def test_load_mnist_loads_train_and_test_under_their_keys(tmp_path):
    train_pixels, train_labels = _fake_mnist(n=6, seed=1)
    _write_pair(tmp_path, train_pixels, train_labels, prefix="train")
    _write_pair(tmp_path, *_fake_mnist(n=3, seed=2), prefix="t10k", gz=False)
    loaded = load_mnist(tmp_path)
    assert sorted(loaded) == ["test", "train"]
    assert len(loaded["train"][1]) == 6 and len(loaded["test"][1]) == 3
    np.testing.assert_array_equal(loaded["train"][1], train_labels)


def test_load_mnist_loads_only_the_pairs_present(tmp_path):
    _write_pair(tmp_path, *_fake_mnist(), prefix="train")
    assert list(load_mnist(tmp_path)) == ["train"]


def test_load_mnist_on_an_empty_folder_lists_the_expected_files(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path)
    message = str(info.value)
    assert str(tmp_path) in message
    for name in mnist.MNIST_MD5:
        assert name in message


def test_load_mnist_on_a_missing_folder_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere is not a folder"):
        load_mnist(tmp_path / "nowhere")


def test_load_mnist_images_without_labels_names_both_files(tmp_path):
    images, labels = _write_pair(tmp_path, *_fake_mnist())
    labels.unlink()
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path)
    assert str(images) in str(info.value) and LABELS_GZ in str(info.value)


def test_load_mnist_labels_without_images_names_both_files(tmp_path):
    images, labels = _write_pair(tmp_path, *_fake_mnist())
    images.unlink()
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path)
    assert str(labels) in str(info.value) and IMAGES_GZ in str(info.value)


@pytest.mark.parametrize("which", ["images", "labels"])
def test_load_mnist_bad_magic_names_the_file(tmp_path, which):
    pixels, labels = _fake_mnist()
    images_path, labels_path = _write_pair(tmp_path, pixels, labels)
    if which == "images":
        path, content, expected = images_path, _idx(2049, pixels.shape, pixels.tobytes()), 2051
    else:
        path, content, expected = labels_path, _idx(2051, labels.shape, labels.tobytes()), 2049
    _write(path, content)
    with pytest.raises(ValueError) as info:
        load_mnist(tmp_path)
    assert str(path) in str(info.value)
    assert f"bad magic number {2049 if expected == 2051 else 2051}, expected {expected}" in str(
        info.value
    )


def test_load_mnist_truncated_images_file_names_it(tmp_path):
    pixels, labels = _fake_mnist()
    images, _ = _write_pair(tmp_path, pixels, labels)
    _write(images, _idx(2051, pixels.shape, pixels.tobytes())[:-100])
    with pytest.raises(ValueError) as info:
        load_mnist(tmp_path)
    message = str(info.value)
    assert str(images) in message and "truncated" in message
    assert f"need {16 + 5 * 784} bytes, but the file has {16 + 5 * 784 - 100}" in message


def test_load_mnist_file_shorter_than_its_header_names_it(tmp_path):
    _, labels = _write_pair(tmp_path, *_fake_mnist())
    _write(labels, b"\x00\x00\x08")
    with pytest.raises(ValueError, match="truncated: 3 bytes, shorter than the 8-byte IDX header"):
        load_mnist(tmp_path)


def test_load_mnist_trailing_bytes_name_the_file(tmp_path):
    pixels, labels = _fake_mnist()
    _, labels_path = _write_pair(tmp_path, pixels, labels)
    _write(labels_path, _idx(2049, labels.shape, labels.tobytes()) + b"\x01")
    with pytest.raises(ValueError) as info:
        load_mnist(tmp_path)
    assert str(labels_path) in str(info.value) and "trailing bytes" in str(info.value)


def test_load_mnist_count_mismatch_names_both_files(tmp_path):
    pixels, labels = _fake_mnist(n=5)
    images, labels_path = _write_pair(tmp_path, pixels, labels[:4])
    with pytest.raises(ValueError) as info:
        load_mnist(tmp_path)
    message = str(info.value)
    assert f"{images} has 5 images but {labels_path} has 4 labels" in message


def test_load_mnist_label_out_of_range_names_the_file(tmp_path):
    pixels, labels = _fake_mnist()
    labels[3] = 10
    _, labels_path = _write_pair(tmp_path, pixels, labels)
    with pytest.raises(ValueError) as info:
        load_mnist(tmp_path)
    assert f"{labels_path}: labels must be in 0..9, label 3 is 10" in str(info.value)


def test_load_mnist_corrupt_gzip_names_the_file(tmp_path):
    images, _ = _write_pair(tmp_path, *_fake_mnist())
    images.write_bytes(b"this is not gzip data")
    with pytest.raises(ValueError) as info:
        load_mnist(tmp_path)
    assert f"{images}: cannot decompress" in str(info.value)


def test_load_mnist_gzip_with_a_flipped_bit_names_the_file(tmp_path):
    # A flipped bit inside the deflate stream is a zlib.error (not an OSError) in gzip.
    pixels, labels = _fake_mnist()
    images, _ = _write_pair(tmp_path, pixels, labels)
    good = images.read_bytes()
    broken = bytearray(good)
    broken[12] ^= 0x01  # the first byte of the deflate stream: its block header
    images.write_bytes(bytes(broken))
    with pytest.raises(ValueError) as info:
        load_mnist(tmp_path)
    assert f"load_mnist: {images}: cannot decompress" in str(info.value)


def test_load_mnist_every_flipped_byte_loads_the_same_data_or_names_the_file(tmp_path):
    pixels, labels = _fake_mnist()
    images, _ = _write_pair(tmp_path, pixels, labels)
    good = images.read_bytes()
    # Every header and trailer byte, and a spread of bytes of the deflate stream between them.
    positions = {*range(20), *range(len(good) - 8, len(good)), *range(20, len(good), 23)}
    for position in sorted(positions):
        broken = bytearray(good)
        broken[position] ^= 0xFF
        images.write_bytes(bytes(broken))
        try:
            X, y = load_mnist(tmp_path, normalize=False, flatten=False)["test"]
        except ValueError as error:
            assert str(images) in str(error), f"byte {position}: {error}"
        else:  # a header byte gzip does not check (mtime, OS): the data are intact
            np.testing.assert_array_equal(X, pixels, err_msg=f"byte {position}")
            np.testing.assert_array_equal(y, labels)


# ---------------------------------------------------------------------------------------------
# MNIST: the real test set
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mnist_t10k() -> tuple[np.ndarray, np.ndarray]:
    if not (MNIST_T10K / IMAGES_GZ).is_file():
        message = f"the official MNIST t10k files are not in {MNIST_T10K}"
        if os.environ.get("BACKPROP_LAB_STRICT") == "1":
            pytest.fail(message + " and BACKPROP_LAB_STRICT=1 requires them")
        pytest.skip(message)
    return load_mnist(MNIST_T10K)["test"]


def test_real_mnist_test_set_has_10000_flat_images(mnist_t10k):
    X, y = mnist_t10k
    assert X.shape == (10_000, 784) and X.dtype == np.float32
    assert y.shape == (10_000,) and y.dtype == np.int64


def test_real_mnist_test_set_starts_with_7_2_1_0_4(mnist_t10k):
    _, y = mnist_t10k
    assert y[:5].tolist() == [7, 2, 1, 0, 4]


def test_real_mnist_test_label_counts_are_the_published_ones(mnist_t10k):
    _, y = mnist_t10k
    counts = np.bincount(y, minlength=10)
    assert counts.tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert counts.sum() == 10_000


def test_real_mnist_pixels_span_zero_to_one(mnist_t10k):
    X, _ = mnist_t10k
    assert X.min() == 0.0 and X.max() == 1.0
    assert X.mean() == pytest.approx(0.1325, abs=5e-4)


# ---------------------------------------------------------------------------------------------
# download_mnist (never touches the network)
# ---------------------------------------------------------------------------------------------

REFUSED = "http://127.0.0.1:9/"  # the discard port on loopback: refused at once


def test_download_without_network_names_the_url_and_the_folder(tmp_path):
    folder = tmp_path / "mnist"
    with pytest.raises(RuntimeError) as info:
        download_mnist(folder, base_url=REFUSED, timeout=5)
    message = str(info.value)
    assert "http://127.0.0.1:9/train-images-idx3-ubyte.gz" in message
    assert str(folder) in message and "by hand" in message
    assert list(folder.iterdir()) == []


def test_download_skips_files_already_present(tmp_path):
    for name in mnist.MNIST_MD5:
        (tmp_path / name.removesuffix(".gz")).write_bytes(b"")
    assert download_mnist(tmp_path, base_url=REFUSED) == tmp_path


def test_download_with_a_malformed_base_url_names_it(tmp_path):
    with pytest.raises(ValueError, match="download_mnist: bad base_url 'no-scheme'"):
        download_mnist(tmp_path, base_url="no-scheme")


def _local_mirror(tmp_path: Path, monkeypatch) -> Path:
    """A file:// mirror with made-up contents, and their MD5s in place of the published ones."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for name in mnist.MNIST_MD5:
        content = gzip.compress(name.encode())
        (mirror / name).write_bytes(content)
        monkeypatch.setitem(mnist.MNIST_MD5, name, hashlib.md5(content).hexdigest())
    return mirror


def test_download_writes_every_file_and_no_temporary_ones(tmp_path, monkeypatch):
    mirror = _local_mirror(tmp_path, monkeypatch)
    folder = download_mnist(tmp_path / "mnist", base_url=mirror.as_uri())
    assert sorted(p.name for p in folder.iterdir()) == sorted(mnist.MNIST_MD5)
    for name in mnist.MNIST_MD5:
        assert (folder / name).read_bytes() == (mirror / name).read_bytes()


def test_download_with_wrong_checksum_saves_nothing(tmp_path, monkeypatch):
    mirror = _local_mirror(tmp_path, monkeypatch)
    monkeypatch.setitem(mnist.MNIST_MD5, "train-images-idx3-ubyte.gz", "0" * 32)
    folder = tmp_path / "mnist"
    with pytest.raises(RuntimeError, match=r"train-images-idx3-ubyte\.gz gave a file with MD5"):
        download_mnist(folder, base_url=mirror.as_uri())
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timeout": "30"}, r"download_mnist: timeout must be a finite number >= 0, got '30'"),
        ({"timeout": 0}, "download_mnist: timeout must be > 0 seconds, got 0"),
        ({"timeout": -1.0}, "download_mnist: timeout must be a finite number >= 0, got -1.0"),
        ({"base_url": None}, "download_mnist: base_url must be a str, got None"),
    ],
)
def test_download_names_a_bad_argument_before_touching_the_folder(tmp_path, kwargs, message):
    folder = tmp_path / "mnist"
    with pytest.raises(ValueError, match=message):
        download_mnist(folder, **kwargs)
    assert not folder.exists()
