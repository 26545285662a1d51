"""The engine's own resources: approval requests and access policies."""

from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from rbac.catalogue import Perm
from rbac.selectors import user_has_perm
from rbac.stepup import stepup_refusal
from utilities.api.errors import ApiError
from utilities.api.fields import EnumField, IdListField
from utilities.api.odata import Prop
from utilities.api.routes import router

from ..models import ApprovalRequest, Decision
from ..policy_services import exclusions_state, options_state
from ..selectors import (
    policy_list,
    request_visible_to,
    requests_of,
    requests_received_by,
    requests_visible_to,
)
from ..services import (
    ApprovalDenied,
    ApprovalError,
    ApprovalInputError,
    request_approve,
    request_cancel,
    request_complete,
    request_reject,
)
from .base import ProtectedViewSet
from .protected import request_body


@extend_schema_field(
    {
        "type": "object",
        "description": "Graph's identitySet: a user or an application, with id and displayName",
        "additionalProperties": {
            "type": "object",
            "properties": {"id": {"type": "string"}, "displayName": {"type": "string"}},
        },
    }
)
class IdentitySetField(serializers.Field):
    """Graph's identitySet: {"user": {...}} for a person, {"application": {...}} for an app."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, user):
        kind = "application" if user.is_application else "user"
        return {kind: {"id": str(user.pk), "displayName": str(user)}}


class DecisionSerializer(serializers.ModelSerializer):
    approver = IdentitySetField()
    verdict = EnumField()
    justification = serializers.CharField(source="note")
    decision_date_time = serializers.DateTimeField(source="created_at")

    class Meta:
        model = Decision
        fields = ["approver", "verdict", "justification", "decision_date_time"]


class ApprovalRequestSerializer(serializers.ModelSerializer):
    """Graph's operationApprovalRequest (id and requestId: the approval code), with the
    portal's own additions: the operation, its target, the execution and the quorum."""

    id = serializers.CharField(source="approval_code", read_only=True)
    request_id = serializers.CharField(source="approval_code", read_only=True)
    request_date_time = serializers.DateTimeField(source="created_at")
    expiration_date_time = serializers.DateTimeField(source="expires_at")
    last_modified_date_time = serializers.DateTimeField(source="updated_at")
    requestor = IdentitySetField()
    status = EnumField()
    request_justification = serializers.CharField(source="justification")
    title = serializers.CharField(read_only=True)
    target = serializers.CharField(source="target_label")
    execution_status = EnumField()
    decided_date_time = serializers.DateTimeField(source="decided_at")
    completed_date_time = serializers.DateTimeField(source="completed_at")
    # The portal's: the open stage, a break-glass run, and when the execution may run.
    stage_count = serializers.IntegerField(read_only=True)
    run_date_time = serializers.DateTimeField(source="run_at")
    scheduled_date_time = serializers.DateTimeField(source="scheduled_for")

    class Meta:
        model = ApprovalRequest
        fields = [
            "id",
            "request_id",
            "request_date_time",
            "expiration_date_time",
            "last_modified_date_time",
            "requestor",
            "status",
            "request_justification",
            "operation_type",
            "title",
            "target",
            "execution_status",
            "approvals_required",
            "stage",
            "stage_count",
            "break_glass",
            "run_date_time",
            "scheduled_date_time",
            "decided_date_time",
            "completed_date_time",
        ]


class ApprovalRequestDetailSerializer(ApprovalRequestSerializer):
    """One request as the approver reads it: the pinned payload, its digest and the diff."""

    decisions = DecisionSerializer(many=True, read_only=True)

    class Meta(ApprovalRequestSerializer.Meta):
        fields = [
            *ApprovalRequestSerializer.Meta.fields,
            "payload",
            "payload_digest",
            "summary",
            "decisions",
            "execution_result",
            "execution_error",
        ]


NoteSerializer = inline_serializer(
    "DecisionJustification", {"justification": serializers.CharField(required=False)}
)
VIEWS = {"all": requests_visible_to, "received": requests_received_by, "mine": requests_of}


class ApprovalRequestViewSet(ProtectedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The requests this caller may read: their own and those sent to them (?view=received or
    mine narrows it). Addressed by their GUID; automation polls $filter=requestId eq '<GUID>'."""

    serializer_class = ApprovalRequestSerializer
    lookup_value_converter = "uuid"
    odata_filter = {
        "requestId": Prop("approval_code"),
        "id": Prop("approval_code"),
        "status": Prop("status", enum=True),
    }

    def get_queryset(self):
        view = self.request.query_params.get("view", "all")
        if view not in VIEWS:
            raise ApiError(400, "BadRequest", "view is all, received or mine.")
        return VIEWS[view](self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("view", str, enum=list(VIEWS), description="all, received or mine")
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_object(self):
        by_code = ApprovalRequest.objects.filter(approval_code=self.kwargs["pk"])
        pk = by_code.values_list("pk", flat=True).first()
        if pk is None:
            raise Http404("No such request.")
        req = request_visible_to(self.request.user, pk)
        decisions = Decision.objects.select_related("approver")
        return (
            ApprovalRequest.objects.select_related("requestor")
            .prefetch_related(Prefetch("decisions", queryset=decisions))
            .get(pk=req.pk)
        )

    @extend_schema(responses=ApprovalRequestDetailSerializer)
    def retrieve(self, request, *args, **kwargs):
        return Response(ApprovalRequestDetailSerializer(self.get_object()).data)

    def _act(self, service, stepup: str = "", **kwargs):
        req = self.get_object()
        refusal = stepup_refusal(self.request, stepup) if stepup else ""
        if refusal:
            raise ApiError(status.HTTP_403_FORBIDDEN, "StepUpRequired", refusal)
        try:
            req = service(request_id=req.pk, **kwargs)
        except ApprovalDenied as exc:
            # Refused as the pages and links refuse: who may not act 403, what was typed 400,
            # the request's state 409.
            raise ApiError(status.HTTP_403_FORBIDDEN, "Forbidden", str(exc)) from exc
        except ApprovalInputError as exc:
            raise ApiError(status.HTTP_400_BAD_REQUEST, "BadRequest", str(exc)) from exc
        except ApprovalError as exc:
            raise ApiError(status.HTTP_409_CONFLICT, "RequestNotActionable", str(exc)) from exc
        return Response(request_body(req))

    def _note(self) -> str:
        """Graph's `justification`; `note`, the portal's older word, still read."""
        data = self.request.data
        return str(data.get("justification", data.get("note", "")))

    @extend_schema(request=NoteSerializer, responses=dict)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._act(
            request_approve, "approve this request", approver=request.user, note=self._note()
        )

    @extend_schema(request=NoteSerializer, responses=dict)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._act(
            request_reject, "reject this request", approver=request.user, note=self._note()
        )

    @extend_schema(request=NoteSerializer, responses=dict)
    @action(detail=True, methods=["post"], url_path="cancelMyRequest")
    def cancel(self, request, pk=None):
        return self._act(request_cancel, actor=request.user, note=self._note())

    @extend_schema(request=None, responses=dict)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Complete by id (the protected call repeated with x-msft-approval-code does the same
        and also checks the call is the approved one)."""
        return self._act(request_complete, "complete this request", actor=request.user)

    @extend_schema(responses=ApprovalRequestSerializer(many=True))
    @action(detail=False, methods=["get", "post"], url_path="retrieveMyRequests")
    def mine(self, request):
        """Graph's retrieveMyRequests: the caller's own requests (?view=mine does the same)."""
        page = self.paginate_queryset(self.filter_queryset(requests_of(request.user)))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses=dict)
    @action(detail=True, methods=["get", "post"], url_path="retrieveRequestStatus")
    def status(self, request, pk=None):
        return Response(request_body(self.get_object()))


class StageSerializer(serializers.Serializer):
    approver_group_ids = IdListField(source="approver_groups", allow_empty=False)
    approvals_required = serializers.IntegerField(min_value=1, max_value=10, default=1)
    bulk_only = serializers.BooleanField(default=False)


class AccessPolicySerializer(serializers.Serializer):
    """Graph's operationApprovalPolicy, with the portal's quorum, later stages, exclusions and
    status. Graph's approverGroupIds and the quorum are stage 1."""

    id = serializers.CharField(read_only=True)
    display_name = serializers.CharField(source="name", max_length=128)
    description = serializers.CharField(max_length=1024, allow_blank=True, default="")
    policy_type = serializers.CharField(max_length=40)
    approver_group_ids = IdListField(source="approver_groups", allow_empty=False)
    approvals_required = serializers.IntegerField(min_value=1, max_value=10, default=1)
    later_stages = StageSerializer(many=True, required=False, default=list)
    bulk_threshold = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    bulk_approvals_required = serializers.IntegerField(
        min_value=1, max_value=10, required=False, allow_null=True
    )
    break_glass_group_id = serializers.RegexField(
        r"^\d+$", required=False, allow_null=True, default=None
    )
    excluded_application_ids = IdListField(
        source="excluded_applications", required=False, default=list
    )
    status = EnumField()
    created_date_time = serializers.DateTimeField(source="created_at", read_only=True)
    last_modified_date_time = serializers.DateTimeField(source="updated_at", read_only=True)

    def state(self) -> dict:
        data = dict(self.validated_data)
        excluded = data.pop("excluded_applications")
        # bulk_only is listed only when set, as policy_state lists it.
        later = [
            {k: v for k, v in stage.items() if k != "bulk_only" or v}
            for stage in data.pop("later_stages")
        ]
        group = data.pop("break_glass_group_id")
        options = options_state(
            break_glass_group=int(group) if group else None,
            bulk_threshold=data.pop("bulk_threshold", None),
            bulk_approvals_required=data.pop("bulk_approvals_required", None),
        )
        return {
            **data,
            **({"later_stages": later} if later else {}),
            **options,
            **exclusions_state(excluded),
        }


class AccessPolicyViewSet(ProtectedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Access policies protect themselves: every create, update and delete is a request."""

    serializer_class = AccessPolicySerializer

    def get_queryset(self):
        if not user_has_perm(self.request.user, Perm.MAA_POLICY_READ):
            raise ApiError(403, "Forbidden", "You need the permission Read access policy.")
        return policy_list().prefetch_related("excluded_applications")

    def _write(self, code: str, policy=None):
        current = AccessPolicySerializer(policy).data if policy is not None else {}
        serializer = AccessPolicySerializer(data={**current, **self.request.data})
        serializer.is_valid(raise_exception=True)
        payload = {"state": serializer.state()}
        if policy is not None:
            payload["object_id"] = policy.pk
        return self.protected(code, payload)

    @extend_schema(request=AccessPolicySerializer, responses=dict)
    def create(self, request):
        return self._write("policy.create")

    @extend_schema(request=AccessPolicySerializer, responses=dict)
    def partial_update(self, request, pk=None):
        return self._write("policy.edit", self.get_object())

    @extend_schema(request=None, responses=dict)
    def destroy(self, request, pk=None):
        policy = self.get_object()
        return self.protected("policy.delete", {"object_id": policy.pk})


router.register(
    "deviceManagement/operationApprovalRequests",
    ApprovalRequestViewSet,
    basename="approval-request",
)
router.register(
    "deviceManagement/operationApprovalPolicies", AccessPolicyViewSet, basename="access-policy"
)
