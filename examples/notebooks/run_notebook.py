"""Executes a notebook with `jupyter nbconvert --to notebook --execute` and
checks the result: no cell raised, and every cell that shows a figure
(plt.show()) holds a PNG output. Used by ctest (tests/python.cmake).

usage: run_notebook.py JUPYTER NOTEBOOK.ipynb OUTPUT_DIR
"""
import json
import os
import subprocess
import sys


def main():
    jupyter, notebook, outdir = sys.argv[1:4]
    os.makedirs(outdir, exist_ok=True)
    name = os.path.basename(notebook)
    subprocess.run([jupyter, "nbconvert", "--to", "notebook", "--execute",
                    "--ExecutePreprocessor.timeout=120", "--output-dir", outdir, notebook],
                   check=True, timeout=300)
    with open(os.path.join(outdir, name)) as f:
        nb = json.load(f)
    problems, pngs = [], 0
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        outs = cell.get("outputs", [])
        for o in outs:
            if o.get("output_type") == "error":
                problems.append("cell %d raised %s: %s" % (i, o.get("ename"), o.get("evalue")))
        n = sum(1 for o in outs if "image/png" in o.get("data", {}))
        pngs += n
        if "plt.show()" in src and n == 0:
            problems.append("cell %d shows a figure but has no PNG output" % i)
        if cell.get("execution_count") is None:
            problems.append("cell %d was not executed" % i)
    if pngs == 0:
        problems.append("the notebook produced no figure")
    if problems:
        print("\n".join(problems))
        return 1
    print("%s: executed, %d figures" % (name, pngs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
