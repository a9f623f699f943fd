"""``tools/download.py``: fetch MicroG-4M data and checkpoints, then check them; or only check.

Sub-commands: ``fetch`` (the default when none is named) and ``verify``. Exit status: 0 when
everything is in place, 1 when the check finds errors, 2 on a usage or download error.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from slowfast_microg.hub import download as hub_download
from slowfast_microg.hub.presets import CHOICES, PRESETS, FetchRequest, build_requests, known_models
from slowfast_microg.hub.verify import LAYOUTS, verify_layout

logger = logging.getLogger(__name__)

COMMANDS = ("fetch", "verify")


def _preset_help() -> str:
    lines = [f"  {name:<24} {preset.help}" for name, preset in PRESETS.items()]
    lines.append(f"  {'all':<24} every file of the three repositories")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``tools/download.py``."""
    parser = argparse.ArgumentParser(
        prog="download.py",
        description=(
            "Download the MicroG-4M data (LEI-QI-233/MicroG-4M, LEI-QI-233/MicroG-HAR-train-"
            "ready) and the authors' checkpoints (LEI-QI-233/MicroG-4M-models) from the hub, "
            "then check them; or check a local folder (verify)."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "Without a sub-command, fetch is run. Examples:\n"
            "  download.py --what train-ready --dest data\n"
            "  download.py fetch --what checkpoints --model SLOWFAST_8x8 --dest data\n"
            "  download.py verify data/MicroG-HAR-train-ready\n"
            "See docs/data_access.md."
        ),
    )
    commands = parser.add_subparsers(dest="command", metavar="{fetch,verify}")
    fetch = commands.add_parser(
        "fetch",
        help="download (resumable) and check",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="presets (--what):\n" + _preset_help(),
    )
    fetch.add_argument("--what", choices=CHOICES, default="train-ready", help="what to fetch")
    fetch.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="NAME",
        help=f"with --what checkpoints: one run (repeatable): {', '.join(known_models())} "
        "or the authors' run names",
    )
    fetch.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="PATTERN",
        help="fetch files matching PATTERN instead of the preset's (repeatable; '*' also "
        "matches '/'); use it when a repository's layout differs from the assumed one",
    )
    fetch.add_argument(
        "--exclude", action="append", default=[], metavar="PATTERN", help="skip files (repeatable)"
    )
    fetch.add_argument("--dest", default="data", help="folder receiving one folder per repository")
    fetch.add_argument("--revision", default="main", help="branch, tag or commit")
    fetch.add_argument(
        "--dry-run", action="store_true", help="print what would be fetched; download nothing"
    )
    fetch.add_argument("--no-verify", action="store_true", help="skip the check after fetching")
    fetch.add_argument("--limit", type=int, default=20, help="problems shown per group (0: all)")
    verify = commands.add_parser("verify", help="check a local train-ready folder")
    verify.add_argument("root", help="the dataset root (or a folder above it, e.g. the download)")
    verify.add_argument("--cfg", help="config giving file names and MODEL.NUM_CLASSES")
    verify.add_argument(
        "--layout",
        choices=LAYOUTS,
        default="either",
        help="media each clip needs: frames, videos, either, or none (annotations only)",
    )
    verify.add_argument("--limit", type=int, default=20, help="problems shown per group (0: all)")
    return parser


def _load_cfg(path: str | None):
    from slowfast_microg.config import get_cfg, merge_from_file

    cfg = get_cfg()
    if path:
        merge_from_file(cfg, path)
    return cfg


def run_verify(
    root: str | Path, *, cfg_path: str | None = None, layout: str = "either", limit: int = 20
) -> int:
    """Check a train-ready folder and print the report; 0 if no error, else 1."""
    found = hub_download.find_layout_root(root)
    if found is None:
        print(
            f"{root}: no folder with frame_lists/ and annotations/ at or below it; nothing to "
            "check. Point verify at the dataset root.",
            file=sys.stderr,
        )
        return 1
    report = verify_layout(found, cfg=_load_cfg(cfg_path), layout=layout)
    print(report.format(limit=limit))
    if report.ok:
        print(f"Use DATA.PATH_TO_DATA_DIR {found}")
    return 0 if report.ok else 1


def _check_request(request: FetchRequest, *, limit: int) -> int:
    preset = PRESETS[request.preset]
    kind = preset.verify
    if kind == "layout":
        return run_verify(request.local_dir, layout=preset.media, limit=limit)
    if kind == "checkpoints":
        problems = hub_download.checkpoint_status(request.local_dir, request.models)
        for problem in problems:
            print(f"  - {problem}")
        print("Checkpoints: " + ("FAILED" if problems else "OK") + f" ({request.local_dir})")
        return 1 if problems else 0
    files = [p for p in request.local_dir.rglob("*") if p.is_file() and ".cache" not in p.parts]
    print(f"{request.repo.repo_id}: {len(files)} file(s) in {request.local_dir}")
    return 0 if files else 1


def run_fetch(args: argparse.Namespace) -> int:
    """Download every request of ``args`` and check each; the worst status wins."""
    requests = build_requests(
        what=args.what,
        dest=args.dest,
        revision=args.revision,
        models=args.model,
        include=args.include,
        exclude=args.exclude,
    )
    status = 0
    for request in requests:
        if args.dry_run:
            print("would fetch:", request.snapshot_kwargs())
            continue
        try:
            hub_download.fetch(request)
        except OSError as error:
            print(
                f"Download of {request.repo.repo_id} failed: {error}\nFiles already complete "
                "are kept; run the same command again to resume.",
                file=sys.stderr,
            )
            return 2
        if not args.no_verify:
            status = max(status, _check_request(request, limit=args.limit))
    return status


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse a command line, running ``fetch`` when no sub-command is named."""
    argv = list(argv)
    if not argv or argv[0] not in (*COMMANDS, "-h", "--help"):
        argv.insert(0, "fetch")
    return build_parser().parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``tools/download.py``; returns the exit status."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "verify":
            return run_verify(args.root, cfg_path=args.cfg, layout=args.layout, limit=args.limit)
        return run_fetch(args)
    except (ImportError, KeyError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
