"""Import the pretrained PP-OCRv4 recogniser that the plate reader is fine-tuned from.

The base weights are PaddleOCR's ``ch_PP-OCRv4_rec_infer`` (Apache-2.0) as an ONNX file in
the PyPI wheel ``rapidocr_onnxruntime==1.4.4`` (Apache-2.0). This script

1. downloads that wheel with pip (or takes it from ``--wheel``) and checks its SHA-256,
2. extracts ``ch_PP-OCRv4_rec_infer.onnx`` and checks its SHA-256,
3. converts the ONNX graph to torch with onnx2torch and copies every weight into the
   project's hand-written network (``alpr_plate_svtr.PlateRecNet``),
4. checks that the network reproduces onnxruntime's output of the ONNX model on random
   input (all 6 625 classes, before the head is cut down), and
5. keeps the CTC head's rows for blank, 0-9 and A-Z, and saves the state dict.

    PYTHONPATH=. .venv/bin/python tools/training/ppocr_base.py \\
        --out training-output/reader/ppocr_base.pt

It needs the ``train`` extra (onnx, onnx2torch) and, without ``--wheel``, network access
to PyPI; nothing of this is needed at run time. ``train_reader.py --base`` fine-tunes
from the file written. See ``alpr_desktop/resources/models/plate_reader/PPOCR_PROVENANCE.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import Tensor, fx, nn

REPO = Path(__file__).resolve().parents[2]
MODEL_DIR = REPO / "alpr_desktop" / "resources" / "models" / "plate_reader"
NET_NAME = "alpr_plate_svtr"
WHEEL_REQUIREMENT = "rapidocr_onnxruntime==1.4.4"
WHEEL_NAME = "rapidocr_onnxruntime-1.4.4-py3-none-any.whl"
WHEEL_SHA256 = "971d7d5f223a7a808662229df1ef69893809d8457d834e6373d3854bc1782cbf"
ONNX_MEMBER = "rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx"
ONNX_SHA256 = "48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b"
INPUT_H, CHECK_W = 48, 160
CHARACTERS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def network_module() -> Any:
    """The shipped architecture file, imported by path (as EasyOCR does)."""
    spec = importlib.util.spec_from_file_location(NET_NAME, MODEL_DIR / f"{NET_NAME}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch_onnx(wheel: Path | None) -> bytes:
    """The base model's ONNX bytes, from the pinned wheel (downloaded unless given)."""
    with tempfile.TemporaryDirectory() as tmp:
        if wheel is None:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "--only-binary",
                    ":all:",
                    "--dest",
                    tmp,
                    WHEEL_REQUIREMENT,
                ],
                check=True,
            )
            wheel = Path(tmp) / WHEEL_NAME
        data = wheel.read_bytes()
        if _sha256(data) != WHEEL_SHA256:
            sys.exit(f"{wheel}: SHA-256 is not the pinned {WHEEL_SHA256}")
        with zipfile.ZipFile(wheel) as zf:
            onnx_bytes = zf.read(ONNX_MEMBER)
    if _sha256(onnx_bytes) != ONNX_SHA256:
        sys.exit(f"{ONNX_MEMBER} in {wheel}: SHA-256 is not the pinned {ONNX_SHA256}")
    return onnx_bytes


def characters_of(model: Any) -> list[str]:
    """The ONNX model's CTC classes: blank, its dictionary (metadata), then space."""
    meta = {p.key: p.value for p in model.metadata_props}
    return ["<blank>", *meta["character"].splitlines(), " "]


def torch_ready(model: Any) -> Any:
    """The ONNX graph as onnx2torch can convert it.

    paddle2onnx stores every weight as a ``Constant`` node; onnx2torch wants initializers.
    The input's height and width are fixed (48x160) so that shape inference reaches the
    BatchNorm nodes, whose rank onnx2torch needs; the three that follow the SVTR neck's
    reshapes are declared 4-D by hand.
    """
    import onnx
    from onnx import TensorProto, helper

    nodes = []
    for node in model.graph.node:
        if node.op_type == "Constant":
            tensor = node.attribute[0].t
            tensor.name = node.output[0]
            model.graph.initializer.append(tensor)
        else:
            nodes.append(node)
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[2].dim_value, dims[3].dim_value = INPUT_H, CHECK_W
    model = onnx.shape_inference.infer_shapes(model)
    known = {v.name: v for v in model.graph.value_info}
    for node in model.graph.node:
        if node.op_type != "BatchNormalization":
            continue
        info = known.get(node.input[0])
        if info is None or len(info.type.tensor_type.shape.dim) != 4:
            if info is not None:
                model.graph.value_info.remove(info)
            model.graph.value_info.append(
                helper.make_tensor_value_info(
                    node.input[0], TensorProto.FLOAT, ["b", "c", "h", "w"]
                )
            )
    return model


def build_base(onnx_bytes: bytes) -> tuple[nn.Module, float]:
    """The 37-class base network and the largest difference found against onnxruntime."""
    import onnx
    import onnxruntime as ort
    from onnx2torch import convert

    model = onnx.load_from_string(onnx_bytes)
    chars = characters_of(model)
    module = network_module()
    full = module.PlateRecNet(num_classes=len(chars))
    load_from_fx(full, convert(torch_ready(onnx.load_from_string(onnx_bytes))))
    full.eval()

    # the hand-written network must compute what the ONNX model computes
    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    x = torch.rand(2, 3, INPUT_H, CHECK_W, generator=torch.Generator().manual_seed(0)) * 2 - 1
    expected = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    with torch.no_grad():
        got = full(x).exp().numpy()
    diff = float(np.abs(expected - got).max())
    if diff > 1e-4:
        sys.exit(f"the converted network differs from the ONNX model by {diff:.2e}")

    keep = [0] + [chars.index(c) for c in CHARACTERS]
    base = module.PlateRecNet(num_classes=len(CHARACTERS) + 1)
    state = full.state_dict()
    state["head.weight"] = state["head.weight"][keep].clone()
    state["head.bias"] = state["head.bias"][keep].clone()
    base.load_state_dict(state)
    return base, diff


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--out", type=Path, default=REPO / "training-output" / "reader" / "ppocr_base.pt"
    )
    ap.add_argument("--wheel", type=Path, default=None, help=f"a local copy of {WHEEL_NAME}")
    args = ap.parse_args()
    base, diff = build_base(fetch_onnx(args.wheel))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(base.state_dict(), args.out)
    print(f"matches the ONNX model (max difference {diff:.1e}); wrote {args.out}")


# ---------------------------------------------------------------- weight import (fx -> net)


def _op_type(g: fx.GraphModule, node: object) -> str:
    """ONNX op type ("Mul", "Add", "MatMul" or "") of an onnx2torch ``call_module`` node.

    Identified from the module itself (duck-typed, so onnx2torch is not imported).
    """
    if not (isinstance(node, fx.Node) and node.op == "call_module"):
        return ""
    mod = g.get_submodule(str(node.target))
    if type(mod).__name__ == "OnnxMatMul":
        return "MatMul"
    fn = getattr(mod, "math_op_function", None)
    return {torch.mul: "Mul", torch.add: "Add"}.get(fn, "")  # type: ignore[arg-type]


def _const(g: fx.GraphModule, node: object) -> Tensor | None:
    """Value of a ``get_attr`` node, or ``None`` for any other argument."""
    if not (isinstance(node, fx.Node) and node.op == "get_attr"):
        return None
    value: object = g
    for part in str(node.target).split("."):
        value = getattr(value, part)
    assert isinstance(value, Tensor)
    return value


def _affine_pair(g: fx.GraphModule, node: fx.Node, first_op: str) -> tuple[Tensor, Tensor] | None:
    """Match ``first_op(x, a) -> Add(., b)`` with constant ``a`` and ``b``; return ``(a, b)``."""
    if _op_type(g, node) != first_op or len(node.users) != 1:
        return None
    consts = [c for c in (_const(g, a) for a in node.args) if c is not None]
    (user,) = node.users
    if len(consts) != 1 or _op_type(g, user) != "Add":
        return None
    bias = [c for c in (_const(g, a) for a in user.args) if c is not None]
    if len(bias) != 1 or not torch.is_floating_point(bias[0]):
        return None
    return consts[0], bias[0]


class _FxWeights(NamedTuple):
    convs: list[nn.Conv2d]
    bns: list[nn.BatchNorm2d]
    scalars: list[tuple[Tensor, Tensor]]  # learnable affine (scale, bias)
    norms: list[tuple[Tensor, Tensor]]  # LayerNorm (weight, bias)
    linears: list[tuple[Tensor, Tensor]]  # MatMul weight (in, out), bias


def _collect_fx_weights(g: fx.GraphModule) -> _FxWeights:
    """Walk the graph in execution order and group the weights by layer kind."""
    modules = dict(g.named_modules())
    out = _FxWeights([], [], [], [], [])
    for node in g.graph.nodes:
        if node.op != "call_module":
            continue
        mod = modules[str(node.target)]
        if isinstance(mod, nn.Conv2d):
            out.convs.append(mod)
        elif isinstance(mod, nn.BatchNorm2d):
            out.bns.append(mod)
        elif (pair := _affine_pair(g, node, "Mul")) is not None:
            # Scalar affine = learnable affine block; vector affine = LayerNorm weight/bias.
            (out.scalars if pair[0].numel() == 1 else out.norms).append(pair)
        elif (pair := _affine_pair(g, node, "MatMul")) is not None:
            out.linears.append(pair)
    return out


def _modules_of(net: nn.Module, kind: type[nn.Module]) -> Iterator[nn.Module]:
    return (m for m in net.modules() if type(m) is kind)


@torch.no_grad()
def load_from_fx(net: nn.Module, g: fx.GraphModule) -> None:
    """Copy every weight of the onnx2torch PP-OCRv4 GraphModule ``g`` into ``net``.

    Layers are matched by kind in execution order (the modules of ``net`` are
    registered in execution order); every shape is checked and every layer on
    both sides must be consumed, so any structural mismatch raises.
    """
    src = _collect_fx_weights(g)

    for dst_conv, src_conv in zip(_modules_of(net, nn.Conv2d), src.convs, strict=True):
        assert isinstance(dst_conv, nn.Conv2d)
        geometry = ("kernel_size", "stride", "padding", "dilation", "groups")
        if any(getattr(dst_conv, a) != getattr(src_conv, a) for a in geometry):
            raise ValueError(f"conv geometry mismatch: {dst_conv} vs {src_conv}")
        dst_conv.load_state_dict(src_conv.state_dict())
    for dst_bn, src_bn in zip(_modules_of(net, nn.BatchNorm2d), src.bns, strict=True):
        dst_bn.load_state_dict(src_bn.state_dict())

    def copy(dst: Tensor, value: Tensor) -> None:
        if dst.shape != value.shape:
            raise ValueError(f"shape mismatch: {tuple(dst.shape)} vs {tuple(value.shape)}")
        dst.copy_(value)

    affines = (m for m in net.modules() if type(m).__name__ == "LearnableAffine")
    for lab, (scale, bias) in zip(affines, src.scalars, strict=True):
        copy(lab.scale, scale.reshape(1))
        copy(lab.bias, bias.reshape(1))
    for ln, (weight, bias) in zip(_modules_of(net, nn.LayerNorm), src.norms, strict=True):
        assert isinstance(ln, nn.LayerNorm)
        copy(ln.weight, weight)
        copy(ln.bias, bias)
    for lin, (weight, bias) in zip(_modules_of(net, nn.Linear), src.linears, strict=True):
        assert isinstance(lin, nn.Linear)
        copy(lin.weight, weight.t())  # ONNX MatMul stores (in, out)
        copy(lin.bias, bias)


if __name__ == "__main__":
    main()
