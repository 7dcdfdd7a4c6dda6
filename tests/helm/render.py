"""Renders a chart with Helm's own template engine (helm-python-sdk).

    python render.py CHART_DIR [VALUES_FILE]

Prints a JSON object: template name (`chart/templates/x.yaml`) -> rendered text.

A dependency the chart declares but does not vendor under `charts/` (as a
checkout holds a Bitnami chart before `helm dependency build`) is taken
from `library/` beside this script, in a copy of the chart: Helm refuses
to render without it.
"""
import json
import os
import shutil
import sys
import tempfile

import helm_python

LIBRARY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "library")


def declared_dependencies(chart_dir: str) -> list:
    with open(os.path.join(chart_dir, "Chart.yaml"), encoding="utf-8") as f:
        meta = helm_python.values_from_yaml(f.read())
    return [d.get("name") for d in meta.get("dependencies") or [] if d.get("name")]


def missing_libraries(chart_dir: str) -> list:
    vendored = os.path.join(chart_dir, "charts")
    return [
        name
        for name in declared_dependencies(chart_dir)
        if not os.path.isdir(os.path.join(vendored, name)) and os.path.isdir(os.path.join(LIBRARY, name))
    ]


def render(chart_dir: str, values: dict) -> dict:
    chart = helm_python.Chart.load(chart_dir)
    return chart.render(values, name="oracle", namespace="oracle")


def main() -> None:
    chart_dir = sys.argv[1]
    values = {}
    if len(sys.argv) > 2:
        with open(sys.argv[2], encoding="utf-8") as f:
            values = helm_python.values_from_yaml(f.read()) or {}
    missing = missing_libraries(chart_dir)
    if missing:
        with tempfile.TemporaryDirectory() as tmp:
            copy = os.path.join(tmp, os.path.basename(os.path.normpath(chart_dir)))
            shutil.copytree(chart_dir, copy)
            for name in missing:
                shutil.copytree(os.path.join(LIBRARY, name), os.path.join(copy, "charts", name))
            rendered = render(copy, values)
    else:
        rendered = render(chart_dir, values)
    json.dump(rendered, sys.stdout)


if __name__ == "__main__":
    main()
