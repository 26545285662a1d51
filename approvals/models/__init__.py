from .audit import AppendOnlyError, AuditEvent
from .policies import AccessPolicy, PolicyStatus
from .requests import ApprovalRequest, Decision, ExecutionStatus, RequestStatus, Verdict

__all__ = [
    "AccessPolicy",
    "AppendOnlyError",
    "ApprovalRequest",
    "AuditEvent",
    "Decision",
    "ExecutionStatus",
    "PolicyStatus",
    "RequestStatus",
    "Verdict",
]
