from .chat import ChatKind, ChatPost, ChatWebhook
from .filings import Filing, FilingStatus
from .notices import Notice, NoticeBatch, NoticeStatus
from .permissions import RequestGroupPermission, RequestUserPermission, request_permission_ids
from .policies import (
    MAX_STAGES,
    AccessPolicy,
    PolicyStage,
    PolicyStatus,
    Stage,
    stages_of_state,
    strictest,
)
from .requests import (
    AWAITING_REQUESTOR,
    OPEN_STATUSES,
    ApprovalRequest,
    Decision,
    ExecutionStatus,
    RequestStatus,
    Verdict,
)
from .reviews import BreakGlassReview, ReviewStatus

__all__ = [
    "ChatKind",
    "ChatPost",
    "ChatWebhook",
    "Filing",
    "FilingStatus",
    "BreakGlassReview",
    "ReviewStatus",
    "RequestGroupPermission",
    "RequestUserPermission",
    "request_permission_ids",
    "Notice",
    "NoticeBatch",
    "NoticeStatus",
    "AWAITING_REQUESTOR",
    "OPEN_STATUSES",
    "AccessPolicy",
    "MAX_STAGES",
    "PolicyStage",
    "Stage",
    "stages_of_state",
    "strictest",
    "ApprovalRequest",
    "Decision",
    "ExecutionStatus",
    "PolicyStatus",
    "RequestStatus",
    "Verdict",
]
