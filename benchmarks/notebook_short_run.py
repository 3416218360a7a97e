"""Notebook 01 end to end with ``short_run = True``, as a reader on a CPU laptop runs it: minutes and quality.

    python benchmarks/notebook_short_run.py --isa AVX2 --results runs/short_run.json

Executes a copy of notebooks/01_fashion_mnist_dcgan.ipynb in a fresh kernel on the real Fashion-MNIST, with
``short_run = True`` added to its parameters cell and nothing else changed. ``--isa AVX2`` sets
``ONEDNN_MAX_CPU_ISA`` for the kernel, so a CPU with AVX-512 computes like one with AVX2 only (and trains in
float32, as such a CPU does). One cell is added after section 7's quality cell: it writes the notebook's own
``report`` of section 6's run (Fréchet distance on the project classifier, class coverage) to the results.
Prints the wall-clock from kernel start to the last cell, the slowest cells, and the report against the
targets: at most 30 minutes, all 10 classes, and a Fréchet distance at most twice the preset's after 3 epochs
on an AVX2-only CPU (1.56, the mean of 3 seeds in benchmarks/README.md).
"""

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "01_fashion_mnist_dcgan.ipynb"
MINUTES_TARGET = 30
PRESET_AFTER_3_EPOCHS = 1.56  # mean of 3 seeds, AVX2-only CPU, float32: benchmarks/README.md


def prepared(results: Path) -> nbformat.NotebookNode:
    """The notebook with ``short_run = True`` and a cell writing section 7's report to ``results``."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    parameters = next(cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", []))
    parameters.source = parameters.source.replace("short_run = False", "short_run = True", 1)
    assert "short_run = True" in parameters.source, "the parameters cell has no short_run = False"
    quality = next(index for index, cell in enumerate(notebook.cells)
                   if cell.cell_type == "code" and "report = judge.evaluate(generated)" in cell.source)
    notebook.cells.insert(quality + 1, nbformat.v4.new_code_cell(
        "import json as _json\n"
        f"open({str(results)!r}, 'w').write(_json.dumps({{'frechet_distance': report.frechet_distance, "
        "'covered_classes': report.covered_classes, 'class_shares': report.class_shares, 'epochs': epochs, "
        "'config_seed': config.seed, 'samples': quality_samples}))"))
    return notebook


def cell_seconds(cell) -> float:
    timing = cell.metadata.get("execution", {})
    started, ended = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (started and ended):
        return 0.0
    return (datetime.fromisoformat(ended.replace("Z", "+00:00"))
            - datetime.fromisoformat(started.replace("Z", "+00:00"))).total_seconds()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--isa", help="ONEDNN_MAX_CPU_ISA for the kernel, e.g. AVX2 (default: the CPU's own)")
    parser.add_argument("--results", type=Path, default=ROOT / "runs" / "short_run.json")
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dcgan-short-run-") as folder:
        folder = Path(folder)
        report_file = folder / "report.json"
        notebook = prepared(report_file)
        if arguments.isa:
            os.environ["ONEDNN_MAX_CPU_ISA"] = arguments.isa
        os.environ["DCGAN_RUNS_DIR"] = str(folder / "runs")
        started = time.perf_counter()
        NotebookClient(notebook, timeout=3 * 3600, kernel_name="python3",
                       resources={"metadata": {"path": str(folder)}}).execute()
        seconds = time.perf_counter() - started
        report = json.loads(report_file.read_text())
        hardware = next((output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                         for output in cell.outputs if "running on:" in output.get("text", "")), "").strip()
        executed = folder / NOTEBOOK.name
        nbformat.write(notebook, executed)
        slowest = sorted(((cell_seconds(cell), index, cell.source.splitlines()[0][:70])
                          for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"), reverse=True)[:8]
        result = {
            "when": datetime.now().isoformat(timespec="seconds"), "isa": arguments.isa or "native",
            "hardware": hardware, "python": sys.version.split()[0], "minutes": round(seconds / 60, 2),
            "report": report,
            "slowest_cells": [{"seconds": round(cell_time, 1), "cell": index, "first_line": line}
                              for cell_time, index, line in slowest],
            "estimate_printed": [output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                                 and "estimate_training_time(config" in cell.source for output in cell.outputs],
        }
    arguments.results.parent.mkdir(parents=True, exist_ok=True)
    arguments.results.write_text(json.dumps(result, indent=1))
    distance, classes = report["frechet_distance"], report["covered_classes"]
    print(f"notebook 01 with short_run = True, ONEDNN_MAX_CPU_ISA={result['isa']}, {hardware}")
    print(f"  end to end: {result['minutes']:.1f} min (target at most {MINUTES_TARGET})")
    print(f"  section 6's run, {report['epochs']} epochs: Fréchet distance {distance:.2f} = "
          f"{distance / PRESET_AFTER_3_EPOCHS:.2f} × the preset's {PRESET_AFTER_3_EPOCHS} after 3 epochs (target at "
          f"most 2×), {classes}/10 classes (target 10)")
    for entry in result["slowest_cells"]:
        print(f"  {entry['seconds']:7.1f} s  cell {entry['cell']:2d}  {entry['first_line']}")
    met = seconds <= MINUTES_TARGET * 60 and classes == 10 and distance <= 2 * PRESET_AFTER_3_EPOCHS
    print("targets met" if met else "targets NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
