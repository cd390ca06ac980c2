"""``spinbench gui [--sim | --config lab.toml]``: open the lab GUI (app/gui/)."""
from __future__ import annotations

import argparse
import sys


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("gui", help="open the lab GUI (live plots, run control, data browser)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--sim", action="store_true", help="use the built-in simulated lab (default)")
    src.add_argument("--config", help="lab TOML file (real instruments)")
    p.add_argument("--out", help="folder for run files (default: the last one used, else ./runs)")
    p.add_argument("--speed", type=float, default=None,
                   help="simulated lab only: simulated seconds per wall second (0: as fast as possible; default 1)")
    p.add_argument("--reset-layout", action="store_true", help="forget the saved window layout and settings")
    p.set_defaults(func=cmd_gui)


def cmd_gui(args: argparse.Namespace) -> int:
    from app.labconfig import lab_from_file
    from app.simlab import build_sim_lab

    if args.config:
        factory = lambda: lab_from_file(args.config)  # noqa: E731
    else:
        factory = build_sim_lab
    if args.speed is not None and args.speed < 0:
        raise ValueError(f"--speed {args.speed}: must be >= 0 (0 runs the simulation as fast as possible)")
    from app.gui.app import run_app

    return run_app(factory, out_dir=args.out, speed=args.speed, reset=args.reset_layout, argv=sys.argv[:1])
