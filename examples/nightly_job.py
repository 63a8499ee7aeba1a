#!/usr/bin/env python3
"""A nightly HRIS job in Python: upload tonight's schedule to the portal, send
it to Talkdesk, wait for the end (a signed webhook, or polling with backoff),
and fail, printing the rows Talkdesk rejected, unless every row was imported.

    PORTAL_URL=https://portal.example.com PORTAL_API_KEY=sip_... \\
        python nightly_job.py schedule.csv [--time-zone Europe/Lisbon]
        [--listen 0.0.0.0:8088 --webhook-secret whsec_...] [--acknowledge-warnings]

The portal refuses to send a file it warns about (rows already imported,
events overlapping earlier imports) until the warnings are acknowledged; the
job prints them with their codes and exits 2, unless --acknowledge-warnings
says the file is meant to go as it is.

The portal answers the upload at once (202) and checks a large file in a
worker (state `checking`): the job waits for the check to end, then for
Talkdesk. A checked file the portal would not send (errors, or warnings not
acknowledged) stays a preview whose `confirmation_refused` says why.

With --listen, the job takes the portal's `import.checked` and
`import.finished` webhooks on that address (add the endpoint on the portal's
Webhooks page) and still polls, more slowly, in case the webhook cannot
reach it; having seen the end by polling, it stays up to 15 s to take the
webhook, which the portal would otherwise retry for a day. Needs only
`requests`.

Exit status: 0 imported; 1 imported with rows rejected, or not imported;
2 refused before sending.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

# Set by a webhook about this import: the wait below ends at once.
HEARD = threading.Event()
# Set by the import.finished webhook about this import.
FINISHED = threading.Event()
# How long a listening job that saw the end by polling stays to take the
# webhook: a message it never takes is retried by the portal for a day.
LINGER_SECONDS = 15


def verify_webhook(secret: str, headers, body: bytes) -> bool:
    """Standard Webhooks: v1 = base64 HMAC-SHA256 of "id.timestamp.body"."""
    message_id, timestamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "0")
    if abs(time.time() - int(timestamp)) > 300:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest())
    offered = [s.split(",", 1)[1] for s in headers.get("webhook-signature", "").split() if s.startswith("v1,")]
    return any(hmac.compare_digest(expected.decode(), signature) for signature in offered)


def listen(address: str, secret: str, import_id: list[str]) -> None:
    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if not verify_webhook(secret, self.headers, body):
                self.send_response(401)
                self.end_headers()
                return
            self.send_response(204)
            self.end_headers()
            event = json.loads(body)
            about_this_import = bool(import_id) and event["data"].get("id") == import_id[0]
            if event["type"] in ("import.checked", "import.finished") and about_this_import:
                HEARD.set()
                if event["type"] == "import.finished":
                    FINISHED.set()

        def log_message(self, *args):
            pass

    host, port = address.rsplit(":", 1)
    server = HTTPServer((host, int(port)), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file")
    parser.add_argument("--time-zone")
    parser.add_argument("--listen", help="host:port to take the import.checked and import.finished webhooks on")
    parser.add_argument("--webhook-secret", default=os.environ.get("PORTAL_WEBHOOK_SECRET"))
    parser.add_argument("--acknowledge-warnings", action="store_true", help="send even when the portal warns")
    args = parser.parse_args()
    url, key = os.environ["PORTAL_URL"].rstrip("/"), os.environ["PORTAL_API_KEY"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    # Reads are safe to repeat: a keep-alive connection the server closed as
    # it was reused, or a portal restarting, costs a retry, not the night's job.
    # The upload below is retried by hand, under its Idempotency-Key.
    reads = Retry(total=6, backoff_factor=0.5, allowed_methods={"GET"}, status_forcelist=(502, 503, 504))
    session.mount(url, HTTPAdapter(max_retries=reads))
    with open(args.file, "rb") as file:
        data = file.read()
    # The same file on the same day is the same request: a retried or re-run
    # job gets the first answer back instead of importing twice. Acknowledging
    # the warnings makes it another request, so a run refused for warnings can
    # be followed by one that sends.
    acknowledged = "-acknowledged" if args.acknowledge_warnings else ""
    idempotency_key = f"nightly-{datetime.date.today()}{acknowledged}-{hashlib.sha256(data).hexdigest()[:32]}"

    import_id: list[str] = []
    if args.listen:
        listen(args.listen, args.webhook_secret, import_id)

    for attempt in range(1, 7):
        try:
            answer = session.post(
                f"{url}/api/v1/imports",
                headers={"Idempotency-Key": idempotency_key},
                files={"file": (os.path.basename(args.file), data, "text/csv")},
                data={
                    "confirm": "true",
                    "acknowledge_warnings": str(args.acknowledge_warnings).lower(),
                    **({"time_zone": args.time_zone} if args.time_zone else {}),
                },
                timeout=120,
            )
        except requests.ConnectionError:
            time.sleep(attempt**2)
            continue
        if answer.status_code in (201, 202):
            break
        if answer.status_code in (409, 429) or answer.status_code >= 500:
            time.sleep(float(answer.headers.get("Retry-After", attempt**2)))
            continue
        print(f"Refused (HTTP {answer.status_code}): {answer.json().get('detail')}", file=sys.stderr)
        return 2
    else:
        print("The portal did not take the file.", file=sys.stderr)
        return 2

    document = answer.json()
    import_id.append(document["id"])
    self_url = url + document["links"]["self"]

    def wait_while(still) -> dict:
        """Polls with backoff while `still(document)`; a webhook cuts a wait short."""
        current, wait = document, 1.0
        while still(current):
            HEARD.wait(wait)
            HEARD.clear()
            current = session.get(self_url, timeout=60).json()
            wait = min(wait * 2, 60 if args.listen else 30)
        return current

    if document["state"] == "checking":
        print(f"Uploaded as import {document['id']}; the portal is checking it.")
        document = wait_while(lambda current: current["state"] == "checking")
    if document["confirmation_refused"]:
        print(f"Not sent: {document['confirmation_refused']}", file=sys.stderr)
        for finding in session.get(f"{self_url}/findings", timeout=60).json()["items"]:
            where = f"row {finding['row'] or '-'}: {finding['column'] or 'file'}"
            print(f"{finding['severity']} {finding['code']} {where}: {finding['message']}", file=sys.stderr)
        return 2
    print(f"Sending {document['summary']['rows']} rows as import {document['id']}; waiting for Talkdesk.")

    document = wait_while(lambda current: not current["final"])
    if args.listen:
        FINISHED.wait(LINGER_SECONDS)

    print(f"Finished: {document['state_label']}")
    if document["state"] == "imported":
        return 0
    if document["state"] == "imported_with_errors":
        print("Rows Talkdesk rejected:", file=sys.stderr)
        rows = session.get(f"{self_url}/failed-rows", params={"limit": 500}, timeout=60).json()["items"]
        for row in rows:
            cells = row["cells"]
            print(
                f"row {row['row'] or '?'}: {cells['Agent Email']} {cells['Start Time']}: {row['reason']}",
                file=sys.stderr,
            )
        return 1
    print(document["message"], file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
