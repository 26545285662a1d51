from django.urls import path

from .views import chat, filings, links, mail, policies, requests

app_name = "approvals"
urlpatterns = [
    path("maa/", policies.policy_index, name="policies"),
    path("maa/policies/new/", policies.PolicyCreateView.as_view(), name="policy_create"),
    path("maa/policies/<int:pk>/", policies.policy_detail, name="policy_detail"),
    path("maa/policies/<int:pk>/edit/", policies.PolicyEditView.as_view(), name="policy_edit"),
    path(
        "maa/policies/<int:pk>/delete/", policies.PolicyDeleteView.as_view(), name="policy_delete"
    ),
    path("maa/received/", requests.received_requests, name="received"),
    path("maa/mine/", requests.my_requests, name="mine"),
    path("maa/requests/<int:pk>/", requests.request_detail, name="request_detail"),
    path("maa/requests/<int:pk>/execution/", requests.request_execution, name="request_execution"),
    path("maa/requests/<int:pk>/review/", requests.request_review, name="request_review"),
    path("maa/requests/<int:pk>/<str:action>/", requests.request_action, name="request_action"),
    path("maa/filings/<int:pk>/", filings.filing_detail, name="filing_detail"),
    path("maa/link/<str:token>/", links.decision_link, name="decision_link"),
    path("maa/channel-link/<str:token>/", links.channel_link, name="channel_link"),
    path("maa/chat/", chat.chat_webhooks, name="chat_webhooks"),
    path("maa/chat/<int:pk>/delete/", chat.chat_webhook_delete, name="chat_webhook_delete"),
    path("admin-tasks/", requests.admin_tasks, name="admin_tasks"),
    path("dev/mail/", mail.sent_mail, name="sent_mail"),
]
