#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes tests/fixtures/torch_io/, the PyTorch files test_torch_io reads, and expected.json,
which describes their content exactly (every value, every tensor's dtype, shape, strides,
storage offset and elements).

Run with Debian's python3-torch (PyTorch 1.13), not a virtual environment:
    /usr/bin/python3 tests/tools/make_torch_io_fixtures.py

Files:
  content.pt             torch.save(CONTENT): zip format, pickle protocol 2 (the default)
  content_p4.pt          the same with pickle_protocol=4 (FRAME, STACK_GLOBAL, MEMOIZE, ...)
  content_legacy.pt      the same with _use_new_zipfile_serialization=False (pre-1.6 format)
  cuda_location.pt       tensors whose storages claim location 'cuda:0' (a GPU checkpoint),
  cuda_location_legacy.pt  made by patching the location string, since no GPU is needed here
  tensor_only.pt         torch.save(tensor), for loadSingleTensor
  truncated.pt           content.pt cut in half
  truncated_legacy.pt    content_legacy.pt cut inside its tensor data
  not_torch.txt          a text file
  plain_pickle.pkl       a pickle that torch.save did not write
  numpy_global.pt        a checkpoint holding a numpy scalar (unsupported global)
  deflated.zip           a zip with deflated and stored entries (as numpy's savez_compressed)
"""
import collections
import io
import json
import math
import os
import pickle
import zipfile

import numpy as np
import torch

OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    "..", "fixtures", "torch_io"))

DTYPE_NAMES = {
    torch.float32: "float32", torch.float64: "float64", torch.float16: "float16",
    torch.bfloat16: "bfloat16", torch.int64: "int64", torch.int32: "int32",
    torch.int16: "int16", torch.int8: "int8", torch.uint8: "uint8", torch.bool: "bool",
}


def dtype_tensors():
    base = torch.arange(-3, 9).reshape(3, 4)
    return collections.OrderedDict([
        ("float32", torch.tensor([[0.5, -1.25, 1e-30, 3.0e38], [1e-45, -0.0, 7.0, 0.1]])),
        ("float64", base.double() / 3),
        ("float16", base.half() * 0.25),
        ("bfloat16", base.bfloat16() * 2),
        ("int64", torch.tensor([-2**63, 2**63 - 1, 0, 1_000_000_007, -42])),
        ("int32", base.int() * 100000),
        ("int16", base.short() * 1000),
        ("int8", base.char() * 10),
        ("uint8", (base + 3).byte() * 20),
        ("bool", base % 3 == 0),
    ])


def views():
    # One storage shared by six tensors, several of them non-contiguous or offset.
    storage = torch.arange(24, dtype=torch.float32)
    grid = storage.view(4, 6)
    return collections.OrderedDict([
        ("base", grid),
        ("transposed", grid.t()),
        ("sliced", grid[1:3, 2:5]),
        ("strided", storage[1::3]),
        ("share_a", storage[:12].view(3, 4)),
        ("share_b", storage[12:]),
    ])


def state_dict():
    torch.manual_seed(0)
    layer = torch.nn.Linear(3, 2)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
        layer.bias.copy_(torch.tensor([0.5, -0.5]))
    return layer.state_dict()  # an OrderedDict with a _metadata attribute (pickled by BUILD)


def content():
    shared_list = [1, 2]
    return {
        "int_small": 7,
        "int_medium": 300,
        "int_large": 70000,
        "int_negative": -5,
        "int_big": 2**40,
        "int_min": -2**63,
        "int_max": 2**63 - 1,
        "float": 1.5,
        "float_pi": math.pi,
        "float_tiny": 5e-324,
        "string": "h\u00e9llo w\u00f6rld \u2713",
        "empty_string": "",
        "true": True,
        "false": False,
        "none": None,
        "bytes": b"\x00\x01\x7f\x80\xfe\xff",
        "empty_bytes": b"",
        "list": [1, "two", 3.0, None, [4, [5]]],
        "tuple": (1, (2, 3), ()),
        "tuple1": ("a",),
        "tuple4": (1, 2, 3, 4),
        "empty_list": [],
        "empty_dict": {},
        "nested": {"a": {"b": [{"c": 1}]}},
        "ordered": collections.OrderedDict([("z", 1), ("a", 2), ("m", 3)]),
        "int_keys": {0: "zero", 1: "one", 300: "three hundred"},
        "shared_list": [shared_list, shared_list],
        "dtypes": dtype_tensors(),
        "scalar": torch.tensor(3.25),
        "empty_tensor": torch.zeros(0, 3),
        "views": views(),
        "param": torch.nn.Parameter(torch.ones(2, 2)),
        "state_dict": state_dict(),
    }


def cuda_content():
    storage = torch.arange(10, dtype=torch.float32) / 4
    return collections.OrderedDict([
        ("weight", storage[:6].view(2, 3)),
        ("bias", storage[6:]),
        ("steps", torch.tensor(12, dtype=torch.int64)),
    ])


def describe(value):
    """The JSON form of a value, as the C++ test compares it."""
    if value is None:
        return {"type": "none"}
    if isinstance(value, bool):
        return {"type": "bool", "value": value}
    if isinstance(value, int):
        return {"type": "int", "value": value}
    if isinstance(value, float):
        return {"type": "float", "value": value}
    if isinstance(value, str):
        return {"type": "str", "value": value}
    if isinstance(value, bytes):
        return {"type": "bytes", "hex": value.hex()}
    if isinstance(value, torch.Tensor):
        t = value.detach()
        flat = t.reshape(-1)
        values = (flat.long() if not t.is_floating_point() else flat.double()).tolist()
        return {"type": "tensor", "dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape),
                "stride": list(t.stride()), "offset": t.storage_offset(), "values": values}
    if isinstance(value, (list, tuple)):
        return {"type": "list" if isinstance(value, list) else "tuple",
                "items": [describe(v) for v in value]}
    if isinstance(value, dict):
        return {"type": "dict", "ordered": isinstance(value, collections.OrderedDict),
                "entries": [[describe(k), describe(v)] for k, v in value.items()]}
    raise TypeError(type(value))


def same(a, b):
    """Deep equality including container types, tensor layout and dtype."""
    if isinstance(a, torch.Tensor):
        return (isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape
                and a.stride() == b.stride() and a.storage_offset() == b.storage_offset()
                and torch.equal(a, b))
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a.keys()) == list(b.keys()) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def path(name):
    return os.path.join(OUT, name)


def save(obj, name, **kwargs):
    torch.save(obj, path(name), **kwargs)
    assert same(torch.load(path(name)), obj), name


def patch_location_zip(source, target):
    """Rewrites a zip-format file so its storages claim to live on cuda:0."""
    with zipfile.ZipFile(path(source)) as zin:
        entries = [(info.filename, zin.read(info.filename)) for info in zin.infolist()]
    prefix = os.path.splitext(target)[0]
    with zipfile.ZipFile(path(target), "w", zipfile.ZIP_STORED) as zout:
        for name, data in entries:
            name = prefix + name[name.index("/"):]
            if name.endswith("/data.pkl"):
                assert data.count(b"X\x03\x00\x00\x00cpu") == 1
                data = data.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
            zout.writestr(name, data)


def patch_location_legacy(source, target):
    with open(path(source), "rb") as f:
        data = f.read()
    assert data.count(b"X\x03\x00\x00\x00cpu") == 1
    with open(path(target), "wb") as f:
        f.write(data.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0"))


def check_cuda_file(name, expected):
    with open(path(name), "rb") as f:
        assert b"cuda:0" in f.read()
    assert same(torch.load(path(name), map_location="cpu"), expected), name


def main():
    os.makedirs(OUT, exist_ok=True)
    obj = content()
    save(obj, "content.pt")
    save(obj, "content_p4.pt", pickle_protocol=4)
    save(obj, "content_legacy.pt", _use_new_zipfile_serialization=False)

    cuda = cuda_content()
    save(cuda, "cuda_tmp.pt")
    patch_location_zip("cuda_tmp.pt", "cuda_location.pt")
    os.remove(path("cuda_tmp.pt"))
    check_cuda_file("cuda_location.pt", cuda)
    save(cuda, "cuda_tmp_legacy.pt", _use_new_zipfile_serialization=False)
    patch_location_legacy("cuda_tmp_legacy.pt", "cuda_location_legacy.pt")
    os.remove(path("cuda_tmp_legacy.pt"))
    check_cuda_file("cuda_location_legacy.pt", cuda)

    tensor_only = torch.arange(6, dtype=torch.float32).reshape(2, 3) - 2.5
    save(tensor_only, "tensor_only.pt")

    with open(path("content.pt"), "rb") as f:
        data = f.read()
    with open(path("truncated.pt"), "wb") as f:
        f.write(data[: len(data) // 2])
    with open(path("content_legacy.pt"), "rb") as f:
        data = f.read()
    with open(path("truncated_legacy.pt"), "wb") as f:
        f.write(data[: len(data) - 100])
    with open(path("not_torch.txt"), "w") as f:
        f.write("This is not a PyTorch file.\n")
    with open(path("plain_pickle.pkl"), "wb") as f:
        pickle.dump({"a": 1}, f, protocol=2)
    torch.save({"x": np.float64(1.5)}, path("numpy_global.pt"))

    with zipfile.ZipFile(path("deflated.zip"), "w") as z:
        z.writestr("text.txt", "hello deflate\n" * 1000, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("bytes.bin", bytes(range(256)) * 16, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("stored.txt", "stored as is\n", compress_type=zipfile.ZIP_STORED)
        z.writestr("empty.bin", b"", compress_type=zipfile.ZIP_DEFLATED)

    expected = {
        "content": describe(obj),
        "cuda_location": describe(cuda),
        "tensor_only": describe(tensor_only),
        "shared_views": list(views().keys()),
    }
    with open(path("expected.json"), "w") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write("\n")

    for name in sorted(os.listdir(OUT)):
        size = os.path.getsize(path(name))
        assert size < 100_000, (name, size)
        print(f"{size:8d}  {name}")


if __name__ == "__main__":
    main()
