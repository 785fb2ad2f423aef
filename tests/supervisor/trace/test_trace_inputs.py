"""Inputs as ML users keep them: numbered stage files, --order, torch.save and safetensors
files (mixed in one directory), pickled data refused, oversized .npz members refused."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from supervisor.errors import UsageError
from supervisor.trace.align import diff_traces
from supervisor.trace.order import natural_key, parse_order
from supervisor.trace.parse import TraceFormatError, kind_of, read_trace
from supervisor.trace.tolerance import Policy

Run = Callable[..., subprocess.CompletedProcess[str]]


class Opaque:
    """A class a .pt file may name; weights_only loading must refuse it."""


def _layers(d: Path, values: dict[str, float]) -> Path:
    d.mkdir()
    for name, v in values.items():
        np.save(d / f"{name}.npy", np.full(4, v, dtype=np.float32))
    return d


def test_natural_key_orders_numbers_as_numbers() -> None:
    names = ["layer.10", "layer.2", "layer.1", "01_attn", "00_embed", "layer.1b", "Layer.3"]
    assert sorted(names, key=natural_key) == [
        "00_embed", "01_attn", "Layer.3", "layer.1", "layer.1b", "layer.2", "layer.10",
    ]  # fmt: skip


def test_numbered_files_diverge_at_layer_2_not_layer_10(tmp_path: Path) -> None:
    ref = _layers(tmp_path / "ref", {"layer.1": 1.0, "layer.2": 2.0, "layer.10": 10.0})
    cand = _layers(tmp_path / "cand", {"layer.1": 1.0, "layer.2": 2.5, "layer.10": 10.5})
    a, b = read_trace(ref), read_trace(cand)
    assert [t.name for t in a.taps] == ["layer.1", "layer.2", "layer.10"]
    assert a.order is not None
    assert (a.order.rule, a.order.names) == (
        "natural",
        ("layer.1.npy", "layer.2.npy", "layer.10.npy"),
    )
    r = diff_traces(a, b, Policy())
    assert r.first is not None
    assert (r.label(r.first.index), r.first.previous_pass) == ("layer.2", 0)


def test_cli_prints_the_order_used(run_cli: Run, tmp_path: Path) -> None:
    ref = _layers(tmp_path / "ref", {"layer.1": 1.0, "layer.2": 2.0, "layer.10": 10.0})
    cand = _layers(tmp_path / "cand", {"layer.1": 1.0, "layer.2": 2.5, "layer.10": 10.5})
    r = run_cli(["trace", "diff", str(ref), str(cand)], tmp_path)
    assert (r.returncode, r.stderr) == (2, "")
    assert (
        "  order (a): natural (natural order of the numbered names): "
        "layer.1.npy, layer.2.npy, layer.10.npy"
    ) in r.stdout
    assert f"first divergence: #1 layer.2 ({ref / 'layer.2.npy'}@128)" in r.stdout
    j = run_cli(["trace", "diff", str(ref), str(cand), "--json"], tmp_path)
    doc = json.loads(j.stdout)
    assert doc["inputs"]["b"]["order"] == {
        "rule": "natural",
        "source": None,
        "names": ["layer.1.npy", "layer.2.npy", "layer.10.npy"],
        "unmatched": 0,
    }


def test_order_globs_and_order_file(run_cli: Run, tmp_path: Path) -> None:
    vals = {"embed": 1.0, "attn": 2.0, "mlp": 3.0, "head": 4.0, "extra": 5.0}
    ref = _layers(tmp_path / "ref", vals)
    cand = _layers(tmp_path / "cand", {**vals, "attn": 2.5, "head": 4.5})
    spec = parse_order("embed, attn,mlp, h*")
    t = read_trace(ref, order=spec)
    assert [x.name for x in t.taps] == ["embed", "attn", "mlp", "head", "extra"]
    assert t.order is not None
    assert t.order.describe() == (
        "explicit (--order; 1 not in the order, placed last): "
        "embed.npy, attn.npy, mlp.npy, head.npy, extra.npy"
    )
    order_file = tmp_path / "stages.txt"
    order_file.write_text("# stage order\nhead\n\nembed.npy\nmlp\nattn\n")
    r = run_cli(["trace", "diff", str(ref), str(cand), "--order", str(order_file)], tmp_path)
    assert r.returncode == 2
    assert f"  order (a): explicit ({order_file}; 1 not in the order, placed last): " in r.stdout
    assert "first divergence: #0 head" in r.stdout  # head comes first in that order


def test_order_pattern_matching_nothing_is_an_error(run_cli: Run, tmp_path: Path) -> None:
    ref = _layers(tmp_path / "ref", {"embed": 1.0, "attn": 2.0})
    order_file = tmp_path / "stages.txt"
    order_file.write_text("embed\natn\n")
    r = run_cli(["trace", "diff", str(ref), str(ref), "--order", str(order_file)], tmp_path)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (
        f"error: {order_file}:2: order entry 'atn' matches no stage file or tap — "
        "did you mean attn?\n"
    )
    r = run_cli(["trace", "diff", str(ref), str(ref), "--order", "embed,zzz*"], tmp_path)
    assert r.returncode == 1
    assert r.stderr == (
        "error: --order 'zzz*' matches no stage file or tap — names read: embed.npy, attn.npy\n"
    )
    with pytest.raises(UsageError, match="--order is empty"):
        parse_order(" , ")


def test_torch_save_dicts_lists_and_numbers(tmp_path: Path) -> None:
    p = tmp_path / "stages.pt"
    torch.save(
        {
            "embed": torch.arange(6, dtype=torch.float32).reshape(2, 3),
            "blocks": [torch.ones(2, dtype=torch.float64), {"attn": torch.zeros(3)}],
            "half": torch.tensor([1.5, -2.25], dtype=torch.bfloat16),
            "step": 7,
            "note": "not a tensor",
        },
        p,
    )
    t = read_trace(p)
    assert (t.format, dict(t.skipped)) == ("pt", {"values not tensors or numbers": 1})
    assert [x.name for x in t.taps] == ["embed", "blocks.0", "blocks.1.attn", "half", "step"]
    assert [x.dtype for x in t.taps] == ["float32", "float64", "float32", "bfloat16", "int64"]
    assert t.taps[0].shape == (2, 3)
    np.testing.assert_array_equal(t.taps[3].values, np.array([1.5, -2.25], dtype=np.float32))
    assert t.taps[4].values.tolist() == 7  # type: ignore[union-attr]


def test_torch_zip_is_not_mistaken_for_npz(tmp_path: Path) -> None:
    # a torch.save file is a zip archive too: whatever its suffix, it is read as one
    for name in ("x.npz", "x.bin", "x"):
        p = tmp_path / name
        torch.save({"w": torch.ones(2)}, p)
        assert kind_of(p) == "pt"
    np.savez(tmp_path / "y.npz", w=np.ones(2))
    assert kind_of(tmp_path / "y.npz") == "npz"
    legacy = tmp_path / "legacy.pt"
    torch.save(torch.ones(3), legacy, _use_new_zipfile_serialization=False)
    assert read_trace(legacy).taps[0].values.tolist() == [1.0, 1.0, 1.0]  # type: ignore[union-attr]


def test_torch_file_with_a_pickled_object_is_refused(run_cli: Run, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    p = tmp_path / "bad.pt"
    # an object whose unpickling would run code if it were ever unpickled
    code = (
        "import os, torch\n"
        "class Boom:\n"
        "    def __reduce__(self):\n"
        f"        return (os.system, ('touch {marker}',))\n"
        f"torch.save({{'w': torch.ones(2), 'x': Boom()}}, {str(p)!r})\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    good = tmp_path / "good.pt"
    torch.save({"w": torch.ones(2)}, good)
    r = run_cli(["trace", "diff", str(p), str(good)], tmp_path)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (
        f"error: {p}: holds a pickled object that is not a tensor, container or number; "
        "refused (it names the global posix.system, which weights_only loading does not "
        "allow) — save only tensors, or dicts and lists of tensors "
        "(e.g. torch.save({name: t.detach().cpu()}, path))\n"
    )
    assert not marker.exists()


def test_torch_missing_names_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "w.pt"
    torch.save(torch.ones(2), p)
    monkeypatch.setitem(sys.modules, "torch", None)  # as if torch were not installed
    with pytest.raises(TraceFormatError) as err:
        read_trace(p)
    assert str(err.value) == (
        f"{p}: reading a torch.save file needs PyTorch, which is not installed — "
        "pip install torch (the CPU build is enough), or save the stage as .npy"
    )


def test_pickled_npy_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "obj.npy"
    np.save(p, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(TraceFormatError) as err:
        read_trace(p)
    assert str(err.value) == (
        f"{p}: array holds pickled Python objects (dtype object); refused — object arrays are "
        "pickled Python objects and are never loaded; save a numeric array "
        "(e.g. numpy.save(path, numpy.asarray(x, dtype=numpy.float32)))"
    )
    z = tmp_path / "obj.npz"
    np.savez(z, ok=np.ones(2), bad=np.array([None, 1], dtype=object))
    with pytest.raises(TraceFormatError, match=r"member 'bad' holds pickled Python objects"):
        read_trace(z)


def test_npz_member_declaring_4_gib_is_refused_before_allocating(tmp_path: Path) -> None:
    p = tmp_path / "huge.npz"
    with zipfile.ZipFile(p, "w") as zf, zf.open("x.npy", "w") as fh:
        header = {"descr": "<f8", "fortran_order": False, "shape": (1 << 29,)}
        np.lib.format.write_array_header_1_0(fh, header)
        fh.write(b"\0" * 64)  # 4 GiB declared, 64 bytes present
    with pytest.raises(TraceFormatError) as err:
        read_trace(p)
    assert str(err.value) == (
        f"{p}: member 'x' declares shape (536870912,) of float64 (4294967296 bytes), over the "
        "2147483648-byte limit; refused before allocating — compare smaller stage tensors, or "
        "save this one as .npy (memory-mapped)"
    )


def test_safetensors_read_like_the_reference_implementation(tmp_path: Path) -> None:
    from safetensors.numpy import load_file, save_file
    from safetensors.torch import save_file as save_torch

    p = tmp_path / "m.safetensors"
    rng = np.random.default_rng(0)
    tensors = {
        "layer.10.w": rng.standard_normal((2, 3)).astype(np.float32),
        "layer.2.w": rng.standard_normal(4),
        "layer.1.idx": np.arange(5, dtype=np.int32),
        "mask": np.array([True, False]),
    }
    save_file(tensors, str(p), metadata={"producer": "test"})
    t = read_trace(p)
    assert t.format == "safetensors"
    assert [x.name for x in t.taps] == ["layer.1.idx", "layer.2.w", "layer.10.w", "mask"]
    ref = load_file(str(p))
    for tap in t.taps:
        np.testing.assert_array_equal(tap.values, ref[tap.name])  # type: ignore[arg-type]
        assert tap.values.dtype == ref[tap.name].dtype  # type: ignore[union-attr]
    bf = tmp_path / "bf.st"  # no suffix: recognized by its header
    save_torch({"h": torch.tensor([1.5, -3.0, 0.0078125], dtype=torch.bfloat16)}, str(bf))
    (h,) = read_trace(bf).taps
    assert (h.dtype, h.values.tolist()) == ("bfloat16", [1.5, -3.0, 0.0078125])  # type: ignore[union-attr]


def test_safetensors_bad_headers(tmp_path: Path) -> None:
    def write(name: str, header: dict[str, object], body: bytes) -> Path:
        raw = json.dumps(header).encode()
        p = tmp_path / f"{name}.safetensors"
        p.write_bytes(struct.pack("<Q", len(raw)) + raw + body)
        return p

    p = write("short", {"x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, b"\0" * 8)
    with pytest.raises(TraceFormatError) as err:
        read_trace(p)
    assert str(err.value) == (
        f"{p}: tensor 'x': data_offsets [0, 16] do not hold shape [4] of F32 (16 bytes) within "
        "the 8-byte body — write it with safetensors; it may be truncated"
    )
    p = write("f8", {"x": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}}, b"\0")
    with pytest.raises(TraceFormatError) as err:
        read_trace(p)
    assert str(err.value) == (
        f"{p}: tensor 'x' has dtype 'F8_E4M3', which is not compared — use one of: BF16, BOOL, "
        "F16, F32, F64, I16, I32, I64, I8, U16, U32, U64, U8"
    )
    p = tmp_path / "len.safetensors"
    p.write_bytes(struct.pack("<Q", 1 << 40) + b"{}")
    with pytest.raises(TraceFormatError, match=r"header length 1099511627776 at offset 0"):
        read_trace(p)


def test_mixed_pt_npz_safetensors_directory(run_cli: Run, tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    rng = np.random.default_rng(1)
    embed, attn, head = (rng.standard_normal(8).astype(np.float32) for _ in range(3))

    def stage_dir(name: str, head_values: np.ndarray) -> Path:
        d = tmp_path / name
        d.mkdir()
        torch.save(torch.from_numpy(embed), d / "00_embed.pt")
        np.savez(d / "01_attn.npz", attn=attn)
        save_file({"head": head_values}, str(d / "02_head.safetensors"))
        (d / "notes.txt").write_text("not a stage\n")
        return d

    ref = stage_dir("ref", head)
    np_dir = tmp_path / "npy"
    np_dir.mkdir()
    for name, v in (("00_embed", embed), ("attn", attn), ("head", head)):
        np.save(np_dir / f"{name}.npy", v)
    same = run_cli(["trace", "diff", str(ref), str(np_dir), "--order", "00*,attn,head"], tmp_path)
    assert same.returncode == 0, same.stdout + same.stderr
    assert "PASS: 3 compared, 3 pass, 0 fail" in same.stdout
    bad = head.copy()
    bad[5] += np.float32(0.5)
    cand = stage_dir("cand", bad)
    r = run_cli(["trace", "diff", str(ref), str(cand), "--json"], tmp_path)
    assert r.returncode == 2
    doc = json.loads(r.stdout)
    a = doc["inputs"]["a"]
    assert (a["format"], a["lines"], a["skipped"]) == ("dir", 3, {"files not stage files": 1})
    assert [t["name"] for t in doc["taps"]] == ["00_embed", "attn", "head"]
    assert [t["status"] for t in doc["taps"]] == ["pass", "pass", "fail"]
    first = doc["first_divergence"]
    assert (first["label"], first["previous_pass"]["label"]) == ("head", "attn")
    top = doc["taps"][2]["top_k"][0]
    assert (top["index"], top["a"], top["b"]) == ([5], float(head[5]), float(bad[5]))


def test_torch_is_imported_only_for_pt_files(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.ones(3))
    torch.save(torch.ones(3), tmp_path / "x.pt")
    code = (
        "import contextlib, io, sys\n"
        "from supervisor.cli.main import main\n"
        "sys.argv = ['supervisor', 'trace', 'diff', sys.argv[1], sys.argv[1], '--json']\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main()\n"
        "print('torch' in sys.modules)\n"
    )
    for name, loaded in (("x.npy", "False"), ("x.pt", "True")):
        out = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path / name)],
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout == f"{loaded}\n", out.stderr


def _gguf(path: Path, tensors: dict[str, np.ndarray], **extra: object) -> Path:
    gguf = pytest.importorskip("gguf")
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_array("tokenizer.tokens", ["a", "bb", "ccc"])
    w.add_float32("scale", 0.5)
    for name, value in tensors.items():
        w.add_tensor(name, value, **extra)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def test_gguf_tensors_read_like_the_reference_reader(tmp_path: Path) -> None:
    gguf = pytest.importorskip("gguf")
    tensors = {
        "blk.0.w": np.arange(6, dtype=np.float32).reshape(2, 3),
        "blk.1.h": np.array([1.5, -2.0], dtype=np.float16),
        "blk.10.i": np.array([1, 2, 3], dtype=np.int32),
    }
    p = _gguf(tmp_path / "m.gguf", tensors)
    t = read_trace(p)
    assert (t.format, [x.name for x in t.taps]) == ("gguf", list(tensors))
    for tap, ref in zip(t.taps, gguf.GGUFReader(str(p)).tensors, strict=True):
        assert tap.name == ref.name
        np.testing.assert_array_equal(tap.values, np.asarray(ref.data).reshape(tap.shape))  # type: ignore[arg-type]
        assert tap.values.dtype == tensors[tap.name].dtype  # type: ignore[union-attr]
    assert kind_of(p.rename(tmp_path / "model")) == "gguf"  # recognized by its magic


def test_gguf_quantized_and_truncated_are_refused(tmp_path: Path) -> None:
    gguf = pytest.importorskip("gguf")
    q = np.zeros(18, dtype=np.uint8)  # one Q4_0 block: 32 weights in 18 bytes
    p = _gguf(tmp_path / "q.gguf", {"w": q}, raw_dtype=gguf.GGMLQuantizationType.Q4_0)
    with pytest.raises(TraceFormatError) as err:
        read_trace(p)
    assert str(err.value) == (
        f"{p}: tensor 'w' has GGML type 2 (quantized or unknown); not compared — compare "
        "unquantized tensors: F32, F16, I8, I16, I32, I64, F64, BF16"
    )
    full = _gguf(tmp_path / "f.gguf", {"w": np.ones(64, dtype=np.float32)})
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(full.read_bytes()[:-100])
    with pytest.raises(
        TraceFormatError, match=r"tensor 'w' \(F32, shape \[64\]\) runs past the end"
    ):
        read_trace(cut)
