"""The legal numbers, as data: one `Ruleset` per (category, method), from RULES.md.

Read a table top to bottom and you have read the law the platform enforces; the engine
only interprets rule ids. A rule a ruleset lacks does not apply to that method (for
example single-source procurement has no response period).

Citations marked "条号待核" in a comment are article numbers still to be checked
against the official text; the numbers themselves are as RULES.md states them.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType

from trading.enums import Category, Method, PriceBasis
from trading.rules.base import MethodRule, Rule, RuleConfigError, Ruleset, RuleValue, Unit

__all__ = ["RULESETS", "Rule", "RuleConfigError", "Ruleset", "get_ruleset", "ruleset_key"]

# Statute names, so citations read the same everywhere.
LAW = "招标投标法"
LAW_REG = "招标投标法实施条例"
GPL = "政府采购法"
GPL_REG = "政府采购法实施条例"
ORDER_87 = "财政部令第87号"  # 政府采购货物和服务招标投标管理办法 (2017)
ORDER_74 = "财政部令第74号"  # 政府采购非招标采购方式管理办法
CONSULT = "政府采购竞争性磋商采购方式管理暂行办法"  # 财库〔2014〕214号
LAND_39 = "招标拍卖挂牌出让国有建设用地使用权规定"  # 国土资源部令第39号
PROPERTY_32 = "企业国有资产交易监督管理办法"  # 国资委 财政部令第32号


def _rule(
    rule_id: str, value: RuleValue, unit: Unit, citation: str, text_zh: str, text_en: str
) -> Rule:
    return Rule(rule_id, value, unit, citation, text_zh, text_en)


def _rules(*rules: Rule) -> dict[str, Rule]:
    return {rule.id: rule for rule in rules}


# The tables keep one rule per block (id, value, unit, citation, then its texts), so the
# formatter is told to leave them alone.
# fmt: off

# --- the electronic opening (电子招标投标办法, 2013), shared by every sealed-bid method ----

E_BIDDING = "电子招标投标办法"
_E_OPENING = _rules(
    _rule("checkin_window_minutes", 30, "count", f"{E_BIDDING} 第29条",
          "所有投标人均应当准时在线参加开标；开标前30分钟起可在线签到，签到仅作出席记录，不是解密的条件",
          "Bidders attend the opening online; check-in opens 30 minutes before it and records "
          "attendance only (it is no condition for decryption)"),
    _rule("decrypt_window_minutes", 30, "count", f"{E_BIDDING} 第30条、第31条",
          "开标开始后30分钟内投标人在线解密；逾期未解密的，以开标密钥解密，无法解密的按第31条处理",
          "Bidders decrypt online within 30 minutes of the opening's start; what is still sealed "
          "then is opened with the custodians' key or decided under Art. 31"),
    # A lot may set its own window (Lot.decrypt_window_minutes), within these bounds.
    _rule("decrypt_window_min_minutes", 15, "count", f"{E_BIDDING} 第30条",
          "招标文件规定的解密时限不得少于15分钟，使投标人有足够时间在线解密",
          "A lot's decryption window is at least 15 minutes, so bidders have time to decrypt"),
    _rule("decrypt_window_max_minutes", 120, "count", f"{E_BIDDING} 第30条、第31条",
          "招标文件规定的解密时限不得超过120分钟，开标不得无限期等待解密",
          "A lot's decryption window is at most 120 minutes: the opening never waits "
          "indefinitely"),
)

# --- construction works (招标投标法 and its regulation) ---------------------------------

_CONSTRUCTION = _E_OPENING | _rules(
    _rule("bid_period_days", 20, "days", f"{LAW} 第24条",
          "自招标文件开始发出之日起至投标截止之日止，最短不得少于20日",
          "At least 20 days from issuing the tender documents to the bid deadline"),
    _rule("docs_available_days", 5, "days", f"{LAW_REG} 第16条",
          "招标文件的发售期不得少于5日",
          "Tender documents must be available for at least 5 days"),
    _rule("clarification_days", 15, "days", f"{LAW} 第23条；{LAW_REG} 第21条",
          "影响投标文件编制的澄清或修改须在投标截止时间至少15日前发出，不足15日的应顺延",
          "A clarification or amendment affecting bids must be issued at least 15 days "
          "before the bid deadline, otherwise the deadline moves"),
    _rule("objection_days", 10, "days", f"{LAW_REG} 第22条",
          "对招标文件有异议的，应在投标截止时间10日前提出",
          "Objections to the tender documents are raised at least 10 days before the "
          "bid deadline"),
    _rule("objection_answer_days", 3, "days", f"{LAW_REG} 第22条",
          "招标人应自收到异议之日起3日内答复，答复前暂停招标投标活动",
          "The tenderer answers an objection within 3 days; the procedure pauses meanwhile"),
    # 1: a bidder registers (报名) before it bids; a center may configure 0 (not required).
    _rule("registration_required", 1, "count", f"{E_BIDDING} 第24条；{LAW_REG} 第16条",
          "投标人应当在招标公告载明的电子招标投标交易平台注册登记并报名，获取招标文件后方可投标",
          "Bidders register for the lot (baoming) on the platform named in the announcement "
          "and obtain the tender documents before bidding"),
    # 1: a bid above the control price (最高投标限价) is rejected; the bidder page refuses to
    # seal one (the platform cannot read a sealed price before the opening).
    _rule("price_ceiling", 1, "count", f"{LAW_REG} 第27条、第51条",
          "投标报价高于招标文件设定的最高投标限价的，评标委员会应当否决其投标",
          "A bid priced above the published maximum price (control price) is rejected"),
    _rule("min_bidders", 3, "count", f"{LAW} 第28条；{LAW_REG} 第44条",
          "投标人少于3个的，不得开标，招标人应当依法重新招标",
          "With fewer than 3 bids the bids are not opened and the lot is re-tendered"),
    _rule("bid_security_max_percent", Decimal(2), "percent", f"{LAW_REG} 第26条",
          "投标保证金不得超过招标项目估算价的2%",
          "Bid security may not exceed 2% of the estimated price"),
    _rule("bid_security_refund_days", 5, "days", f"{LAW_REG} 第35条、第57条",
          "投标保证金应在撤回投标或签订合同后5日内退还",
          "Bid security is refunded within 5 days of withdrawal or of the contract"),
    _rule("committee_min_size", 5, "count", f"{LAW} 第37条",
          "评标委员会成员为5人以上单数，技术、经济等方面的专家不少于三分之二",
          "The committee has an odd number of at least 5 members, experts at least 2/3"),
    _rule("max_candidates", 3, "count", f"{LAW_REG} 第53条",
          "评标委员会推荐的中标候选人应当不超过3个，并标明排序",
          "At most 3 ranked candidates are recommended"),
    _rule("publicity_days", 3, "days", f"{LAW_REG} 第54条",
          "中标候选人公示期不得少于3日",
          "The candidates are published for at least 3 days"),
    _rule("contract_days", 30, "days", f"{LAW} 第46条",
          "自中标通知书发出之日起30日内订立书面合同",
          "The contract is signed within 30 days of the award notice"),
)

_INVITED_CONSTRUCTION = _CONSTRUCTION | _rules(
    _rule("min_invitees", 3, "count", f"{LAW} 第17条",
          "邀请招标应当向3个以上特定的法人或者其他组织发出投标邀请书",
          "An invited tender invites at least 3 suppliers"),
)

# --- government procurement by tender (政府采购法, its regulation, 87号令) -----------------

_PROCUREMENT_TENDER = _E_OPENING | _rules(
    _rule("bid_period_days", 20, "days", f"{GPL} 第35条",
          "自招标文件开始发出之日起至投标人提交投标文件截止之日止，不得少于20日",
          "At least 20 days from issuing the tender documents to the bid deadline"),
    _rule("docs_available_days", 5, "working_days", f"{GPL_REG} 第31条",
          "招标文件的提供期限自开始发出之日起不得少于5个工作日",
          "Tender documents must be available for at least 5 working days"),
    _rule("clarification_days", 15, "days", f"{GPL_REG} 第31条；{ORDER_87} 第27条",
          "可能影响投标文件编制的澄清或修改须在投标截止时间至少15日前通知，不足15日的应顺延",
          "A clarification or amendment affecting bids must be issued at least 15 days "
          "before the bid deadline, otherwise the deadline moves"),
    _rule("challenge_working_days", 7, "working_days", f"{GPL} 第52条",
          "供应商可在知道或应知其权益受到损害之日起7个工作日内提出质疑",
          "A supplier may challenge within 7 working days of learning of the harm"),
    _rule("challenge_answer_working_days", 7, "working_days", f"{GPL} 第53条",
          "采购人应在收到质疑后7个工作日内作出答复",
          "A challenge is answered within 7 working days"),
    # 条号待核: 87号令 第18条 (documents provided as the announcement states).
    _rule("registration_required", 1, "count", f"{E_BIDDING} 第24条；{ORDER_87} 第18条",
          "供应商应当在公告载明的电子交易平台注册登记并报名，获取招标文件后方可投标",
          "Suppliers register for the lot (baoming) on the platform named in the announcement "
          "and obtain the tender documents before bidding"),
    # 1: a bid above the budget or maximum price is invalid (the bidder page refuses to seal it).
    _rule("price_ceiling", 1, "count", f"{ORDER_87} 第63条",
          "投标报价超过招标文件中规定的预算金额或者最高限价的，投标无效",
          "A bid priced above the budget or the maximum price in the tender documents is invalid"),
    _rule("min_bidders", 3, "count", f"{ORDER_87} 第43条；{GPL} 第36条",
          "投标截止时提交投标文件的供应商不足3家的，不得开标",
          "With fewer than 3 bids at the deadline the bids are not opened"),
    _rule("bid_security_max_percent", Decimal(2), "percent", f"{GPL_REG} 第33条",
          "投标保证金不得超过采购项目预算金额的2%",
          "Bid security may not exceed 2% of the budget"),
    _rule("bid_security_refund_days", 5, "working_days", f"{GPL_REG} 第33条",
          "投标保证金应在5个工作日内退还",
          "Bid security is refunded within 5 working days"),
    _rule("committee_min_size", 5, "count", f"{ORDER_87} 第47条",
          "评标委员会由采购人代表和评审专家组成，成员人数应当为5人以上单数",
          "The evaluation committee has an odd number of at least 5 members"),
    _rule("committee_large_size", 7, "count", f"{ORDER_87} 第47条",
          "采购预算金额在1000万元以上的项目，评标委员会成员人数应当为7人以上单数",
          "With a budget of 10,000,000 yuan or more the committee has at least 7 members"),
    _rule("committee_large_budget", Decimal(10_000_000), "yuan", f"{ORDER_87} 第47条",
          "适用7人以上评标委员会的采购预算金额标准为1000万元",
          "Budget from which the larger committee is required: 10,000,000 yuan"),
    _rule("report_working_days", 2, "working_days", f"{GPL_REG} 第43条",
          "评审结束之日起2个工作日内将评审报告送交采购人",
          "The evaluation report reaches the purchaser within 2 working days"),
    _rule("award_decision_working_days", 5, "working_days", f"{GPL_REG} 第43条",
          "采购人应自收到评审报告之日起5个工作日内确定中标供应商",
          "The purchaser chooses the winner within 5 working days of the report"),
    _rule("result_publish_working_days", 2, "working_days", f"{GPL_REG} 第43条",
          "自中标供应商确定之日起2个工作日内发出中标通知书并公告中标结果",
          "The result is published within 2 working days of choosing the winner"),
    _rule("contract_days", 30, "days", f"{GPL} 第46条",
          "自中标通知书发出之日起30日内签订政府采购合同",
          "The contract is signed within 30 days of the award notice"),
)

_INVITED_PROCUREMENT = _PROCUREMENT_TENDER | _rules(
    _rule("min_invitees", 3, "count", f"{GPL} 第34条",
          "邀请招标应当随机选择3家以上供应商发出投标邀请书",
          "An invited tender invites at least 3 randomly chosen suppliers"),
)

# --- government procurement, non-tender methods ---------------------------------------

_NON_TENDER_COMMON = _E_OPENING | _rules(
    _rule("result_publish_working_days", 2, "working_days", f"{GPL_REG} 第43条",
          "自成交供应商确定之日起2个工作日内发出成交通知书并公告成交结果",
          "The result is published within 2 working days of choosing the supplier"),
    _rule("contract_days", 30, "days", f"{GPL} 第46条",
          "自成交通知书发出之日起30日内签订政府采购合同",
          "The contract is signed within 30 days of the award notice"),
    # 条号待核: 74号令 第14条 (negotiation, inquiry), 磋商办法 第12条 (consultation).
    _rule("bid_security_max_percent", Decimal(2), "percent", f"{ORDER_74} 第14条",
          "保证金数额不得超过采购项目预算的2%",
          "Security may not exceed 2% of the budget"),
)

# Non-tender procurement (negotiation, inquiry, consultation) issues its documents on the
# platform the same way. 条号待核.
_NON_TENDER_COMMON = _NON_TENDER_COMMON | _rules(
    _rule("registration_required", 1, "count", f"{E_BIDDING} 第24条",
          "供应商应当在公告载明的电子交易平台注册登记并报名，获取采购文件后方可响应",
          "Suppliers register for the lot (baoming) on the platform and obtain the documents "
          "before responding"),
)

_NEGOTIATION = _NON_TENDER_COMMON | _rules(
    _rule("response_period_days", 3, "working_days", f"{ORDER_74} 第29条",
          "从谈判文件发出之日起至供应商提交首次响应文件截止之日止不得少于3个工作日",
          "At least 3 working days from issuing the negotiation documents to the first "
          "response deadline"),
    _rule("clarification_days", 3, "working_days", f"{ORDER_74} 第10条",
          "影响响应文件编制的澄清或修改须在首次响应文件截止之日3个工作日前通知，不足的应顺延",
          "An amendment affecting responses must be issued at least 3 working days "
          "before the response deadline, otherwise the deadline moves"),
    _rule("min_bidders", 3, "count", f"{GPL} 第38条",
          "竞争性谈判应确定不少于3家供应商参加谈判",
          "At least 3 suppliers take part in a competitive negotiation"),
    _rule("committee_min_size", 3, "count", f"{GPL} 第38条",
          "谈判小组由采购人的代表和有关专家共3人以上的单数组成",
          "The negotiation panel has an odd number of at least 3 members"),
)

_INQUIRY = _NON_TENDER_COMMON | _rules(
    _rule("response_period_days", 3, "working_days", f"{ORDER_74} 第45条",
          "从询价通知书发出之日起至供应商提交响应文件截止之日止不得少于3个工作日",
          "At least 3 working days from issuing the inquiry notice to the response deadline"),
    _rule("clarification_days", 3, "working_days", f"{ORDER_74} 第10条",
          "影响响应文件编制的澄清或修改须在响应文件截止之日3个工作日前通知，不足的应顺延",
          "An amendment affecting responses must be issued at least 3 working days "
          "before the response deadline, otherwise the deadline moves"),
    _rule("min_bidders", 3, "count", f"{GPL} 第40条",
          "询价应确定不少于3家供应商，并向其发出询价通知书",
          "At least 3 suppliers are asked for quotations"),
    _rule("committee_min_size", 3, "count", f"{GPL} 第40条",
          "询价小组由采购人的代表和有关专家共3人以上的单数组成",
          "The inquiry panel has an odd number of at least 3 members"),
)

_CONSULTATION = _NON_TENDER_COMMON | _rules(
    _rule("response_period_days", 10, "days", f"{CONSULT} 第10条",
          "从磋商文件发出之日起至供应商提交首次响应文件截止之日止不得少于10日",
          "At least 10 days from issuing the consultation documents to the first "
          "response deadline"),
    _rule("docs_available_days", 5, "working_days", f"{CONSULT} 第10条",
          "磋商文件的发售期限自开始之日起不得少于5个工作日",
          "Consultation documents must be available for at least 5 working days"),
    _rule("clarification_days", 5, "days", f"{CONSULT} 第10条",
          "影响响应文件编制的澄清或修改须在首次响应文件截止时间至少5日前通知，不足5日的应顺延",
          "An amendment affecting responses must be issued at least 5 days before the "
          "response deadline, otherwise the deadline moves"),
    # 条号待核 for the next three.
    _rule("min_bidders", 3, "count", f"{CONSULT} 第6条",
          "应邀请不少于3家符合相应资格条件的供应商参与竞争性磋商",
          "At least 3 qualified suppliers are invited to a competitive consultation"),
    _rule("committee_min_size", 3, "count", f"{CONSULT} 第14条",
          "磋商小组由采购人代表和评审专家共3人以上单数组成",
          "The consultation panel has an odd number of at least 3 members"),
    _rule("bid_security_max_percent", Decimal(2), "percent", f"{CONSULT} 第12条",
          "磋商保证金不得超过采购项目预算的2%",
          "Security may not exceed 2% of the budget"),
)

# Single source: 74号令 sets no response period (the purchaser negotiates with the one
# supplier), so the engine checks no period for it. What the law does fix is a notice
# before choosing this method when the budget reaches the open-tender threshold.
_SINGLE_SOURCE = _rules(
    _rule("single_source_notice_days", 5, "working_days", f"{GPL_REG} 第38条",
          "达到公开招标数额标准拟采用单一来源的，公示期不得少于5个工作日",
          "Above the open-tender threshold the single-source plan is published for at "
          "least 5 working days"),
    _rule("min_bidders", 1, "count", f"{GPL} 第31条",
          "单一来源采购只能从唯一供应商处采购",
          "Single-source procurement deals with exactly one supplier"),
    _rule("result_publish_working_days", 2, "working_days", f"{GPL_REG} 第43条",
          "自成交供应商确定之日起2个工作日内公告成交结果",
          "The result is published within 2 working days of choosing the supplier"),
    _rule("contract_days", 30, "days", f"{GPL} 第46条",
          "自成交通知书发出之日起30日内签订政府采购合同",
          "The contract is signed within 30 days of the award notice"),
)

# --- land use rights and state-owned property rights (listing, auction) ----------------
# Data only for now: the tender-shaped LotPlan has no listing dates, so check_publish
# applies none of these; the listing service reads them. 条号待核 throughout.

_LAND_ANNOUNCEMENT = _rule(
    "announcement_days", 20, "days", f"{LAND_39} 第11条",
    "出让人应当至少在挂牌或拍卖开始日前20日发布出让公告",
    "The sale is announced at least 20 days before the listing or auction starts")
_LAND_RESULT = _rule(
    "result_publish_working_days", 10, "working_days", f"{LAND_39} 第25条",
    "出让活动结束后10个工作日内公布出让结果",
    "The result is published within 10 working days after the sale")

_LAND_LISTING = _rules(
    _LAND_ANNOUNCEMENT,
    _rule("listing_working_days", 10, "working_days", f"{LAND_39} 第19条",
          "挂牌时间不得少于10个工作日",
          "The listing lasts at least 10 working days"),
    _LAND_RESULT,
)
_LAND_AUCTION = _rules(_LAND_ANNOUNCEMENT, _LAND_RESULT)

_PROPERTY_LISTING = _rules(
    _rule("disclosure_working_days", 20, "working_days", f"{PROPERTY_32} 第13条",
          "产权转让项目正式披露信息时间不得少于20个工作日",
          "A property-rights transfer is disclosed for at least 20 working days"),
    _rule("relisting_floor_percent", Decimal(90), "percent", f"{PROPERTY_32} 第18条",
          "新的挂牌价格低于评估结果的90%时，应经转让行为批准单位书面同意",
          "Relisting below 90% of the appraised value needs the approver's written consent"),
)

# --- evaluation methods each ruleset allows (names of evaluation.methods.registry) --------
# low_price: 综合评分法 with the low-price benchmark; lowest_evaluated_price: 经评审的最低投标价法;
# average_deviation: construction's 综合评估法 (mean with deviation); highest_price: 价高者得.

_CONSTRUCTION_METHODS = MethodRule(
    frozenset({"low_price", "average_deviation", "lowest_evaluated_price"}), f"{LAW} 第41条",
    "中标人的投标应当最大限度满足招标文件的各项综合评价标准（综合评估法），或经评审的投标价格最低",
    "The winning bid best meets the comprehensive criteria, or has the lowest evaluated price")
_PROCUREMENT_METHODS = MethodRule(
    frozenset({"low_price", "lowest_evaluated_price"}), f"{GPL_REG} 第34条",
    "政府采购招标评标方法分为最低评标价法和综合评分法（价格分采用低价优先法）",
    "Government procurement tenders use only the lowest evaluated price or comprehensive "
    "scoring (price scored by the low-price benchmark)")
# 条号待核 for the non-tender methods and the sales.
_LOWEST_PRICE_METHODS = MethodRule(
    frozenset({"lowest_evaluated_price"}), f"{GPL} 第38条、第40条",
    "根据符合采购需求、质量和服务相等且报价最低的原则确定成交供应商",
    "The supplier meeting the requirements with the lowest price is chosen")
_CONSULTATION_METHODS = MethodRule(
    frozenset({"low_price"}), f"{CONSULT} 第23条",
    "经磋商确定最终采购需求和提交最后报价的供应商后，采用综合评分法进行评审",
    "A competitive consultation is evaluated by comprehensive scoring")
_SINGLE_SOURCE_METHODS = MethodRule(
    frozenset({"lowest_evaluated_price"}), f"{GPL} 第39条",
    "采用单一来源方式采购的，应在保证采购项目质量和双方商定合理价格的基础上进行采购",
    "Single source: the purchase is made at a price agreed as reasonable")
_LAND_METHODS = MethodRule(
    frozenset({"highest_price"}), f"{LAND_39} 第20条",
    "挂牌、拍卖出让按照价高者得的原则确定竞得人",
    "Land listings and auctions go to the highest price")
_PROPERTY_METHODS = MethodRule(
    frozenset({"highest_price"}), f"{PROPERTY_32} 第16条",
    "产权转让信息披露期满产生两个以上意向受让方的，采取竞价方式，价高者得",
    "With two or more interested buyers a property-rights transfer goes to the highest price")

# fmt: on


def ruleset_key(category: Category | str, method: Method | str) -> str:
    return f"{Category(category).value}/{Method(method).value}"


def _ruleset(
    category: Category,
    method: Method,
    names: tuple[str, str],
    rules: Mapping[str, Rule],
    methods: MethodRule,
    security_basis: PriceBasis = PriceBasis.BUDGET,
) -> Ruleset:
    key = ruleset_key(category, method)
    return Ruleset(
        key, category, method, names[0], names[1], rules, security_basis, evaluation_methods=methods
    )


_C, _M = Category, Method
_ESTIMATE = PriceBasis.CONTROL_PRICE  # construction: security measured on the estimate

RULESETS: Mapping[str, Ruleset] = MappingProxyType(
    {
        rs.key: rs
        for rs in (
            _ruleset(
                _C.CONSTRUCTION,
                _M.OPEN_TENDER,
                ("工程建设 公开招标", "Construction works, open tender"),
                _CONSTRUCTION,
                _CONSTRUCTION_METHODS,
                _ESTIMATE,
            ),
            _ruleset(
                _C.CONSTRUCTION,
                _M.INVITED_TENDER,
                ("工程建设 邀请招标", "Construction works, invited tender"),
                _INVITED_CONSTRUCTION,
                _CONSTRUCTION_METHODS,
                _ESTIMATE,
            ),
            _ruleset(
                _C.PROCUREMENT,
                _M.OPEN_TENDER,
                ("政府采购 公开招标", "Government procurement, open tender"),
                _PROCUREMENT_TENDER,
                _PROCUREMENT_METHODS,
            ),
            _ruleset(
                _C.PROCUREMENT,
                _M.INVITED_TENDER,
                ("政府采购 邀请招标", "Government procurement, invited tender"),
                _INVITED_PROCUREMENT,
                _PROCUREMENT_METHODS,
            ),
            _ruleset(
                _C.PROCUREMENT,
                _M.COMPETITIVE_NEGOTIATION,
                ("政府采购 竞争性谈判", "Government procurement, competitive negotiation"),
                _NEGOTIATION,
                _LOWEST_PRICE_METHODS,
            ),
            _ruleset(
                _C.PROCUREMENT,
                _M.INQUIRY,
                ("政府采购 询价", "Government procurement, inquiry"),
                _INQUIRY,
                _LOWEST_PRICE_METHODS,
            ),
            _ruleset(
                _C.PROCUREMENT,
                _M.COMPETITIVE_CONSULTATION,
                ("政府采购 竞争性磋商", "Government procurement, competitive consultation"),
                _CONSULTATION,
                _CONSULTATION_METHODS,
            ),
            _ruleset(
                _C.PROCUREMENT,
                _M.SINGLE_SOURCE,
                ("政府采购 单一来源", "Government procurement, single source"),
                _SINGLE_SOURCE,
                _SINGLE_SOURCE_METHODS,
            ),
            _ruleset(
                _C.LAND,
                _M.LISTING,
                ("土地使用权 挂牌出让", "Land use rights, listing"),
                _LAND_LISTING,
                _LAND_METHODS,
            ),
            _ruleset(
                _C.LAND,
                _M.AUCTION,
                ("土地使用权 拍卖出让", "Land use rights, auction"),
                _LAND_AUCTION,
                _LAND_METHODS,
            ),
            _ruleset(
                _C.PROPERTY,
                _M.LISTING,
                ("国有产权 挂牌转让", "State-owned property rights, listing"),
                _PROPERTY_LISTING,
                _PROPERTY_METHODS,
            ),
        )
    }
)


def get_ruleset(
    category: Category | str,
    method: Method | str,
    overrides: Mapping[str, RuleValue] | None = None,
) -> Ruleset:
    """The ruleset of a category + method, with a center's overrides applied."""
    try:
        key = ruleset_key(category, method)
    except ValueError as exc:
        raise RuleConfigError(
            f"未知的项目类别或交易方式：{category!r} / {method!r} / "
            f"unknown category or method: {category!r}, {method!r}"
        ) from exc
    ruleset = RULESETS.get(key)
    if ruleset is None:
        cat = Category(category)
        methods = sorted(rs.method.value for rs in RULESETS.values() if rs.category == cat)
        available = ", ".join(methods) or "none"
        raise RuleConfigError(
            f"没有适用于 {key} 的规则集（该类别可用的交易方式：{available}） / "
            f"no ruleset for category {cat.value!r} with method {Method(method).value!r}; "
            f"methods with a ruleset for this category: {available}"
        )
    return ruleset.with_overrides(overrides) if overrides else ruleset
