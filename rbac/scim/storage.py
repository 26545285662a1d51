"""The portal's people and groups as a scim2-server storage.

scim2-server does the protocol (routing, filters, PATCH, paging, errors, discovery) and calls
this storage with whole resources. The portal models what it decides with (userName, active,
names, email, externalId, members); the rest of a resource is kept as written, in
scim_document, so a GET gives back what the provider sent.

Deleting deactivates: people and groups are referenced by requests, decisions and the audit
log, so a deleted person is kept, inactive, under a freed userName, and SCIM no longer finds it.
"""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from scim2_models import (
    InvalidFilterException,
    InvalidValueException,
    NotFoundException,
    PreconditionFailedException,
    Resource,
    ResourceType,
    ScimFilter,
    SearchRequest,
    UniquenessException,
)
from scim2_models.path import CompareOperator, Comparison
from scim2_server.storage import ScimStorage, SearchPage
from scim2_server.utils import parametrize

from audit.chain import audit_record

from ..directory import directory_changed, user_deprovision
from ..models import SecurityGroup, User
from ..models.groups import GROUP_NAME_MAX

DELETED = "deleted"
# Filters Entra sends, answered by an index instead of reading every resource.
INDEXED = {
    "User": {"username": "username__iexact", "externalid": "external_id", "id": "pk"},
    "Group": {"displayname": "name__iexact", "externalid": "external_id", "id": "pk"},
}


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _version(document: dict) -> str:
    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:16]
    return f'W/"{digest}"'


def _resource_of(model, kind: str, document: dict, stored: dict, since) -> Resource:
    """The resource: its values without the empty ones, and its meta (the version is a digest
    of the rest, so it changes whenever the resource does)."""
    document = {key: value for key, value in document.items() if value is not None}
    meta = stored.get("meta") or {}
    document["meta"] = {
        "resourceType": kind,
        "created": meta.get("created") or since.isoformat(),
        "lastModified": meta.get("lastModified") or since.isoformat(),
        "version": _version(document),
    }
    return model.model_validate(document)


class DirectoryStorage(ScimStorage):
    def __init__(self, provider, *, actor_label: str = "SCIM"):
        self.provider = provider
        self.actor_label = actor_label

    # --- reading -------------------------------------------------------------------------

    def _users(self):
        return User.objects.filter(is_application=False).exclude(scim_document__has_key=DELETED)

    def _groups(self):
        return SecurityGroup.objects.exclude(scim_document__has_key=DELETED).select_related(
            "auth_group"
        )

    def _user_resource(self, user: User) -> Resource:
        model = self.provider.model_for("User")
        document = {key: value for key, value in user.scim_document.items() if key != "meta"}
        name = dict(document.get("name") or {})
        if user.first_name or user.last_name:
            name.update(givenName=user.first_name or None, familyName=user.last_name or None)
        emails = list(document.get("emails") or [])
        if user.email and not any(e.get("value") == user.email for e in emails):
            emails = [{"value": user.email, "primary": True, "type": "work"}, *emails]
        document.update(
            schemas=document.get("schemas") or [model.__schema__],
            id=str(user.pk),
            userName=user.username,
            # Reported as written; a person without it is active, and an inactive one says so.
            active=user.is_active if ("active" in document or not user.is_active) else None,
            displayName=user.display_name or None,
            externalId=user.external_id or None,
            name={k: v for k, v in name.items() if v is not None} or None,
            emails=emails or None,
        )
        return _resource_of(model, "User", document, user.scim_document, user.date_joined)

    def _group_resource(self, group: SecurityGroup) -> Resource:
        model = self.provider.model_for("Group")
        document = {key: value for key, value in group.scim_document.items() if key != "meta"}
        members = group.auth_group.user_set.order_by("pk")
        # The display each member was written with, where the provider gave one.
        shown = {m.get("value"): m.get("display") for m in document.get("members") or []}
        document.update(
            schemas=[model.__schema__],
            id=str(group.pk),
            displayName=group.name,
            externalId=group.external_id or None,
            members=[
                {
                    "value": str(u.pk),
                    "type": "User",
                    "$ref": f"Users/{u.pk}",
                    "display": shown.get(str(u.pk)) or str(u),
                }
                for u in members
            ]
            or None,
        )
        return _resource_of(model, "Group", document, group.scim_document, group.created_at)

    def _resource(self, kind: str, obj) -> Resource:
        return self._user_resource(obj) if kind == "User" else self._group_resource(obj)

    def _find(self, kind: str, resource_id: str, *, lock: bool = False):
        qs = self._users() if kind == "User" else self._groups()
        if lock:
            qs = qs.select_for_update(of=("self",))
        try:
            return qs.get(pk=int(resource_id))
        except (ValueError, User.DoesNotExist, SecurityGroup.DoesNotExist):
            raise NotFoundException(detail=f"{kind} {resource_id} not found") from None

    def get(self, resource_type: ResourceType, resource_id: str, *, response_parameters=None):
        return self._resource(resource_type.name, self._find(resource_type.name, resource_id))

    def _narrowed(self, kind: str, scim_filter) -> Any:
        qs = self._users() if kind == "User" else self._groups()
        node = getattr(scim_filter, "ast", None)
        if (
            isinstance(node, Comparison)
            and node.op == CompareOperator.eq
            and isinstance(node.value, str)
            and node.attr_path.sub_attr is None
        ):
            lookup = INDEXED[kind].get(node.attr_path.attr.lower())
            if lookup == "pk" and not node.value.isdigit():
                return qs.none()
            if lookup:
                return qs.filter(**{lookup: node.value})
        return qs

    def search(
        self, resource_types: list[ResourceType], search_request: SearchRequest, *, position=None
    ) -> SearchPage:
        scim_filter = search_request.filter
        found: list[Resource] = []
        for resource_type in resource_types:
            kind = resource_type.name
            model = self.provider.model_for(kind)
            typed = scim_filter
            if scim_filter is not None and not scim_filter.models:
                try:
                    typed = parametrize(ScimFilter, model)(str(scim_filter))
                except ValueError as exc:
                    raise InvalidFilterException(detail=str(exc)) from exc
            for obj in self._narrowed(kind, typed).order_by("pk"):
                resource = self._resource(kind, obj)
                if typed is None or typed.match(resource):
                    found.append(resource)
        start = search_request.start_index_0 or 0
        stop = None if search_request.count is None else start + search_request.count
        return SearchPage(total=len(found), resources=found[start:stop])

    # --- writing -------------------------------------------------------------------------

    def _document(self, resource: Resource, created: str | None = None) -> dict:
        document = resource.model_dump(mode="json")
        document.pop("id", None)
        document.pop("password", None)  # never stored: the portal has no SCIM passwords
        document["meta"] = {"created": created or _now(), "lastModified": _now()}
        return document

    def _check_version(self, kind, obj, expected_version) -> None:
        if expected_version and self._resource(kind, obj).meta.version != expected_version:
            raise PreconditionFailedException(detail="The resource changed since it was read.")

    def _apply_user(self, user: User, resource: Resource) -> None:
        if not resource.user_name:
            raise InvalidValueException(detail="userName is required.")
        clash = self._users().filter(username__iexact=resource.user_name).exclude(pk=user.pk)
        if clash.exists():
            raise UniquenessException(detail=f"userName {resource.user_name} is taken.")
        user.username = resource.user_name[:150]
        user.external_id = (resource.external_id or "")[:255]
        user.display_name = (resource.display_name or "")[:150]
        name = resource.name
        user.first_name = ((name.given_name if name else None) or "")[:150]
        user.last_name = ((name.family_name if name else None) or "")[:150]
        emails = resource.emails or []
        primary = next((e for e in emails if e.primary), emails[0] if emails else None)
        user.email = (str(primary.value) if primary and primary.value else "")[:254]

    def create(self, resource_type: ResourceType, resource: Resource) -> Resource:
        kind = resource_type.name
        with transaction.atomic():
            if kind == "User":
                user = User(is_active=resource.active is not False)
                self._apply_user(user, resource)
                user.set_unusable_password()
                user.scim_document = self._document(resource)
                user.save()
                audit_record(
                    actor=None,
                    action="user.provision",
                    target=user,
                    note=self.actor_label,
                    data={"externalId": user.external_id},
                )
                return self._user_resource(user)
            group = self._group_create(resource)
        return self._group_resource(group)

    def _group_name(self, resource: Resource, exclude_pk=None) -> str:
        name = (resource.display_name or "").strip()
        if not name or len(name) > GROUP_NAME_MAX:
            raise InvalidValueException(
                detail=f"displayName is required, at most {GROUP_NAME_MAX} characters."
            )
        if self._groups().filter(name__iexact=name).exclude(pk=exclude_pk).exists():
            raise UniquenessException(detail=f"A group named {name} exists.")
        return name

    def _members(self, resource: Resource) -> list[User]:
        ids = [m.value for m in resource.members or []]
        if not all(str(i).isdigit() for i in ids):
            raise InvalidValueException(detail="members: every value is a User id.")
        people = list(self._users().filter(pk__in=[int(i) for i in ids]))
        if len(people) != len(set(ids)):
            raise InvalidValueException(detail="members: a member is not a known User.")
        return people

    def _group_create(self, resource: Resource) -> SecurityGroup:
        name = self._group_name(resource)
        members = self._members(resource)
        try:
            with transaction.atomic():
                auth_group = Group.objects.create(name=f"sg:{name}")
        except IntegrityError:
            raise UniquenessException(detail=f"A group named {name} exists.") from None
        group = SecurityGroup.objects.create(
            name=name,
            auth_group=auth_group,
            external_id=(resource.external_id or "")[:255],
            scim_provisioned=True,
            scim_document=self._document(resource),
        )
        auth_group.user_set.set(members)
        audit_record(
            actor=None,
            action="group.provision",
            target=group,
            note=self.actor_label,
            data={"members": [u.username for u in members]},
        )
        directory_changed(f"SCIM created the group {name}")
        return group

    def update(self, resource_type: ResourceType, resource: Resource, *, expected_version=None):
        kind = resource_type.name
        with transaction.atomic():
            obj = self._find(kind, resource.id, lock=True)
            self._check_version(kind, obj, expected_version)
            created = (obj.scim_document.get("meta") or {}).get("created")
            if kind == "User":
                deactivated = obj.is_active and resource.active is False
                self._apply_user(obj, resource)
                if resource.active is True:
                    obj.is_active = True
                obj.scim_document = self._document(resource, created)
                obj.save()
                audit_record(actor=None, action="user.update", target=obj, note=self.actor_label)
                if deactivated:
                    user_deprovision(
                        user_id=obj.pk, reason=f"{self.actor_label}: active set to false"
                    )
                    obj = self._find(kind, resource.id)
                return self._user_resource(obj)
            self._group_update(obj, resource, created)
            return self._group_resource(obj)

    def _group_update(self, group: SecurityGroup, resource: Resource, created) -> None:
        name = self._group_name(resource, exclude_pk=group.pk)
        members = set(self._members(resource))
        before = set(group.auth_group.user_set.all())
        if name != group.name:
            group.auth_group.name = f"sg:{name}"
            group.auth_group.save(update_fields=["name"])
        group.name = name
        group.external_id = (resource.external_id or "")[:255]
        group.scim_provisioned = True
        group.scim_document = self._document(resource, created)
        group.save()
        group.auth_group.user_set.set(members)
        for person in sorted(members - before, key=lambda u: u.pk):
            audit_record(actor=None, action="group.member_add", target=group, note=person.username)
        for person in sorted(before - members, key=lambda u: u.pk):
            audit_record(
                actor=None, action="group.member_remove", target=group, note=person.username
            )
        if members != before or name != group.name:
            directory_changed(f"SCIM changed the members of {name}")

    def delete(self, resource_type: ResourceType, resource_id: str, *, expected_version=None):
        kind = resource_type.name
        with transaction.atomic():
            obj = self._find(kind, resource_id, lock=True)
            self._check_version(kind, obj, expected_version)
            # The name is freed for a new resource; the old one stays readable in the portal.
            if kind == "User":
                freed = f"{obj.username[:120]}#deleted-{obj.pk}"
                if obj.is_active:
                    user_deprovision(user_id=obj.pk, reason=f"{self.actor_label}: deleted")
                User.objects.filter(pk=obj.pk).update(
                    username=freed, external_id="", scim_document={DELETED: _now()}
                )
                return
            freed = f"{obj.name[:100]} (deleted {obj.pk})"
            obj.auth_group.user_set.clear()
            obj.auth_group.name = f"sg:{freed}"
            obj.auth_group.save(update_fields=["name"])
            SecurityGroup.objects.filter(pk=obj.pk).update(
                name=freed, external_id="", scim_document={DELETED: _now()}
            )
            audit_record(actor=None, action="group.deprovision", target=obj, note=self.actor_label)
            directory_changed(f"SCIM deleted the group {obj.name}")

    def operation(self):
        return transaction.atomic()
