"""Fine-tune the plate reader (PP-OCRv4 recogniser, CTC) on synthetic and TRAINING bench plates.

The network (``alpr_plate_svtr.PlateRecNet``) starts from PaddleOCR's pretrained PP-OCRv4
recogniser, imported by ``ppocr_base.py`` (``--base``). The shipped reader is one such
network (seed 1), trained and exported by ``train_ensemble.py`` (see README.md beside this
file), which runs:

    PYTHONPATH=. nice -n 10 .venv/bin/python tools/training/train_reader.py \
        --bench ../shared/bench/openalpr-us --synth 24000 --synth-seed 1 \
        --synth-dir training-output/reader/synth_s1 --out training-output/reader/seed_1 \
        --base training-output/reader/ppocr_base.pt --seed 1 --minutes 600 --max-steps 1000 \
        --batch 32 --real-frac 0.5 --threads 1 --lr 5e-4

and then ``--export-only OUT/seed_1/last.pt`` (several checkpoints make an ensemble).
Fine-tuning keeps the BatchNorm statistics and the backbone's learnable affine scalars of
the base model fixed and trains every other weight. Real crops are cut around the label's
box (jittered tight or loose, sometimes far too tall) and around the shipped localizer's
own box on the photo (``RealCrops``), so the reader learns the boxes it reads in use.

Held-out bench images (``alpr_desktop.recognition.bench.is_held_out``: every fifth in
name order) are never trained on; they are only scored, every ``--eval-every`` steps.
The result is exported to ``OUT/export/`` (``alpr_plate_svtr.{py,yaml,pth}``);
``--install`` copies it into ``alpr_desktop/resources/models/plate_reader/`` and prints
the SHA-256 values to pin in ``alpr_desktop/recognition/reader.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import math
import shutil
import sys
import time
from collections import OrderedDict
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth_data import build_synth, load_synth

from alpr_desktop.recognition.bench import BenchItem, load_bench
from alpr_desktop.recognition.decoding import ensemble_candidates, rank_candidates
from alpr_desktop.recognition.pipeline import crop_plate
from alpr_desktop.recognition.reader import CHARACTERS, INPUT_H, INPUT_W, prepare_crop
from alpr_desktop.recognition.types import PlateBox

REPO = Path(__file__).resolve().parents[2]
MODEL_DIR = REPO / "alpr_desktop" / "resources" / "models" / "plate_reader"
NAME = "alpr_plate_svtr"
NETWORK_PARAMS = {"input_channel": 1}


def _network_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(NAME, MODEL_DIR / f"{NAME}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_member(base: Path | None = None) -> nn.Module:
    """One network (``Model`` wraps one or more of them), with the base weights if given."""
    member = _network_module().PlateRecNet(num_classes=len(CHARACTERS) + 1)
    if base is not None:
        member.load_state_dict(torch.load(base, map_location="cpu", weights_only=True))
    return member


def set_training(model: nn.Module) -> None:
    """Training mode with the BatchNorm statistics kept as the base model has them."""
    model.train()
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()


def trainable(model: nn.Module) -> list[nn.Parameter]:
    """The weights fine-tuning changes: all but the backbone's learnable affine scalars."""
    frozen = {
        id(p)
        for m in model.modules()
        if type(m).__name__ == "LearnableAffine"
        for p in m.parameters()
    }
    return [p for p in model.parameters() if id(p) not in frozen]


def ensemble(checkpoints: list[Path]) -> nn.Module:
    """The shipped ``Model`` holding the trained networks of ``checkpoints``."""
    model = _network_module().Model(
        num_class=len(CHARACTERS) + 1, members=len(checkpoints), **NETWORK_PARAMS
    )
    for member, ckpt in zip(model.members, checkpoints, strict=True):
        member.load_state_dict(torch.load(ckpt, map_location="cpu", weights_only=True))
    return model


def encode(texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    flat = [CHARACTERS.index(c) + 1 for t in texts for c in t]
    return torch.tensor(flat, dtype=torch.long), torch.tensor([len(t) for t in texts])


def fold(s: str) -> str:
    return s.replace("O", "0").replace("I", "1")


# --------------------------------------------------------------------------- real crops
class RealCrops:
    """Augmented crops of bench photos around their ground-truth boxes.

    ``detected`` maps a photo's name to the shipped localizer's box on it (see
    :func:`localizer_boxes`); a share of the samples are cut around that box instead, so
    the reader learns the localizer's real errors (boxes too tall, shifted, too wide).
    """

    def __init__(self, items: list[BenchItem], detected: dict[str, PlateBox] | None = None) -> None:
        self.regions: list[tuple[np.ndarray, tuple[float, float, float, float]]] = []
        self.detected: list[tuple[float, float, float, float] | None] = []
        self.texts: list[str] = []
        for it in items:
            img = cv2.imread(str(it.image))
            b = it.box
            m = int(max(b.w, b.h))
            x0, y0 = max(0, b.x - m), max(0, b.y - m)
            x1, y1 = min(img.shape[1], b.x + b.w + m), min(img.shape[0], b.y + b.h + m)
            self.regions.append((img[y0:y1, x0:x1].copy(), (b.x - x0, b.y - y0, b.w, b.h)))
            d = (detected or {}).get(it.image.name)
            self.detected.append(None if d is None else (d.x - x0, d.y - y0, d.w, d.h))
            self.texts.append(it.plate)

    def gt_crop(self, i: int, pad: float = 0.0) -> np.ndarray:
        region, (x, y, w, h) = self.regions[i]
        px, py = w * pad / 2, h * pad / 2
        x0, y0 = int(max(0, x - px)), int(max(0, y - py))
        return region[y0 : int(y + h + py), x0 : int(x + w + px)]

    def sample(self, i: int, rng: np.random.Generator) -> np.ndarray:
        region, (x, y, w, h) = self.regions[i]
        mode = rng.random()
        det = self.detected[i]
        tall = False
        if mode < 0.3 and det is not None:  # the localizer's own box, slightly jittered
            dx, dy, dw, dh = det
            cw, ch = dw * rng.uniform(0.95, 1.05), dh * rng.uniform(0.95, 1.05)
            cx = dx + dw / 2 + rng.uniform(-0.03, 0.03) * dw
            cy = dy + dh / 2 + rng.uniform(-0.03, 0.03) * dh
        else:
            if mode < 0.65:  # ground-truth-like box
                cw = w * rng.uniform(0.97, 1.15)
                ch = cw / 2 * rng.uniform(0.85, 1.2)
            else:  # detector-like, looser
                cw = w * rng.uniform(1.05, 1.45)
                ch = cw / 2 * rng.uniform(0.85, 1.25)
            cx = x + w / 2 + rng.uniform(-0.05, 0.05) * w
            cy = y + h / 2 + rng.uniform(-0.08, 0.08) * h
            if mode >= 0.65 and rng.random() < 0.2:
                # the localizer's tail: the loose box made 1.3-2.2 times taller (frame,
                # slogan or bumper taken in), the characters off centre but inside it
                tall_h = ch * rng.uniform(1.3, 2.2)
                cy += rng.choice([-1.0, 1.0]) * rng.uniform(0.3, 0.9) * (tall_h - ch) / 2
                ch, tall = tall_h, True
        ang = np.deg2rad(rng.uniform(-5, 5))
        shear = rng.uniform(-0.12, 0.12)
        # affine: output (u, v) in [0,W]x[0,H] -> region pixels
        sx, sy = cw / INPUT_W, ch / INPUT_H
        ca, sa = math.cos(ang), math.sin(ang)
        a = np.array([[ca * sx, -sa * sy + shear * sy], [sa * sx, ca * sy]], np.float32)
        c = np.array([cx, cy], np.float32) - a @ np.array([INPUT_W / 2, INPUT_H / 2], np.float32)
        mat = np.hstack([a, c[:, None]])
        # shrink first when the crop is big so the warp does not alias
        out = cv2.warpAffine(
            region,
            mat,
            (INPUT_W, INPUT_H),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        ).astype(np.float32)
        if rng.random() < 0.4 and not tall:  # lower resolution (a tall box is low enough)
            f = rng.uniform(0.35, 0.8)
            small = cv2.resize(
                out, (int(INPUT_W * f), max(6, int(INPUT_H * f))), interpolation=cv2.INTER_AREA
            )
            out = cv2.resize(small, (INPUT_W, INPUT_H), interpolation=cv2.INTER_LINEAR)
        out = (out - 128) * rng.uniform(0.6, 1.3) + 128 * rng.uniform(0.6, 1.3)
        out += rng.uniform(-20, 20, 3).astype(np.float32)
        if rng.random() < 0.4:
            out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 1.1))
        out += rng.standard_normal(out.shape, dtype=np.float32) * rng.uniform(0, 5)
        out = np.clip(out, 0, 255).astype(np.uint8)
        if rng.random() < 0.4:
            _, buf = cv2.imencode(
                ".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(20, 90))]
            )
            out = cv2.imdecode(buf, cv2.IMREAD_COLOR)
        return prepare_crop(out)


def localizer_boxes(items: list[BenchItem]) -> dict[str, PlateBox]:
    """Per photo name, the shipped localizer's box best matching the label (IoU >= 0.3);
    photos without such a box are left out."""
    if not items:
        return {}
    from alpr_desktop.recognition.evaluate import iou
    from alpr_desktop.recognition.localizer import OnnxPlateLocalizer

    localizer = OnnxPlateLocalizer(threads=1)
    found: dict[str, PlateBox] = {}
    for it in items:
        frame = cv2.imread(str(it.image))
        if frame is None:
            raise SystemExit(f"{it.image} is not a readable image")
        best = max(localizer.locate(frame), key=lambda b: iou(b, it.box), default=None)
        if best is not None and iou(best, it.box) >= 0.3:
            found[it.image.name] = best
    return found


def localizer_crops(items: list[BenchItem], boxes: dict[str, PlateBox]) -> dict[str, np.ndarray]:
    """Per photo name, the crop (no margin) of its box in ``boxes`` (:func:`localizer_boxes`)."""
    crops = {}
    for it in items:
        if it.image.name in boxes:
            frame = cv2.imread(str(it.image))
            crops[it.image.name] = crop_plate(frame, boxes[it.image.name], 0.0, 0.0)
    return crops


def shift_aug(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Small random scale/translation of an already prepared crop."""
    s = rng.uniform(0.92, 1.08)
    tx, ty = rng.uniform(-4, 4), rng.uniform(-2, 2)
    mat = np.array(
        [[s, 0, (1 - s) * INPUT_W / 2 + tx], [0, s, (1 - s) * INPUT_H / 2 + ty]], np.float32
    )
    return cv2.warpAffine(img, mat, (INPUT_W, INPUT_H), borderMode=cv2.BORDER_REPLICATE)


def to_tensor(batch: np.ndarray) -> torch.Tensor:
    """Grey crops as the three-channel input the network was pre-trained on."""
    x = torch.from_numpy(batch).float().div_(127.5).sub_(1.0).unsqueeze(1)
    return x.expand(-1, 3, -1, -1).contiguous()


@torch.no_grad()
def evaluate(model: nn.Module, crops: list[np.ndarray], texts: list[str]) -> dict[str, float]:
    """Exact and folded-exact reading of ``crops``, decoded as the shipped reader does.

    (beam search per member, proposals scored under every member, plate-rule ranking)
    """
    model.eval()
    preds = []
    for i in range(0, len(crops), 64):
        x = to_tensor(np.stack([prepare_crop(c) for c in crops[i : i + 64]]))
        if hasattr(model, "member_log_probs"):
            lp = model.member_log_probs(x)
        else:
            lp = model(x).log_softmax(2).unsqueeze(0)
        for j in range(lp.shape[1]):
            ranked = rank_candidates(ensemble_candidates(lp[:, j].numpy(), CHARACTERS))
            preds.append(ranked[0].text if ranked else "")
    set_training(model)
    n = max(1, len(texts))
    exact = sum(p == t for p, t in zip(preds, texts, strict=True)) / n
    folded = sum(fold(p) == fold(t) for p, t in zip(preds, texts, strict=True)) / n
    return {"exact": exact, "folded": folded, "n": len(texts), "preds": preds}  # type: ignore[dict-item]


def export(model: nn.Module, out_dir: Path, half: bool) -> Path:
    exp = out_dir / "export"
    exp.mkdir(parents=True, exist_ok=True)
    if not hasattr(model, "members"):  # a single trained network: wrap it as Model(members=1)
        wrapped = _network_module().Model(num_class=len(CHARACTERS) + 1, **NETWORK_PARAMS)
        wrapped.members[0].load_state_dict(model.state_dict())
        model = wrapped
    members = len(model.members)  # type: ignore[arg-type]
    state = OrderedDict()
    for k, v in model.state_dict().items():
        v = v.detach().clone()
        if half and v.is_floating_point():
            v = v.half()
        state["module." + k] = v  # EasyOCR strips the first 7 characters on CPU
    torch.save(state, exp / f"{NAME}.pth")
    shutil.copy(MODEL_DIR / f"{NAME}.py", exp / f"{NAME}.py")
    yaml = (
        "# alpr-desktop plate reader: EasyOCR custom recognition network\n"
        f"imgH: {INPUT_H}\n"
        "lang_list:\n  - en\n"
        f"character_list: {CHARACTERS}\n"
        "network_params:\n"
        + "".join(f"  {k}: {v}\n" for k, v in NETWORK_PARAMS.items())
        + f"  members: {members}\n"
    )
    (exp / f"{NAME}.yaml").write_text(yaml, encoding="utf-8")
    return exp


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--bench", type=Path, default=REPO.parent / "shared" / "bench" / "openalpr-us")
    ap.add_argument("--out", type=Path, default=REPO / "training-output" / "reader")
    ap.add_argument("--synth", type=int, default=24000)
    ap.add_argument("--seed", type=int, default=1, help="seed of the run (and of the synth data)")
    ap.add_argument("--synth-seed", type=int, default=None, help="seed of the synth data")
    ap.add_argument(
        "--synth-dir", type=Path, default=None, help="rendered synth data (default OUT/synth_sN)"
    )
    ap.add_argument("--minutes", type=float, default=60.0, help="training time budget")
    ap.add_argument("--max-steps", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--real-frac", type=float, default=0.5)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument(
        "--train-every",
        type=int,
        default=1,
        help="train on every K-th training photo only (in name order), to measure how "
        "accuracy grows with the number of real plates",
    )
    ap.add_argument("--eval-every", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument(
        "--base",
        type=Path,
        default=REPO / "training-output" / "reader" / "ppocr_base.pt",
        help="pretrained PP-OCRv4 weights written by ppocr_base.py",
    )
    ap.add_argument(
        "--init", type=Path, default=None, help="start from these weights (.pt) instead of --base"
    )
    ap.add_argument(
        "--val-fold",
        type=int,
        choices=range(4),
        default=None,
        help="also keep training photos with index %% 5 == K out of training and score them "
        "(a validation fold for comparing recipes without touching the held-out fifth)",
    )
    ap.add_argument("--half", action="store_true", help="store the exported weights as fp16")
    ap.add_argument(
        "--allow-missing-fonts",
        action="store_true",
        help="render the synthetic set even if some of the Debian fonts are not installed",
    )
    ap.add_argument("--install", action="store_true", help="copy the export into the package")
    ap.add_argument("--no-wait", action="store_true", help="train while synth_data.py renders")
    ap.add_argument(
        "--export-only",
        type=Path,
        nargs="+",
        default=None,
        help="evaluate and export checkpoint(s); several make an ensemble",
    )
    args = ap.parse_args()
    if args.train_every < 1:
        ap.error("--train-every must be 1 or more")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    cv2.setNumThreads(1)
    rng = np.random.default_rng(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    log = open(args.out / "train.log", "a", buffering=1, encoding="utf-8")  # noqa: SIM115

    def say(msg: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        log.write(line + "\n")

    synth_seed = args.seed if args.synth_seed is None else args.synth_seed
    synth_dir = args.synth_dir or args.out / f"synth_s{synth_seed}"
    if args.export_only:
        pass
    elif args.no_wait:  # another process (synth_data.py) is rendering; use what exists
        while len(load_synth(synth_dir, args.synth)[1]) < 2000:
            time.sleep(20)
    else:
        build_synth(
            synth_dir,
            args.synth,
            synth_seed,
            args.bench if args.bench.is_dir() else None,
            allow_missing_fonts=args.allow_missing_fonts,
        )
    s_images, s_texts = load_synth(synth_dir, args.synth)
    keep = [i for i, t in enumerate(s_texts) if 1 <= len(t) <= 12]
    say(f"synthetic samples: {len(s_texts)}")

    train_items, held_items = [], []
    if args.bench.is_dir():
        items = load_bench(args.bench)
        train_items = [i for i in items if not i.held_out]
        held_items = [i for i in items if i.held_out]
    val_items = [
        i for i in train_items if args.val_fold is not None and i.index % 5 == args.val_fold
    ]
    train_items = [i for i in train_items if i not in val_items]
    if args.train_every > 1:  # a learning curve: fewer real plates, everything else equal
        train_items = train_items[:: args.train_every]
    # one localizer pass: its boxes train the reader (training photos) and score it
    detected = localizer_boxes(train_items + val_items + held_items)
    detected_crops = localizer_crops(val_items + held_items, detected)
    real = RealCrops(train_items, detected) if train_items else None
    held = RealCrops(held_items) if held_items else None
    val = RealCrops(val_items) if val_items else None
    say(
        f"bench: {len(train_items)} training, {len(val_items)} validation, "
        f"{len(held_items)} held out (never trained on)"
    )

    if not args.export_only and not args.init and not args.base.is_file():
        raise SystemExit(
            f"{args.base} is missing: write it first with "
            f"tools/training/ppocr_base.py --out {args.base}"
        )
    model = build_member(None if (args.export_only or args.init) else args.base)
    if args.export_only:
        model = ensemble(args.export_only)
        model.eval()
    elif args.init:
        model.load_state_dict(torch.load(args.init, map_location="cpu", weights_only=True))
    n_params = sum(p.numel() for p in model.parameters())
    say(f"model {NAME}: {n_params} parameters")
    set_training(model)
    opt = torch.optim.AdamW(trainable(model), lr=args.lr, weight_decay=1e-4)
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    synth_state: dict[str, object] = {"images": s_images, "texts": s_texts}
    n_real = round(args.batch * args.real_frac) if real else 0
    n_synth = args.batch - n_real

    def batch() -> tuple[torch.Tensor, list[str]]:
        idx = rng.choice(keep, n_synth)
        s_images, s_texts = synth_state["images"], synth_state["texts"]
        imgs = [shift_aug(s_images[i], rng) if rng.random() < 0.5 else s_images[i] for i in idx]
        texts = [s_texts[i] for i in idx]
        if real:
            for j in rng.integers(0, len(real.texts), n_real):
                imgs.append(real.sample(int(j), rng))
                texts.append(real.texts[int(j)])
        return to_tensor(np.stack(imgs)), texts

    def step(x: torch.Tensor, texts: list[str]) -> float:
        logits = model(x)
        lp = logits.log_softmax(2).permute(1, 0, 2)
        targets, lengths = encode(texts)
        loss = ctc(lp, targets, torch.full((x.shape[0],), lp.shape[0], dtype=torch.long), lengths)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        return float(loss.detach())

    def localized(bench_items: list[BenchItem]) -> dict[str, float]:
        """Exact reading of the localizer's crops (no box: wrong), roughly as end to end."""
        if not bench_items:
            return {}
        crops, texts, n = [], [], len(bench_items)
        for it in bench_items:
            if it.image.name in detected_crops:
                crops.append(detected_crops[it.image.name])
                texts.append(it.plate)
        r = evaluate(model, crops, texts) if crops else {"exact": 0.0, "folded": 0.0}
        return {
            "exact": r["exact"] * len(texts) / n,
            "folded": r["folded"] * len(texts) / n,
            "n": n,
        }

    def report(tag: str) -> dict[str, float]:
        if not held:
            return {}
        tight = evaluate(model, [held.gt_crop(i) for i in range(len(held.texts))], held.texts)
        loose = evaluate(model, [held.gt_crop(i, 0.25) for i in range(len(held.texts))], held.texts)
        say(
            f"{tag} held-out GT crops exact {tight['exact']:.3f} folded {tight['folded']:.3f} | "
            f"+25% pad exact {loose['exact']:.3f} folded {loose['folded']:.3f}"
        )
        if val:
            v = evaluate(model, [val.gt_crop(i) for i in range(len(val.texts))], val.texts)
            e = localized(val_items)
            say(
                f"{tag} validation GT crops exact {v['exact']:.3f} folded {v['folded']:.3f} | "
                f"localizer crops exact {e['exact']:.3f}"
            )
        return tight

    t0 = time.time()
    total = 0
    if not args.export_only:
        # warm-up steps at a low LR measure the speed; then OneCycle over the time budget
        t0 = time.time()
        for g in opt.param_groups:
            g["lr"] = args.lr / 25
        warm = min(20, max(2, args.max_steps // 4))
        for _ in range(warm):
            step(*batch())
        per_step = (time.time() - t0) / warm
        total = int(
            min(
                args.max_steps,
                max(100, (args.minutes * 60 - (time.time() - t0)) / (per_step * 1.08)),
            )
        )
        say(f"{per_step:.2f} s/step -> {total} steps")
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt,
            max_lr=args.lr,
            total_steps=total,
            pct_start=0.15,
            div_factor=25,
            final_div_factor=200,
        )
        losses: list[float] = []
        for it in range(1, total + 1):
            losses.append(step(*batch()))
            sched.step()
            if it % 50 == 0:
                loss50, lr = np.mean(losses[-50:]), sched.get_last_lr()[0]
                say(f"step {it}/{total} loss {loss50:.3f} lr {lr:.2e} {time.time() - t0:.0f}s")
            if it % args.eval_every == 0 or it == total:
                report(f"step {it}")
                torch.save(model.state_dict(), args.out / "last.pt")
                if args.no_wait and len(s_texts) < args.synth:
                    s_images, s_texts = load_synth(synth_dir, args.synth)
                    keep = [i for i, t in enumerate(s_texts) if 1 <= len(t) <= 12]
                    synth_state.update(images=s_images, texts=s_texts)
                    say(f"synthetic samples: {len(s_texts)}")
        torch.save(model.state_dict(), args.out / "last.pt")

    # final metrics
    results: dict[str, object] = {
        "steps": total,
        "seconds": round(time.time() - t0),
        "params": n_params,
    }
    if held:
        r = evaluate(model, [held.gt_crop(i) for i in range(len(held.texts))], held.texts)
        results["held_out"] = {k: r[k] for k in ("exact", "folded", "n")}
        say(
            "held-out errors: "
            + ", ".join(f"{t}->{p}" for t, p in zip(held.texts, r["preds"], strict=True) if p != t)
        )  # type: ignore[call-overload]
    if real:
        r = evaluate(model, [real.gt_crop(i) for i in range(len(real.texts))], real.texts)
        results["train"] = {k: r[k] for k in ("exact", "folded", "n")}
    if val:
        r = evaluate(model, [val.gt_crop(i) for i in range(len(val.texts))], val.texts)
        results["validation"] = {k: r[k] for k in ("exact", "folded", "n")}
        results["validation_localized"] = localized(val_items)
    if held:
        results["held_out_localized"] = localized(held_items)
    (args.out / "metrics.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    say(f"metrics: {json.dumps(results)}")

    exp = export(model, args.out, args.half)
    for f in sorted(exp.iterdir()):
        say(
            f"{f.name} {f.stat().st_size} bytes sha256 {hashlib.sha256(f.read_bytes()).hexdigest()}"
        )
    if args.install:
        for f in exp.iterdir():
            shutil.copy(f, MODEL_DIR / f.name)
        say(f"installed into {MODEL_DIR}")


if __name__ == "__main__":
    main()
