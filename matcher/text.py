"""Chinese text normalisation and tokenisation shared by the engine.

Officer notes mix full-width and half-width digits, ％ and %, and spaces
nobody typed on purpose.  Normalising first means every regex and every
token sees one spelling.  Tokens come from jieba (a Chinese word segmenter)
with a small domain dictionary, so that 资产负债率 or 互保联保 stay whole;
whitespace splitting would see one token per sentence.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache

# Domain terms jieba's general dictionary splits apart.  Kept short: these are
# the words whose split would lose meaning (负债 + 率, 专精 + 特新).
DOMAIN_TERMS: tuple[str, ...] = (
    "资产负债率",
    "负债率",
    "产能利用率",
    "净利率",
    "毛利率",
    "逾期债务",
    "逾期贷款",
    "对外担保",
    "互保联保",
    "互保",
    "联保",
    "担保链",
    "担保圈",
    "代偿",
    "抽贷",
    "断贷",
    "压贷",
    "续贷",
    "过桥",
    "应收账款",
    "回款",
    "在手订单",
    "满负荷",
    "专精特新",
    "小巨人",
    "高新技术企业",
    "发明专利",
    "实用新型",
    "破产重整",
    "重整投资人",
    "管理人",
    "资不抵债",
    "预重整",
    "债转股",
    "债委会",
    "淘汰类",
    "落后产能",
    "绩效分级",
    "超低排放",
    "能耗双控",
    "技术改造",
    "技改",
    "半停产",
    "停产",
    "闲置",
    "空置",
    "盘活",
    "查封",
    "轮候查封",
    "欠薪",
    "拖欠工资",
    "接班",
    "实际控制人",
    "兼并重组",
    "战略投资者",
    "股权融资",
    "增资扩股",
    "纾困",
)

_NON_TOKEN = re.compile(r"^[\s\W_]+$", re.UNICODE)
_SPACES = re.compile(r"[ \t\u3000]+")
_lock = threading.Lock()


def normalize_zh(text: str) -> str:
    """Return the text in one canonical spelling.

    NFKC folds full-width digits, letters and ％ to ASCII, so that "１１２％"
    and "112%" parse the same.  Runs of spaces collapse to one.

    Args:
        text: any officer-written text (may be empty).

    Returns:
        The normalised text.

    Example:
        >>> normalize_zh("负债率１１２％")
        '负债率112%'
    """
    folded = unicodedata.normalize("NFKC", text or "")
    return _SPACES.sub(" ", folded).strip()


@lru_cache(maxsize=1)
def _segmenter() -> object:
    """Build jieba's tokenizer once, with the domain terms, quietly."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    for term in DOMAIN_TERMS:
        tokenizer.add_word(term, freq=200000)
    return tokenizer


def tokenize_zh(text: str) -> list[str]:
    """Split Chinese text into words, dropping punctuation and spaces.

    Numbers are kept as tokens but later consumers (TF-IDF) may drop them; the
    words around a number ("逾期", "亿元") carry the meaning.

    Args:
        text: raw or normalised text.

    Returns:
        Lower-cased word tokens in reading order.

    Example:
        >>> tokenize_zh("资产负债率112%，互保联保")
        ['资产负债率', '112', '互保联保']
    """
    clean = normalize_zh(text).lower()
    if not clean:
        return []
    tokenizer = _segmenter()
    with _lock:  # jieba's lazy dictionary load is not thread-safe
        words = tokenizer.lcut(clean, HMM=False)  # type: ignore[attr-defined]
    return [w for w in words if w.strip() and not _NON_TOKEN.match(w)]


def char_ngrams(text: str, n_min: int = 1, n_max: int = 2) -> list[str]:
    """Character n-grams of the normalised text, a segmenter-free fallback.

    Example:
        >>> char_ngrams("停产", 1, 2)
        ['停', '产', '停产']
    """
    clean = re.sub(r"[\s\W_]+", "", normalize_zh(text).lower())
    return [clean[i : i + n] for n in range(n_min, n_max + 1) for i in range(len(clean) - n + 1)]
