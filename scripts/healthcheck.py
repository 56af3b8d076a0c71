"""Container health check of `web`: GET /healthz/ inside the container, with a Host header that
DJANGO_ALLOWED_HOSTS admits (127.0.0.1 usually is not, in production)."""

import os
import sys
import urllib.request

host = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost").split(",")[0].strip().lstrip(".") or "localhost"
request = urllib.request.Request("http://127.0.0.1:8000/healthz/", headers={"Host": host})
try:
    with urllib.request.urlopen(request, timeout=5) as response:
        sys.exit(0 if response.read() == b"ok" else 1)
except Exception as exc:  # noqa: BLE001 - any failure is "unhealthy"
    print(exc, file=sys.stderr)
    sys.exit(1)
