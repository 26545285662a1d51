from .notices import Notice, NoticeBatch, NoticeStatus
from .permissions import RequestGroupPermission, RequestUserPermission
from .policies import AccessPolicy, PolicyStatus
from .requests import (
    AWAITING_REQUESTOR,
    OPEN_STATUSES,
    ApprovalRequest,
    Decision,
    ExecutionStatus,
    RequestStatus,
    Verdict,
)

__all__ = [
    "RequestGroupPermission",
    "RequestUserPermission",
    "Notice",
    "NoticeBatch",
    "NoticeStatus",
    "AWAITING_REQUESTOR",
    "OPEN_STATUSES",
    "AccessPolicy",
    "ApprovalRequest",
    "Decision",
    "ExecutionStatus",
    "PolicyStatus",
    "RequestStatus",
    "Verdict",
]
