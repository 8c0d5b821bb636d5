"""Shared vocabulary of the trading domain: categories, methods, states, roles."""

from enum import StrEnum


class Category(StrEnum):
    """Project category (项目类别)."""

    CONSTRUCTION = "construction"  # 工程建设
    PROCUREMENT = "procurement"  # 政府采购
    LAND = "land"  # 土地使用权
    PROPERTY = "property"  # 国有产权
    OTHER = "other"  # 其他


class Method(StrEnum):
    """Procurement / transaction method (交易方式)."""

    OPEN_TENDER = "open_tender"  # 公开招标
    INVITED_TENDER = "invited_tender"  # 邀请招标
    COMPETITIVE_NEGOTIATION = "competitive_negotiation"  # 竞争性谈判
    INQUIRY = "inquiry"  # 询价
    COMPETITIVE_CONSULTATION = "competitive_consultation"  # 竞争性磋商
    SINGLE_SOURCE = "single_source"  # 单一来源
    LISTING = "listing"  # 挂牌
    AUCTION = "auction"  # 拍卖


class LotState(StrEnum):
    """Lot lifecycle (DESIGN.md, 'The lifecycle of a lot')."""

    DRAFT = "draft"
    ANNOUNCED = "announced"
    OPENING = "opening"
    OPENED = "opened"
    EVALUATED = "evaluated"
    PUBLICITY = "publicity"
    AWARDED = "awarded"
    CANCELLED = "cancelled"
    FAILED = "failed"


class Role(StrEnum):
    TENDERER = "tenderer"  # 招标人
    AGENCY = "agency"  # 招标代理
    BIDDER = "bidder"  # 投标人
    CUSTODIAN = "custodian"  # 开标人/监督人 (holds a key share)
    EVALUATOR = "evaluator"  # 评标专家
    STAFF = "staff"  # 交易中心工作人员
    SUPERVISOR = "supervisor"  # 监督/电子监察


class PriceBasis(StrEnum):
    """Which amount savings are measured against (RULES.md, 'Savings and premium')."""

    BUDGET = "budget"
    CONTROL_PRICE = "control_price"
