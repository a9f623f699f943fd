"""Synthetic MicroG-4M-style ground truth and predictions in the authors' file formats."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

WORDS = (
    "the a an astronaut astronauts floats drifts hovers grabs holds releases rotates tilts "
    "station module cabin Columbus laboratory ISS crew panel rack locker handrail hatch bag "
    "pouch cable laptop camera tablet wrench tool wristwatch shirt trousers hair hand hands "
    "arm arms foot feet head shoulder torso blue white turquoise silver black grey red green "
    "near beside behind above below inside across toward away from with without while then "
    "slowly gently quickly upward downward left right forward backward in on of to at by "
    "microgravity weightless velcro experiment payload cargo transfer fan light lights LED "
    "she he they her his their it its is are was were and or but as"
).split()
DECORATED = [
    "station.",
    "module,",
    "ISS.",
    "Velcro-backed",
    "astronaut’s",
    "café",
    "—",
    "(CTB)",
    "mid-air",
    "T-shirt.",
    "e.g.",
    "3",
    "90°",
    "naïve",
    "hands;",
]
QUESTIONS = (
    "Who is the astronaut in the video?",
    "What is the astronaut wearing?",
    "What does the astronaut hold?",
    "Where is the scene taking place?",
    "What color is the bag behind the astronaut?",
    "How does the astronaut move?",
    "What items are visible on the wall?",
    "Why is the astronaut floating?",
)


def sentence(rng: random.Random, n_words: int, *, odd_whitespace: float = 0.0) -> str:
    """A capitalised pseudo-sentence; ``odd_whitespace``: rate of double spaces, tabs, newlines."""
    words = [
        rng.choice(DECORATED) if rng.random() < 0.08 else rng.choice(WORDS) for _ in range(n_words)
    ]
    if words:
        words[0] = words[0].capitalize()
    out = []
    for word in words:
        out.append(word)
        roll = rng.random()
        if roll < odd_whitespace:
            out.append(rng.choice(["  ", "\t", "\n", " \n "]))
        else:
            out.append(" ")
    return "".join(out[:-1]) + "." if words else ""


def perturb(rng: random.Random, text: str, *, keep: float, extra: int) -> str:
    """Drop words with probability 1-keep, swap some neighbours, then append ``extra`` words."""
    words = [w for w in text.split() if rng.random() < keep]
    for i in range(len(words) - 1):
        if rng.random() < 0.1:
            words[i], words[i + 1] = words[i + 1], words[i]
    tail = sentence(rng, extra).split() if extra else []
    return " ".join(words + tail)


def caption_set(seed: int, n_clips: int, *, odd_whitespace: float = 0.0):
    """Ground-truth list and {video_id: caption} predictions (~60-word captions)."""
    rng = random.Random(seed)
    gt, preds = [], {}
    for i in range(n_clips):
        vid = f"clip{seed}_{i:04d}"
        ref = sentence(rng, rng.randint(40, 80))
        qa = [{"Q": q, "A": sentence(rng, rng.randint(1, 15))} for q in rng.sample(QUESTIONS, 6)]
        gt.append({"video_id": vid, "caption": ref, "qa_pairs": qa})
        hyp = perturb(rng, ref, keep=rng.uniform(0.4, 0.95), extra=rng.randint(0, 25))
        if odd_whitespace:
            hyp = sentence(rng, 3, odd_whitespace=1.0) + " " + hyp
        preds[vid] = hyp
    return gt, preds


def vqa_set(seed: int, n_clips: int):
    """Ground-truth list (6 QA pairs per clip) and predictions in the ground-truth shape."""
    rng = random.Random(seed)
    gt, preds = [], []
    for i in range(n_clips):
        vid = f"vqa{seed}_{i:04d}"
        pairs, answered = [], []
        for q in rng.sample(QUESTIONS, 6):
            answer = "Not mentioned." if rng.random() < 0.2 else sentence(rng, rng.randint(1, 15))
            pairs.append({"Q": q, "A": answer})
            guess = (
                perturb(rng, answer, keep=0.7, extra=rng.randint(0, 6))
                if rng.random() < 0.8
                else sentence(rng, rng.randint(1, 12))
            )
            answered.append({"Q": f"  {q} ", "A": f" {guess}\n"})
        gt.append({"video_id": vid, "caption": sentence(rng, 50), "qa_pairs": pairs})
        preds.append({"video_id": vid, "qa_pairs": answered})
    return gt, preds


def write_json(path: Path, data) -> Path:
    """Write ``data`` as UTF-8 JSON (indented, so that line numbers mean something)."""
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def collapse(text: str) -> str:
    """Every whitespace run to one space (what the authors' METEOR wrapper sends)."""
    return re.sub(r"\s+", " ", text)
