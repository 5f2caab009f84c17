"""Health checks for load balancers and orchestrators; they need no sign-in and set no cookie."""
from flask import jsonify

from training.extensions import limiter
from training.operations import bp
from training.operations.services import readiness


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """The process is up and answering (touches neither the database nor Redis)."""
    return jsonify(status="ok")


@bp.route("/readyz")
@limiter.exempt
def readyz():
    """Ready for traffic: the database and Redis (when used) answer; 503 naming what did not."""
    checks = readiness()
    failed = [name for name, state in checks.items() if state == "unreachable"]
    if failed:
        return jsonify(status="unavailable", checks=checks, failed=failed), 503
    return jsonify(status="ready", checks=checks)
