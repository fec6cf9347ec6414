"""Plain-text tables for a DiagnosisReport (CLI output, CI logs)."""

from __future__ import annotations

from matcher.diagnosis.evaluation import LABELS, DiagnosisReport, VariantReport

_SHORT = {
    "relief": "relief",
    "strategic_investment": "strat",
    "merger_restructuring": "merger",
    "asset_revitalization": "asset",
    "debt_restructuring": "debt",
    "judicial_reorganization": "judic",
    "exit_liquidation": "exit",
    "tech_upgrade": "tech",
}


def _summary(variants: tuple[VariantReport, ...]) -> list[str]:
    lines = [
        f"{'variant':<20} {'macro-F1':>9} {'accuracy':>9} {'in-accept':>10} {'traps':>7}"
        f" {'flag-recall':>12} {'flagged':>8}"
    ]
    for v in variants:
        trap = "-" if v.trap_accuracy is None else f"{v.trap_accuracy:.3f}"
        recall = "-" if v.flag_recall is None else f"{v.flag_recall:.3f}"
        share = "-" if v.flagged_share is None else f"{v.flagged_share:.3f}"
        lines.append(
            f"{v.name:<20} {v.macro_f1:>9.3f} {v.accuracy:>9.3f} "
            f"{v.within_acceptable:>10.3f} {trap:>7} {recall:>12} {share:>8}"
        )
    lines.append(
        "(flag-recall: share of wrong primaries flagged for review; flagged: share of all)"
    )
    return lines


def _per_category(v: VariantReport) -> list[str]:
    lines = [f"{'category':<26} {'prec':>6} {'recall':>6} {'F1':>6} {'n':>4}"]
    for code, precision, recall, f1, support in v.per_category:
        lines.append(f"{code:<26} {precision:>6.2f} {recall:>6.2f} {f1:>6.2f} {support:>4d}")
    return lines


def _confusion(v: VariantReport) -> list[str]:
    corner = "true \\ predicted"
    header = f"{corner:<16}" + "".join(f"{_SHORT[c]:>7}" for c in LABELS)
    rows = [
        f"{_SHORT[c]:<16}" + "".join(f"{n:>7d}" for n in row)
        for c, row in zip(LABELS, v.confusion, strict=True)
    ]
    return [header, *rows]


def format_diagnosis_report(report: DiagnosisReport) -> str:
    """Render the summary, then per-category and confusion tables per variant.

    Example:
        >>> print(format_diagnosis_report(report))  # doctest: +SKIP
        variant               macro-F1  accuracy  in-accept   traps
        full (rules+model)       0.950     0.950      0.969   0.944
    """
    lines = [
        f"enterprises: {report.n}   model: {report.model_version}   rules: {report.rules_version}",
        "",
        *_summary(report.variants),
    ]
    for variant in report.variants:
        lines += ["", f"== {variant.name} ==", *_per_category(variant), "", *_confusion(variant)]
    return "\n".join(lines) + "\n"
