"""The reference of `lawha bench webhook`: GitHub's webhook received the way the old Flask panel would, under
gunicorn. The signature (HMAC-SHA256 of the raw body) is checked with hmac.compare_digest, the delivery is
INSERTed into PostgreSQL and committed (durable before the answer, as Lawha's event is), a deploy task is
enqueued with Celery's `.delay()` on Redis (no Celery worker runs, as no deploy worker runs for Lawha), and a push
to the branch is answered 202 `{"deployment_id"}`.

    gunicorn --chdir services/bench flask_webhook:app     # configured by the environment below

Environment: WEBHOOK_SECRET, WEBHOOK_BRANCH, DATABASE_URL (its `deliveries` table exists), BROKER_URL, QUEUE.
Run by `lawha bench webhook` with the Python of target/venv, where it installs Flask, gunicorn, psycopg and
Celery.
"""

import hashlib
import hmac
import json
import os
import threading
import uuid

import psycopg
from celery import Celery
from flask import Flask, abort, jsonify, request

SECRET = os.environ["WEBHOOK_SECRET"].encode()
BRANCH_REF = "refs/heads/" + os.environ["WEBHOOK_BRANCH"]
DATABASE_URL = os.environ["DATABASE_URL"]

app = Flask(__name__)
celery = Celery("panel", broker=os.environ["BROKER_URL"])
celery.conf.update(task_default_queue=os.environ["QUEUE"], task_ignore_result=True)

# One connection per thread, opened on first use and kept, as Flask-SQLAlchemy's pool would.
local = threading.local()


def connection():
    conn = getattr(local, "conn", None)
    if conn is None or conn.closed:
        conn = local.conn = psycopg.connect(DATABASE_URL)
    return conn


@celery.task(name="deploy")
def deploy(deployment_id):
    """Would fetch, build and switch; never runs during the bench."""


@app.post("/webhooks/github/<site>")
def github(site):
    body = request.get_data()
    expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("X-Hub-Signature-256", "")):
        abort(401)
    event = request.headers.get("X-GitHub-Event", "")
    delivery = request.headers.get("X-GitHub-Delivery", "")
    hook_id = int(request.headers.get("X-GitHub-Hook-ID", "0") or 0)
    payload = json.loads(body)
    if event != "push" or payload.get("ref") != BRANCH_REF or payload.get("deleted"):
        return jsonify(ignored=True), 202
    deployment_id = str(uuid.uuid4())
    conn = connection()
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO deliveries (delivery_id, hook_id, site, event, after, pusher, deployment_id, payload) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb) ON CONFLICT (hook_id, delivery_id) DO NOTHING",
            (delivery, hook_id, site, event, payload["after"], payload["pusher"]["name"], deployment_id,
             body.decode()),
        )
        inserted = cur.rowcount == 1
    conn.commit()
    if not inserted:
        return jsonify(repeated=True), 200
    deploy.delay(deployment_id)
    return jsonify(deployment_id=deployment_id), 202
