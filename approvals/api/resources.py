"""The engine's own resources: approval requests and access policies."""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from rbac.catalogue import Perm
from rbac.selectors import user_has_perm
from utilities.api.errors import ApiError
from utilities.api.fields import EnumField
from utilities.api.routes import router

from ..models import AccessPolicy, ApprovalRequest, Decision
from ..policy_services import exclusions_state
from ..selectors import policy_list, request_visible_to, requests_of, requests_received_by
from ..services import (
    ApprovalError,
    request_approve,
    request_cancel,
    request_complete,
    request_reject,
)
from .base import ProtectedViewSet
from .protected import request_body


class DecisionSerializer(serializers.ModelSerializer):
    approver = serializers.StringRelatedField()
    verdict = EnumField()

    class Meta:
        model = Decision
        fields = ["approver", "verdict", "note", "created_at"]


class ApprovalRequestSerializer(serializers.ModelSerializer):
    title = serializers.CharField(read_only=True)
    status = EnumField()
    execution_status = EnumField()
    requestor = serializers.StringRelatedField()
    requestor_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = ApprovalRequest
        fields = [
            "id",
            "operation_type",
            "title",
            "target_label",
            "status",
            "execution_status",
            "requestor",
            "requestor_id",
            "justification",
            "approvals_required",
            "created_at",
            "expires_at",
            "decided_at",
            "completed_at",
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


NoteSerializer = inline_serializer("DecisionNote", {"note": serializers.CharField(required=False)})
VIEWS = {"received": requests_received_by, "mine": requests_of}


class ApprovalRequestViewSet(ProtectedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Received requests (?view=received, the default) and my requests (?view=mine)."""

    serializer_class = ApprovalRequestSerializer

    def get_queryset(self):
        view = self.request.query_params.get("view", "received")
        if view not in VIEWS:
            raise ApiError(400, "BadRequest", "view is received or mine.")
        return VIEWS[view](self.request.user)

    @extend_schema(
        parameters=[OpenApiParameter("view", str, enum=list(VIEWS), description="received or mine")]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_object(self):
        req = request_visible_to(self.request.user, self.kwargs["pk"])
        decisions = Decision.objects.select_related("approver")
        return (
            ApprovalRequest.objects.select_related("requestor")
            .prefetch_related(Prefetch("decisions", queryset=decisions))
            .get(pk=req.pk)
        )

    @extend_schema(responses=ApprovalRequestDetailSerializer)
    def retrieve(self, request, *args, **kwargs):
        return Response(ApprovalRequestDetailSerializer(self.get_object()).data)

    def _act(self, service, **kwargs):
        req = self.get_object()
        try:
            req = service(request_id=req.pk, **kwargs)
        except ApprovalError as exc:
            raise ApiError(status.HTTP_409_CONFLICT, "RequestNotActionable", str(exc)) from exc
        return Response(request_body(req))

    def _note(self) -> str:
        return str(self.request.data.get("note", ""))

    @extend_schema(request=NoteSerializer, responses=dict)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._act(request_approve, approver=request.user, note=self._note())

    @extend_schema(request=NoteSerializer, responses=dict)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._act(request_reject, approver=request.user, note=self._note())

    @extend_schema(request=NoteSerializer, responses=dict)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._act(request_cancel, actor=request.user, note=self._note())

    @extend_schema(request=None, responses=dict)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Complete from the API by id (the protected call repeated with X-Approval-Request-Id
        does the same and also checks the call is the approved one)."""
        return self._act(request_complete, actor=request.user)

    @extend_schema(responses=dict)
    @action(detail=True, methods=["get"])
    def status(self, request, pk=None):
        return Response(request_body(self.get_object()))


class AccessPolicySerializer(serializers.ModelSerializer):
    status = EnumField()
    approver_groups = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    excluded_applications = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = AccessPolicy
        fields = [
            "id",
            "name",
            "description",
            "policy_type",
            "approver_groups",
            "approvals_required",
            "excluded_applications",
            "status",
            "created_at",
            "updated_at",
        ]


class AccessPolicyWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=128)
    description = serializers.CharField(max_length=1024, allow_blank=True, default="")
    policy_type = serializers.CharField(max_length=40)
    approver_groups = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    approvals_required = serializers.IntegerField(min_value=1, max_value=10, default=1)
    excluded_applications = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list
    )

    def state(self) -> dict:
        data = dict(self.validated_data)
        data["approver_groups"] = sorted(set(data["approver_groups"]))
        excluded = sorted(set(data.pop("excluded_applications")))
        return {**data, **exclusions_state(excluded)}


class AccessPolicyViewSet(ProtectedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Access policies protect themselves: every create, update and delete is a request."""

    serializer_class = AccessPolicySerializer

    def get_queryset(self):
        if not user_has_perm(self.request.user, Perm.MAA_POLICY_READ):
            raise ApiError(403, "Forbidden", "You need the permission Read access policy.")
        return policy_list().prefetch_related("excluded_applications")

    def _write(self, code: str, policy=None):
        current = {}
        if policy is not None:
            current = {
                "name": policy.name,
                "description": policy.description,
                "policy_type": policy.policy_type,
                "approver_groups": list(policy.approver_groups.values_list("pk", flat=True)),
                "approvals_required": policy.approvals_required,
                "excluded_applications": list(
                    policy.excluded_applications.values_list("pk", flat=True)
                ),
            }
        serializer = AccessPolicyWriteSerializer(data={**current, **self.request.data})
        serializer.is_valid(raise_exception=True)
        payload = {"state": serializer.state()}
        if policy is not None:
            payload["object_id"] = policy.pk
        return self.protected(code, payload)

    @extend_schema(request=AccessPolicyWriteSerializer, responses=dict)
    def create(self, request):
        return self._write("policy.create")

    @extend_schema(request=AccessPolicyWriteSerializer, responses=dict)
    def partial_update(self, request, pk=None):
        return self._write("policy.edit", self.get_object())

    @extend_schema(request=None, responses=dict)
    def destroy(self, request, pk=None):
        policy = self.get_object()
        return self.protected("policy.delete", {"object_id": policy.pk})


router.register("operationApprovalRequests", ApprovalRequestViewSet, basename="approval-request")
router.register("operationApprovalPolicies", AccessPolicyViewSet, basename="access-policy")
