"""A local HTTPS webhook receiver, standing in for Teams and Slack: it checks each post against
the payload shape they document and answers as told (a code per post, then 200)."""

import datetime
import ipaddress
import json
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1; the portal is told to trust it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def slack_problems(body: dict) -> list[str]:
    """Slack's incoming webhook: a text fallback and Block Kit blocks; a button has a url."""
    problems = []
    if not isinstance(body.get("text"), str) or not body["text"]:
        problems.append("text (the notification fallback) is missing")
    blocks = body.get("blocks") or []
    if not blocks or any("type" not in block for block in blocks):
        problems.append("blocks must be a list of typed blocks")
    buttons = [
        element
        for block in blocks
        if block.get("type") == "actions"
        for element in block.get("elements", [])
    ]
    if not buttons or any(b.get("type") != "button" or not b.get("url") for b in buttons):
        problems.append("an actions block with a link button is expected")
    for block in blocks:
        if block.get("type") == "section" and len(block.get("fields", [])) > 10:
            problems.append("a section holds at most 10 fields")
    return problems


def teams_problems(body: dict) -> list[str]:
    """Teams Workflows: a message with one Adaptive Card attachment, OpenUrl actions only."""
    problems = []
    if body.get("type") != "message":
        problems.append('type must be "message"')
    attachments = body.get("attachments") or []
    if len(attachments) != 1:
        return [*problems, "exactly one attachment is expected"]
    attachment = attachments[0]
    if attachment.get("contentType") != "application/vnd.microsoft.card.adaptive":
        problems.append("the attachment must be an Adaptive Card")
    content = attachment.get("content") or {}
    if content.get("type") != "AdaptiveCard" or not content.get("version"):
        problems.append("content must be an AdaptiveCard with a version")
    actions = content.get("actions") or []
    if not actions or any(a.get("type") != "Action.OpenUrl" or not a.get("url") for a in actions):
        problems.append("only Action.OpenUrl actions (no decisions in the chat)")
    return problems


class Receiver:
    def __init__(self):
        self.posts: list[tuple[str, dict]] = []
        self.answers: list[int] = []  # codes for the next posts; then 200
        self.problems: list[str] = []
        self.directory = Path(tempfile.mkdtemp(prefix="maa-chat-"))
        self.cert, key = _certificate(self.directory)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                kind = self.path.strip("/").split("/")[0]
                check = slack_problems if kind == "slack" else teams_problems
                receiver.problems += [f"{self.path}: {p}" for p in check(body)]
                receiver.posts.append((self.path, body))
                code = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"ok" if code < 300 else b"invalid_payload")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, kind: str, secret: str = "T0001/B0001/XXXXsecret") -> str:
        return f"https://127.0.0.1:{self.server.server_port}/{kind}/{secret}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
