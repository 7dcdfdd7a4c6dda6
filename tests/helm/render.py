"""Renders a chart with Helm's own template engine (helm-python-sdk).

    python render.py CHART_DIR [VALUES_FILE]

Prints a JSON object: template name (`chart/templates/x.yaml`) -> rendered text.
"""
import json
import sys

import helm_python


def main() -> None:
    chart = helm_python.Chart.load(sys.argv[1])
    values = {}
    if len(sys.argv) > 2:
        with open(sys.argv[2], encoding="utf-8") as f:
            values = helm_python.values_from_yaml(f.read())
    rendered = chart.render(values, name="oracle", namespace="oracle")
    json.dump(rendered, sys.stdout)


if __name__ == "__main__":
    main()
