"""Domain errors raised by services and mapped to HTTP answers in one place.

Services never raise HTTPException: the CLI and jobs call them too.  Messages
are constants so that tests can assert on the exact text the user sees.
"""

from __future__ import annotations

from api.etags import etag_for

NOT_FOUND = "{entity} {id} 不存在"
CREDIT_CODE_TAKEN = "统一社会信用代码 {code} 已被 {entity} {id} 使用"
CREDIT_CODE_TAKEN_UNSEEN = (
    "统一社会信用代码 {code} 已被另一家企业使用（不在当前令牌可查看的县区内），请与管理员核实"
)
DUPLICATE_IN_BATCH = "统一社会信用代码 {code} 在本批中重复（与第 {first} 条相同，从 0 计）"
UNKNOWN_INDUSTRY = "未知的国民经济行业代码（GB/T 4754-2017）：{code}"
COUNTY_FORBIDDEN = "当前令牌无权访问 {county} 的企业"
ROLE_FORBIDDEN = "当前令牌的角色（{role}）无权执行此操作"
MISSING_TOKEN = "缺少访问令牌：请使用 Authorization: Bearer <token>"
BAD_TOKEN = "访问令牌无效或已被吊销"
DEPARTMENT_ONLY_CASES = "部门令牌只能查看受邀会诊的企业及其会诊意见和帮扶方案"
NOT_INVITED = "当前部门未受邀参加企业 {id} 的会诊"
STALE_VERSION = (
    "{entity} {id} 已被他人修改（当前版本 {current}，提交所依据的版本 {sent}）：请刷新后重试"
)
BODY_TOO_LARGE = "请求体超过 {limit} 字节上限"
TICKET_ORDER = "ticket_max（{high:g}）不能小于 ticket_min（{low:g}）"
STALE_VERSION = (
    "{entity} {id} 已被他人修改（当前版本 {current}，请求基于 If-Match {expected}）："
    "请重新读取后基于最新内容再改"
)
TOO_MANY_FAILURES = "认证失败次数过多，已暂时拒绝来自此处的请求：请 {seconds} 秒后再试"
STILL_CHANGING = "{entity} {id} 正被频繁修改，请稍后重试"

# Re-score jobs
JOB_IDS_FORBIDDEN = "以下企业不存在或不在当前令牌可访问的县区内：{ids}"
JOB_IDS_UNKNOWN = "以下{entity}不存在：{ids}"
JOB_TOO_MANY_IDS = "一次最多提交 {limit} 个编号（本次 {count} 个）"
JOB_QUEUE_FULL = (
    "您已有 {count} 个重新评分任务在排队或进行中（上限 {limit} 个），请等其完成或取消后再提交"
)
JOB_ALREADY_ENDED = "任务 #{id} 已结束（{status}），不能取消"


class DomainError(Exception):
    status_code = 400
    headers: dict[str, str] | None = None
    """Extra response headers (e.g. the current ETag of a 412)."""
    extra: dict[str, object] | None = None
    """Extra fields of the JSON answer beside `detail` (e.g. the count behind a 409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Forbidden(DomainError):
    status_code = 403


class PreconditionFailed(DomainError):
    """The caller's If-Match names a version that is no longer the stored one."""

    status_code = 412

    def __init__(self, message: str, *, current_version: int) -> None:
        super().__init__(message)
        self.current_version = current_version
        self.headers = {"ETag": etag_for(current_version)}


class TooManyFailures(DomainError):
    """A client (or a token prefix) used up its failure budget: 429 with Retry-After."""

    status_code = 429

    def __init__(self, seconds: int) -> None:
        super().__init__(TOO_MANY_FAILURES.format(seconds=seconds))
        self.retry_after = seconds
        self.headers = {"Retry-After": str(seconds)}


class TooManyRequests(DomainError):
    """The caller already has as much waiting work as it may (e.g. queued jobs)."""

    status_code = 429


class FieldInvalid(DomainError):
    """Invalid input that only the service can detect (e.g. an unknown industry code).

    Rendered like FastAPI's own validation errors, so clients parse one format.
    """

    status_code = 422

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
