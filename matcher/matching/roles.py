"""The partner's role in a case: what an officer would call it when planning who to call.

A kind says what a partner is (银行、地方国企); a role says what it does in a
case: the industrial investor who takes the firm over, the financier, the
platform that brokers or holds assets, the disposal channel, the professional
service (管理人、会计师) and the technology partner.  A 地方国企 may be a
guarantee company (financial) or a county platform; an `other` may be an
auction house or a law firm, so the role is read from the name, the kind, the
engagements and the text, in that order of precedence:

1. the name: a profession, a channel or a guarantee/lending or other licensed
   financial business (律师事务所, 拍卖, 融资担保, 信托, 证券 …), and on a local
   state firm the name of a platform (城乡发展, 城投, 投资集团, 国有资本 …): what
   a firm calls itself is what it is, and its description only lists what it
   also does (an auction house "承接破产管理人委托" is not a 管理人; a county
   investment group that "承担担保链风险化解" is not a guarantee company);
2. text cues of a profession or a channel;
3. text cues of a finance business on a non-financial kind (融资担保, 转贷,
   租赁 …); 担保 alone is not one: 担保链 is the risk a platform resolves;
4. a fund whose listed industries lie in one GB/T 大类 (a 钢铁产业结构调整基金
   listing C31, an industrial group's 产业基金 for its own trade): an industrial
   investor, since its mandate is that trade and it takes a firm over for it;
5. the kind (amc, bank, other funds: financial; research: technology);
6. a firm whose business is a supply chain (供应链, 大宗商品): an industrial
   investor; the trading groups (物产中大, 厦门国贸, 建发) buy the makers of the
   chain they trade in, and the 平台 they build for clients is no platform role;
7. a local state firm with platform cues in its text (平台, 园区 …): platform;
   国资 alone is not one ("国资控股", "国资委下属" name the owner of every local
   state firm, the chlorine-alkali maker as much as the county platform), and a
   firm listing a trade that calls itself a group's 旗下 platform is that
   group's business in the trade (越秀集团旗下食品平台): an industrial investor;
8. a firm whose only engagement is 技术改造: technology;
9. otherwise an industrial investor.
"""

from __future__ import annotations

from typing import NamedTuple

from matcher.profile import PartnerProfile

ROLES: dict[str, str] = {
    "industrial": "产业投资人",
    "financial": "金融机构/财务投资人",
    "platform": "平台/撮合方",
    "disposal": "处置渠道",
    "professional": "专业服务（管理人、会计师）",
    "technology": "技术合作方",
}

_PROFESSIONAL = ("律师事务所", "会计师事务所", "破产管理人", "评估事务所", "税务师")
_DISPOSAL = ("拍卖", "产权交易", "二手", "再生资源", "拆除", "废旧")
_FINANCE = (
    "融资担保",
    "担保公司",
    "担保增信",
    "提供担保",
    "贷款担保",
    "转贷",
    "融资租赁",
    "纾困基金",
    "村镇银行",
    "农商行",
    "农村商业银行",
    "小额贷款",
)
"""A lending or guarantee business.  Not 担保 alone: 担保链风险化解 is a platform's duty."""
_FINANCE_NAME = ("信托", "证券", "保险", "期货", "金融租赁")
"""A licensed financial business its name states (外贸信托, 某证券): read from the name only,
since an industrial firm's text may well mention a 信托计划 or an 保险 it bought."""
_PLATFORM_NAME = (
    "城乡发展",
    "城投",
    "城市建设",
    "城市更新",
    "投资集团",
    "投资运营",
    "国有资本",
    "国有资产",
    "国资",
    "园区",
    "开发",
    "产业投资",
    "产业发展",
    "资产运营",
    "资产经营",
)
"""What a county or city investment platform calls itself (on a local state firm)."""
_PLATFORM = ("平台", "国有资本", "国有资产", "园区", "城市", "城乡", "产业投资", "开发")
"""A platform business in a local state firm's text.  Not 国资: it names the owner."""
_ARM = "旗下"
"""A group's arm: "越秀集团旗下食品平台" is the group's food business, not a platform."""
_LENDING_AFTER = ("金融", "融资")
"""供应链金融, 供应链融资: a lender's product, not a supply-chain business."""
_FINANCIAL_KINDS = frozenset({"amc", "bank", "pe_vc", "industrial_fund"})
_FUND_KINDS = frozenset({"pe_vc", "industrial_fund"})


def supply_chain_cue(text: str) -> str | None:
    """供应链 or 大宗商品 as a business in `text`, if it says so (供应链金融 is lending).

    Examples:
        >>> supply_chain_cue("从事大宗商品供应链经营"), supply_chain_cue("开展供应链金融")
        ('供应链', None)
    """
    at = text.find("供应链")
    while at >= 0:
        if not text.startswith(_LENDING_AFTER, at + 3):
            return "供应链"
        at = text.find("供应链", at + 3)
    return "大宗商品" if "大宗商品" in text else None


def single_trade(industries: tuple[str, ...]) -> str | None:
    """The one GB/T 大类 (letter and two digits) all the listed codes lie in, if there is one.

    A code of a 门类 alone ("C") states no trade.

    Examples:
        >>> single_trade(("C31",)), single_trade(("C2651", "C26")), single_trade(("C26", "C28"))
        ('C31', 'C26', None)
    """
    heads = {code.strip().upper()[:3] for code in industries}
    if len(heads) != 1:
        return None
    head = heads.pop()
    return head if len(head) == 3 else None


class Role(NamedTuple):
    code: str
    basis: str
    """What the role was read from, in Chinese."""


def _cue(text: str, cues: tuple[str, ...]) -> str | None:
    return next((c for c in cues if c in text), None)


def _by_name(p: PartnerProfile) -> Role | None:
    """The role the name states, if it states one."""
    name = p.name
    cue = _cue(name, _PROFESSIONAL)
    if cue:
        return Role("professional", f"名称含“{cue}”")
    cue = _cue(name, _DISPOSAL)
    if cue and p.kind not in _FINANCIAL_KINDS:
        return Role("disposal", f"名称含“{cue}”")
    cue = _cue(name, _FINANCE) or _cue(name, _FINANCE_NAME)
    if cue:
        return Role("financial", f"名称含“{cue}”")
    cue = _cue(name, _PLATFORM_NAME)
    if cue and p.kind == "local_soe":
        return Role("platform", f"地方国企，名称含“{cue}”")
    return None


def derive_role(p: PartnerProfile) -> Role:
    """The partner's role and what it was read from.

    Examples:
        >>> derive_role(PartnerProfile(name="滨州澍槌拍卖有限公司", kind="other")).code
        'disposal'
        >>> derive_role(PartnerProfile(name="某拍卖有限公司", kind="other",
        ...                            capabilities="承接法院和破产管理人委托的资产拍卖")).code
        'disposal'
        >>> derive_role(PartnerProfile(name="广饶县坤源城乡发展投资集团有限公司",
        ...                            kind="local_soe",
        ...                            capabilities="承担县域担保链风险化解、企业纾困")).code
        'platform'
        >>> derive_role(PartnerProfile(name="某县澍保融资担保有限公司", kind="local_soe")).code
        'financial'
        >>> derive_role(PartnerProfile(name="某县兴业有限公司", kind="local_soe",
        ...                            capabilities="为中小企业续贷提供担保")).code
        'financial'
    """
    named = _by_name(p)
    if named is not None:
        return named
    head = f"{p.name}\n{p.capabilities}"
    cue = _cue(head, _PROFESSIONAL)
    if cue:
        return Role("professional", f"名称或简介含“{cue}”")
    cue = _cue(head, _DISPOSAL)
    if cue and p.kind not in _FINANCIAL_KINDS:
        return Role("disposal", f"名称或简介含“{cue}”")
    cue = _cue(head, _FINANCE)
    if cue:
        return Role("financial", f"名称或简介含“{cue}”")
    if p.kind in _FUND_KINDS:
        trade = single_trade(p.industries)
        if trade:
            return Role("industrial", f"单一产业基金（{trade}）")
    if p.kind in _FINANCIAL_KINDS:
        return Role("financial", "按主体类型")
    if p.kind == "research":
        return Role("technology", "按主体类型")
    cue = supply_chain_cue(head)
    if cue:
        return Role("industrial", f"供应链企业，简介含“{cue}”")
    if p.kind == "local_soe":
        cue = _cue(head, _PLATFORM)
        if cue and p.industries and 0 <= head.find(_ARM) < head.find(cue):
            return Role("industrial", f"产业集团{_ARM}的业务{cue}")
        if cue:
            return Role("platform", f"地方国企，简介含“{cue}”")
    if set(p.effective_treatments) == {"tech_upgrade"} or (
        p.kind in ("foreign", "other") and "tech_upgrade" in p.effective_treatments
    ):
        return Role("technology", "承接技术改造")
    if p.kind == "other" and set(p.effective_treatments) <= {"exit_liquidation"}:
        return (
            Role("disposal", "只承接清算出清")
            if p.effective_treatments
            else Role("professional", "未列承接类别")
        )
    return Role("industrial", "按主体类型与承接类别")
