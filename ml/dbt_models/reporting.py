"""The insights_report model: write the report from the published warehouse (logic in ml/apps/reports)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ml.apps import warehouse
from ml.apps.reports.report import build_report
from ml.engine.registry import parse_registry


def report_model(registry: str, reports_dir: str, published_path: str) -> pd.DataFrame:
    segmentations = parse_registry(json.loads(registry))
    files = build_report(segmentations, lambda sql: warehouse.read_frame(sql, published_path), Path(reports_dir))
    return pd.DataFrame(files, columns=["file_path", "file_kind"])
