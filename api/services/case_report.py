"""The case document (Word, .docx) of one enterprise, written with python-docx.

An officer hands it upward and edits it, so it uses Word's own heading styles
(the navigation pane and a table of contents work) and fonts a Chinese Word
has: 宋体 for the body and 黑体 for headings, set as the East Asian font
(w:eastAsia) as well as the Latin one, or Word would fall back to its Latin
face for Chinese characters.
"""

from __future__ import annotations

import io
import re

from docx import Document
from docx.document import Document as DocumentType
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from api.auth import actor_label
from api.services.case_file import CaseFile
from api.text_format import local_time, percent, wan
from matcher.vocab import (
    ASSET_TYPES,
    CATEGORIES,
    ENCUMBRANCES,
    FINANCIAL_FIELDS,
    MEASURE_STATUSES,
    OPERATING_STATUSES,
    PARTNER_KINDS,
    REVIEW_STATUSES,
)

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BODY_FONT = "宋体"
BODY_FONT_LATIN = "SimSun"
HEADING_FONT = "黑体"
HEADING_FONT_LATIN = "SimHei"
KEY_FIGURES = tuple((label, name) for name, label in FINANCIAL_FIELDS.items())


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _safe(text: str) -> str:
    """Stored text may hold control characters XML cannot: each shows as U+FFFD instead."""
    return _NOT_XML.sub("\ufffd", text)


def _heading(document: DocumentType, text: str, level: int) -> Paragraph:
    return document.add_heading(_safe(text), level=level)


def _para(document: DocumentType, text: str = "", style: str | None = None) -> Paragraph:
    return document.add_paragraph(_safe(text), style=style)


def _run(paragraph: Paragraph, text: str) -> Run:
    return paragraph.add_run(_safe(text))


def _set_font(style: ParagraphStyle, latin: str, east_asian: str, size: float) -> None:
    style.font.name = latin
    style.font.size = Pt(size)
    r_pr = style.element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attribute), latin)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.attrib.pop(qn("w:asciiTheme"), None)
    fonts.attrib.pop(qn("w:eastAsiaTheme"), None)
    fonts.attrib.pop(qn("w:hAnsiTheme"), None)


def _styled_document() -> DocumentType:
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin = section.bottom_margin = Cm(2.5)
    styles = document.styles
    _set_font(styles["Normal"], BODY_FONT_LATIN, BODY_FONT, 11)
    for name, size in (("Title", 20), ("Heading 1", 15), ("Heading 2", 12.5)):
        style = styles[name]
        _set_font(style, HEADING_FONT_LATIN, HEADING_FONT, size)
        style.font.bold = True
        style.font.color.rgb = RGBColor(0, 0, 0)
    _set_font(styles["Table Grid"], BODY_FONT_LATIN, BODY_FONT, 10)
    _page_number_footer(document)
    return document


def _page_number_footer(document: DocumentType) -> None:
    paragraph = document.sections[0].footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run("第 ")
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            field = OxmlElement("w:fldChar")
            field.set(qn("w:fldCharType"), kind)
        else:
            field = OxmlElement("w:instrText")
            field.set(qn("xml:space"), "preserve")
            field.text = text
        run._r.append(field)
    paragraph.add_run(" 页")


def _table(
    document: DocumentType,
    header: tuple[str, ...],
    rows: list[tuple[str, ...]],
    widths_cm: tuple[float, ...],
) -> Table:
    """A bordered table with a bold header row, columns `widths_cm` wide, and space after it."""
    table = document.add_table(rows=1, cols=len(header))
    table.style = document.styles["Table Grid"]
    table.autofit = False
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        _run(cell.paragraphs[0], text).bold = True
    for values in rows:
        for cell, text in zip(table.add_row().cells, values, strict=True):
            cell.text = _safe(text)
    for column, width in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(width)  # the grid (LibreOffice reads it) and each cell (Word does)
        for cell in column.cells:
            cell.width = Cm(width)
    _para(document)
    return table


def _labelled(document: DocumentType, label: str, text: str) -> None:
    paragraph = _para(document)
    _run(paragraph, f"{label}：").bold = True
    _run(paragraph, text or "—")


def _profile(document: DocumentType, case: CaseFile) -> None:
    e = case.enterprise
    _heading(document, "一、企业概况", 1)
    industry = e.industry_name or e.industry_code or "未填"
    _labelled(document, "所在县区", e.county or "未填")
    _labelled(
        document, "所属行业", f"{industry}（{e.industry_code}）" if e.industry_code else industry
    )
    _labelled(document, "统一社会信用代码", e.credit_code or "—")
    _labelled(document, "经营状态", OPERATING_STATUSES.get(e.operating_status, e.operating_status))
    _labelled(document, "产能利用率", percent(e.capacity_utilization))
    _labelled(document, "职工人数", "—" if e.employees is None else str(e.employees))
    _heading(document, "主要财务数据", 2)
    figures = e.financials.model_dump()
    pairs = [(label, wan(figures.get(key))) for label, key in KEY_FIGURES]
    debt_ratio = e.indicators.get("debt_ratio")
    if debt_ratio is not None:
        pairs.append(("资产负债率", percent(float(debt_ratio))))
    if len(pairs) % 2:
        pairs.append(("", ""))
    rows = [(*pairs[i], *pairs[i + 1]) for i in range(0, len(pairs), 2)]
    _table(document, ("指标", "数值", "指标", "数值"), rows, (3.0, 5.0, 3.0, 5.0))
    for label, text in (
        ("主营业务", e.description),
        ("主要困难", e.problems),
        ("诉求", e.demands),
        ("核心优势", e.strengths),
    ):
        if text:
            _labelled(document, label, text)
    if e.assets:
        _heading(document, "主要资产", 2)
        _table(
            document,
            ("类型", "描述", "评估价值", "状态"),
            [
                (
                    ASSET_TYPES.get(a.type, a.type),
                    a.description or "—",
                    wan(a.appraised_value),
                    ("闲置" if a.idle else "在用")
                    + ("" if a.encumbrance == "none" else f"，{ENCUMBRANCES[a.encumbrance]}"),
                )
                for a in e.assets
            ],
            (2.2, 7.6, 2.8, 3.4),
        )


def _diagnosis(document: DocumentType, case: CaseFile) -> None:
    _heading(document, "二、诊断意见", 1)
    d = case.diagnosis
    if d is None:
        _para(document, "尚未诊断。")
    else:
        _labelled(document, "系统诊断主要类别", d.primary_name)
        if d.override is not None:
            _labelled(
                document,
                "人工改判",
                f"{CATEGORIES.get(d.override.primary, d.override.primary)}"
                f"（{actor_label(d.override.actor)}，{local_time(d.override.created_at)}；理由：{d.override.reason}）",
            )
        for c in d.categories[:3]:
            _heading(document, f"{c.name}（{c.probability * 100:.0f}%）", 2)
            for reason in c.reasons or ["无具体理由"]:
                _para(document, reason, style="List Bullet")
    _heading(document, "联动会诊：各部门意见", 2)
    if case.case is not None:
        invited = "、".join(i.department for i in case.case.invitations) or "无"
        _para(
            document,
            f"会诊由 {actor_label(case.case.opened_by)} 于 {local_time(case.case.opened_at)} 发起；"
            f"受邀部门：{invited}。",
        )
    if not case.opinions.data:
        _para(document, "尚无部门意见。")
    for o in case.opinions.data:
        paragraph = _para(document)
        _run(paragraph, o.department).bold = True
        recommended = o.category_name or "未推荐类别"
        mark = "（与系统诊断不同）" if o.differs_from_engine else ""
        _run(paragraph, f"　建议类别：{recommended}{mark}")
        if o.superseded_by is not None:
            _run(paragraph, "　〔已被该部门后续意见取代〕").italic = True
        _para(document, o.opinion)
        if o.proposed_measures:
            _labelled(document, "建议措施", o.proposed_measures)
        note = _para(document, f"{o.author} · {local_time(o.created_at)}")
        note.runs[0].font.size = Pt(9)


def _plan(document: DocumentType, case: CaseFile) -> None:
    _heading(document, "三、帮扶方案（一企一策）", 1)
    decision = case.plan.category
    if decision is None:
        _para(document, "方案施策类别尚未确定。")
    else:
        _labelled(
            document,
            "施策类别",
            f"{decision.category_name}（依据：{decision.source_label}；"
            f"{actor_label(decision.actor)}，{local_time(decision.created_at)}）",
        )
    measures = case.plan.measures
    if not measures:
        _para(document, "尚未制定措施。")
        return
    _table(
        document,
        ("序号", "措施", "责任部门", "完成时限", "状态", "对接合作主体"),
        [
            (
                str(i),
                m.title,
                m.department,
                m.due_date.isoformat(),
                MEASURE_STATUSES.get(m.status, m.status) + ("（逾期）" if m.overdue else ""),
                m.partner_name or "—",
            )
            for i, m in enumerate(measures, 1)
        ],
        (1.1, 5.2, 2.9, 2.2, 1.9, 2.7),
    )


def _partners(document: DocumentType, case: CaseFile) -> None:
    _heading(document, "四、推荐合作主体", 1)
    if not case.partners:
        _para(document, "暂无可推荐的合作主体。")
        return
    _table(
        document,
        ("排名", "合作主体", "类型", "得分", "对接阶段", "推荐理由"),
        [
            (
                str(p.rank),
                p.name,
                PARTNER_KINDS.get(p.kind, p.kind),
                f"{p.score:.2f}",
                REVIEW_STATUSES.get(p.stage, p.stage) if p.stage else "未对接",
                "；".join(p.reasons[:3]) or "—",
            )
            for p in case.partners
        ],
        (1.1, 3.6, 2.0, 1.3, 1.8, 6.2),
    )


def _progress(document: DocumentType, case: CaseFile) -> None:
    _heading(document, "五、推进情况", 1)
    noted = [m for m in case.plan.measures if m.progress]
    done = case.plan.counts.get("done", 0)
    _para(
        document,
        f"共 {len(case.plan.measures)} 项措施：已完成 {done} 项，逾期 {case.plan.overdue} 项。",
    )
    for m in noted:
        _heading(document, m.title, 2)
        for p in m.progress:
            line = f"{local_time(p.at)}（{actor_label(p.actor)}）：{p.note}"
            _para(document, line, style="List Bullet")


def render_case_docx(case: CaseFile) -> bytes:
    """The case document as .docx bytes."""
    document = _styled_document()
    title = _heading(document, f"{case.enterprise.name}联动诊疗情况报告", 0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    when = local_time(case.generated_at)
    by = actor_label(case.generated_by)
    meta = _para(document, f"{case.enterprise.county} · 生成于 {when} · {by}")
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for part in (_profile, _diagnosis, _plan, _partners, _progress):
        part(document, case)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
