#!/usr/bin/env python3
"""Structural checks of compose/ that no installed tool makes; compose/check.sh runs them.

Debian has no Grafana, Loki, Promtail or Dockerfile linter, and docker-compose's `config` accepts a file that
publishes the database's port, so these assertions read the files (or `docker-compose config` output) and check what
matters:

    checks.py compose CONFIG_YAML STACK|BLUEGREEN|MONITORING|DEPLOY   (CONFIG_YAML: `docker-compose … config`)
    checks.py rules RULES_DIR TESTS_DIR                         (every *.yml of each)
    checks.py alertmanager ALERTMANAGER_YAML
    checks.py grafana MONITORING_DIR
    checks.py loki LOKI_YAML
    checks.py promtail PROMTAIL_YAML
    checks.py dockerfile REPO_ROOT                              (Dockerfile and .dockerignore)

Each prints nothing and exits 0 when the files are right, or prints one line per problem and exits 1.
"""
import json
import pathlib
import re
import sys

import yaml

problems = []


def problem(message):
    problems.append(message)


def load_yaml(path):
    with open(path) as f:
        return yaml.safe_load(f)


# --- compose -------------------------------------------------------------------------------------------------------

def published(port):
    """(host_ip, published_port) of one `ports:` entry, short ("127.0.0.1:8080:8080/tcp") or long form."""
    if isinstance(port, dict):
        return str(port.get("host_ip", "")), str(port.get("published", ""))
    parts = str(port).split("/")[0].split(":")
    if len(parts) == 3:
        return parts[0], parts[1]
    if len(parts) == 2:
        return "", parts[0]
    return "", parts[0]


def volume_strings(service):
    """Volumes as "source:target:mode" strings, whatever form the config output used."""
    result = []
    for v in service.get("volumes", []):
        if isinstance(v, dict):
            mode = "ro" if v.get("read_only") else "rw"
            result.append(f"{v.get('source')}:{v.get('target')}:{mode}")
        else:
            result.append(str(v))
    return result


def check_compose(config_path, kind):
    config = load_yaml(config_path)
    services = config.get("services", {})

    # Nothing but Lawha and the monitoring UIs publishes a port, and only on the loopback interface: nginx (or an
    # SSH tunnel) is the only way in.
    may_publish = {"lawha", "lawha-blue", "lawha-green", "grafana", "prometheus", "alertmanager"}
    # docker-compose.deploy.yml: the deploy worker on the host reaches the databases on loopback.
    if kind == "deploy":
        may_publish |= {"postgres", "redis"}
    for name, service in services.items():
        for port in service.get("ports", []):
            host_ip, _ = published(port)
            if name not in may_publish:
                problem(f"{name} publishes a port ({port}); only {sorted(may_publish)} may")
            if host_ip != "127.0.0.1":
                problem(f"{name} publishes {port} on all interfaces; bind it to 127.0.0.1")

    for name in ("postgres", "redis"):
        if kind in ("stack", "bluegreen", "deploy") and name not in services:
            problem(f"no {name} service")
    for name, service in services.items():
        if name in ("postgres", "redis") and not service.get("healthcheck", {}).get("test"):
            problem(f"{name} has no healthcheck")
        if not service.get("restart") and not name.startswith("migrate"):
            problem(f"{name} has no restart policy")

    # Secrets are files, consumed through the *_FILE variables; none is given as a plain value.
    for name, service in services.items():
        env = service.get("environment", {}) or {}
        if isinstance(env, list):
            env = dict(e.split("=", 1) if "=" in e else (e, "") for e in env)
        for key in ("LAWHA_DATABASE_URL", "LAWHA_REDIS_URL", "LAWHA_SECRET_KEY", "POSTGRES_PASSWORD",
                    "GF_SECURITY_ADMIN_PASSWORD"):
            if key in env:
                problem(f"{name} sets {key} in its environment; use {key}_FILE and a secret")
    for secret, spec in (config.get("secrets") or {}).items():
        if "file" not in spec:
            problem(f"secret {secret} is not a file")
        elif not pathlib.Path(spec["file"]).is_file():
            problem(f"secret file {spec['file']} does not exist (init-secrets.sh should create it)")

    def lawha_services():
        return {n: s for n, s in services.items() if n in ("lawha", "lawha-blue", "lawha-green")}

    for name, service in lawha_services().items():
        deps = service.get("depends_on", {})
        migrate = [d for d in deps if d.startswith("migrate")]
        if not migrate or deps[migrate[0]].get("condition") != "service_completed_successfully":
            problem(f"{name} does not wait for its migrate service to complete successfully")
        for dep in ("postgres", "redis"):
            if deps.get(dep, {}).get("condition") != "service_healthy":
                problem(f"{name} does not wait for {dep} to be healthy")
        env = service.get("environment", {})
        for key in ("LAWHA_DATABASE_URL_FILE", "LAWHA_REDIS_URL_FILE", "LAWHA_SECRET_KEY_FILE"):
            if not str(env.get(key, "")).startswith("/run/secrets/"):
                problem(f"{name}: {key} does not point into /run/secrets")
        if "health/live" not in json.dumps(service.get("healthcheck", {})):
            problem(f"{name} has no /health/live healthcheck")
        # Published-port clients arrive from the frontend network's gateway: unless Lawha trusts that address as
        # its proxy, every client shares it (one guesser locks everyone out of sign-in).
        ipam = ((config.get("networks") or {}).get("frontend") or {}).get("ipam") or {}
        gateways = [c.get("gateway") for c in ipam.get("config") or [] if c.get("gateway")]
        trusted = [t.strip() for t in str(env.get("LAWHA_HTTP__TRUSTED_PROXIES", "")).split(",")]
        if not gateways:
            problem("the frontend network has no fixed gateway (ipam config) for Lawha to trust as its proxy")
        elif not all(g in trusted or f"{g}/32" in trusted for g in gateways):
            problem(f"{name}: LAWHA_HTTP__TRUSTED_PROXIES {trusted} lacks the frontend gateway {gateways}")

    if kind == "deploy":
        expected = {"postgres": "15432", "redis": "16379"}
        for name, port in expected.items():
            ports = [published(p) for p in services.get(name, {}).get("ports", [])]
            if ports != [("127.0.0.1", port)]:
                problem(f"{name} should publish 127.0.0.1:{port} only (for the deploy worker), publishes {ports}")
        joined = sorted(n for n, s in services.items() if "deploy-host" in (s.get("networks") or {}))
        if joined != ["postgres", "redis"]:
            problem(f"only postgres and redis may join the deploy-host network, joined by {joined}")

    # The cert worker: one per stack or colour, with its way out to the ACME CA, the host's folders that nginx reads
    # (the challenge webroot and the certificates), and the name Prometheus' DNS discovery looks up.
    if kind in ("stack", "bluegreen", "deploy"):
        certs = {n: s for n, s in services.items() if s.get("entrypoint") == ["lawha-cert-worker"]}
        if len(certs) != 1:
            problem(f"expected one lawha-cert-worker service, found {sorted(certs)}")
        for name, service in certs.items():
            networks = service.get("networks") or {}
            if "frontend" not in networks:
                problem(f"{name} is not on the frontend network: it cannot reach the ACME CA")
            targets = {v.split(":")[1] for v in volume_strings(service) if ":" in v}
            for target in ("/var/lib/lawha/certificates", "/var/www/acme"):
                if target not in targets:
                    problem(f"{name} does not mount the host's {target}, which the host's nginx reads")
            aliases = (networks.get("backend") or {}).get("aliases") or []
            if name != "lawha-cert-worker" and "lawha-cert-worker" not in aliases:
                problem(f"{name} lacks the network alias `lawha-cert-worker` that Prometheus' DNS discovery looks up")

    if kind in ("stack", "deploy"):
        ports = [published(p) for p in services.get("lawha", {}).get("ports", [])]
        if ports != [("127.0.0.1", "8080")]:
            problem(f"lawha should publish 127.0.0.1:8080 only, publishes {ports}")

    if kind == "bluegreen":
        expected = {"lawha-blue": "8081", "lawha-green": "8082"}
        present = [n for n in expected if n in services]
        if len(present) != 1:
            problem(f"expected exactly one colour service, found {present}")
        for name in present:
            ports = [published(p) for p in services[name].get("ports", [])]
            if ports != [("127.0.0.1", expected[name])]:
                problem(f"{name} should publish 127.0.0.1:{expected[name]}, publishes {ports}")
            aliases = (services[name].get("networks", {}).get("backend") or {}).get("aliases", [])
            if "lawha" not in aliases:
                problem(f"{name} lacks the network alias `lawha` that Prometheus' DNS discovery looks up")

    if kind == "monitoring":
        loki = services.get("loki")
        if loki is None:
            problem("no loki service")
        elif loki.get("ports"):
            problem(f"loki publishes ports {loki['ports']}; it must only be reachable on the monitoring network")
        promtail = services.get("promtail", {})
        if "/var/run/docker.sock:/var/run/docker.sock:ro" not in volume_strings(promtail):
            problem("promtail does not mount /var/run/docker.sock:/var/run/docker.sock:ro (read-only)")
        grafana = services.get("grafana", {})
        if [published(p)[0] for p in grafana.get("ports", [])] != ["127.0.0.1"]:
            problem("grafana's port is not bound to 127.0.0.1")
        if not str(grafana.get("environment", {}).get("GF_SECURITY_ADMIN_PASSWORD__FILE", "")).startswith("/run/secrets/"):
            problem("grafana's admin password does not come from a secret file")
        for exporter in ("node-exporter", "postgres-exporter", "redis-exporter", "alertmanager", "prometheus"):
            if exporter not in services:
                problem(f"no {exporter} service")


def check_compose_pair(blue_path, green_path):
    """Blue and green differ in their colour only: the same service once the colour is taken out."""
    def normal(path, colour):
        config = load_yaml(path)
        service = dict(config["services"][f"lawha-{colour}"])
        service.pop("ports", None)
        service.pop("labels", None)
        text = json.dumps(service, sort_keys=True)
        return text.replace(f"migrate-{colour}", "migrate-COLOUR")

    if normal(blue_path, "blue") != normal(green_path, "green"):
        problem("lawha-blue and lawha-green differ beyond colour and port; keep the two colour files in step")


# --- Prometheus rules ----------------------------------------------------------------------------------------------

CONTRACT = [
    "lawha_http_requests_total", "lawha_http_request_duration_seconds_bucket", "lawha_events_appended_total",
    "lawha_append_batch_requests", "lawha_projection_lag", "lawha_build_info", "lawha_jobs_failed_total",
    "lawha_jobs_succeeded_total", "lawha_dispatcher_lag", "lawha_certificate_expiry_seconds",
    "lawha_certificate_failures_in_a_row", "lawha_backup_last_verified_timestamp_seconds",
]
REQUIRED_ALERTS = {  # what the issue asks for → a metric the alert's expression must use
    "host CPU": "node_cpu_seconds_total", "host memory": "node_memory_MemAvailable_bytes",
    "host disk": "node_filesystem_avail_bytes", "API down": 'up{job="lawha"} == 0', "database down": "pg_up == 0",
    "Redis down": "redis_up == 0", "5xx rate": 'status=~"5.."',
    "p95 latency": "histogram_quantile(0.95", "job failures": "lawha_jobs_failed_total",
    "dispatcher lag": "lawha_dispatcher_lag", "projection lag": "lawha_projection_lag",
    "certificate expiry": "lawha_certificate_expiry_seconds",
    "certificate renewal failures": "lawha_certificate_failures_in_a_row",
    "backup verification age": "lawha_backup_last_verified_timestamp_seconds",
}


def check_rules(rules_dir, tests_dir):
    rule_files = sorted(pathlib.Path(rules_dir).glob("*.yml"))
    test_files = sorted(pathlib.Path(tests_dir).glob("*.yml"))
    header = "\n".join(line for path in rule_files for line in path.read_text().splitlines() if line.startswith("#"))
    for metric in CONTRACT:
        if metric not in header:
            problem(f"the metric contract comments do not list {metric}")

    alerts = [r for path in rule_files for g in load_yaml(path)["groups"] for r in g["rules"] if "alert" in r]
    names = [r["alert"] for r in alerts]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problem(f"{name} is defined more than once")
    if len(alerts) < 11:
        problem(f"only {len(alerts)} alert rules; at least 11 are expected")
    for rule in alerts:
        name = rule["alert"]
        if not rule.get("for"):
            problem(f"{name} has no `for`")
        if rule.get("labels", {}).get("severity") not in ("critical", "warning"):
            problem(f"{name}: severity must be critical or warning")
        for key in ("summary", "description"):
            if not rule.get("annotations", {}).get(key):
                problem(f"{name} has no {key} annotation")
    expressions = " ".join(re.sub(r"\s+", " ", str(r["expr"])) for r in alerts)
    for what, needle in REQUIRED_ALERTS.items():
        if needle not in expressions:
            problem(f"no alert for {what} (no expression contains {needle!r})")

    # Every alert fires in some test, and a healthy test checks that it stays silent.
    tests = [t for path in test_files for t in load_yaml(path)["tests"]]
    fired, silent = set(), set()
    for test in tests:
        for case in test.get("alert_rule_test", []):
            (fired if case.get("exp_alerts") else silent).add(case["alertname"])
    for rule in alerts:
        if rule["alert"] not in fired:
            problem(f"no unit test fires {rule['alert']}")
        if rule["alert"] not in silent:
            problem(f"no unit test checks that {rule['alert']} stays silent")


# --- Alertmanager --------------------------------------------------------------------------------------------------

def check_alertmanager(path):
    config = load_yaml(path)
    text = pathlib.Path(path).read_text()
    if re.search(r"^\s*(api_url|auth_password|smtp_auth_password|slack_api_url):", text, re.M):
        problem("a Slack URL or SMTP password is written in the file; use the *_file form")
    receivers = {r["name"]: r for r in config.get("receivers", [])}
    slack = [c for r in receivers.values() for c in r.get("slack_configs", [])]
    email = [c for r in receivers.values() for c in r.get("email_configs", [])]
    if not slack or any("api_url_file" not in c and "slack_api_url_file" not in config.get("global", {}) for c in slack):
        problem("Slack receivers must read the webhook URL from a file (api_url_file)")
    if not email or any("auth_password_file" not in c and "smtp_auth_password_file" not in config.get("global", {})
                        for c in email):
        problem("e-mail receivers must read the SMTP password from a file (auth_password_file)")
    route = config.get("route", {})
    for key in ("group_by", "group_wait", "group_interval", "repeat_interval"):
        if key not in route:
            problem(f"the root route has no {key}")
    sources = {}
    for rule in config.get("inhibit_rules", []):
        for source in rule.get("source_matchers", []):
            sources.setdefault(source, []).extend(rule.get("target_matchers", []))
    api = " ".join(sources.get('alertname="LawhaApiDown"', []))
    if "LawhaHighErrorRate" not in api or "LawhaHighLatencyP95" not in api:
        problem("LawhaApiDown must inhibit LawhaHighErrorRate and LawhaHighLatencyP95")
    if "LawhaDispatcherLag" not in " ".join(sources.get('alertname="PostgresDown"', [])):
        problem("PostgresDown must inhibit LawhaDispatcherLag")


# --- Grafana -------------------------------------------------------------------------------------------------------

def check_grafana(monitoring_dir):
    base = pathlib.Path(monitoring_dir) / "grafana"
    datasources = load_yaml(base / "provisioning/datasources/datasources.yml")["datasources"]
    uids = {d["uid"]: d["type"] for d in datasources}
    if set(uids.values()) != {"prometheus", "loki"}:
        problem(f"expected a Prometheus and a Loki data source, found {uids}")
    providers = load_yaml(base / "provisioning/dashboards/dashboards.yml")["providers"]
    if not any(p.get("options", {}).get("path") == "/var/lib/grafana/dashboards" for p in providers):
        problem("no dashboard provider reads /var/lib/grafana/dashboards (where compose mounts the dashboards)")

    def ds_uid(ds, where):
        if isinstance(ds, dict) and ds.get("uid") in uids:
            return ds["uid"]
        problem(f"{where}: data source {ds!r} is not a provisioned uid {sorted(uids)}")
        return None

    dashboards = {}
    for path in sorted((base / "dashboards").glob("*.json")):
        dashboard = json.loads(path.read_text())
        dashboards[dashboard.get("uid")] = dashboard
        panels = []
        for panel in dashboard.get("panels", []):
            panels.append(panel)
            panels.extend(panel.get("panels", []))
        ids = [p.get("id") for p in panels]
        if len(ids) != len(set(ids)):
            problem(f"{path.name}: panel ids are not unique")
        for panel in panels:
            if panel.get("type") == "row":
                continue
            where = f"{path.name} panel {panel.get('title')!r}"
            ds_uid(panel.get("datasource"), where)
            if not panel.get("targets"):
                problem(f"{where} has no query")
            for target in panel.get("targets", []):
                if "datasource" in target:
                    ds_uid(target["datasource"], where + " query")
                if not target.get("expr"):
                    problem(f"{where} has an empty query")
        for variable in dashboard.get("templating", {}).get("list", []):
            if variable.get("type") == "query":
                ds_uid(variable.get("datasource"), f"{path.name} variable {variable.get('name')}")

    logs = dashboards.get("lawha-logs")
    overview = dashboards.get("lawha-overview")
    if logs is None or overview is None:
        problem(f"expected dashboards lawha-overview and lawha-logs, found {sorted(map(str, dashboards))}")
        return
    log_panels = [p for p in logs["panels"] if p.get("type") != "row"]
    if len(log_panels) < 7:
        problem(f"the logs dashboard has {len(log_panels)} panels; at least 7 are expected")
    if any(uids.get((p.get("datasource") or {}).get("uid")) != "loki" for p in log_panels):
        problem("every panel of the logs dashboard must query Loki")
    if "request_id" not in {v["name"] for v in logs.get("templating", {}).get("list", [])}:
        problem("the logs dashboard has no request_id variable")
    exprs = json.dumps(overview)
    for needle in ("lawha_http_requests_total", 'status=~\\"5..\\"', "histogram_quantile(0.95",
                   "lawha_events_appended_total", "lawha_projection_lag", "lawha_jobs_failed_total", "node_cpu"):
        if needle not in exprs:
            problem(f"the overview dashboard shows nothing of {needle}")


# --- Loki and Promtail ---------------------------------------------------------------------------------------------

def check_loki(path):
    config = load_yaml(path)
    if config.get("limits_config", {}).get("retention_period") != "168h":
        problem("Loki's limits_config.retention_period is not 168h (7 days)")
    compactor = config.get("compactor", {})
    if compactor.get("retention_enabled") is not True:
        problem("Loki's compactor does not enforce retention (retention_enabled: true)")
    if not compactor.get("delete_request_store"):
        problem("Loki's compactor has no delete_request_store (required with retention)")
    stores = [c.get("store") for c in config.get("schema_config", {}).get("configs", [])]
    if not stores or stores[-1] != "tsdb":
        problem(f"Loki's newest schema uses {stores[-1:]} ; compactor retention needs tsdb")


def check_promtail(path):
    config = load_yaml(path)
    jobs = config.get("scrape_configs", [])
    docker = [j for j in jobs if j.get("docker_sd_configs")]
    if not docker:
        problem("Promtail has no docker_sd_configs job")
        return
    job = docker[0]
    if job["docker_sd_configs"][0].get("host") != "unix:///var/run/docker.sock":
        problem("Promtail's docker_sd_configs does not use unix:///var/run/docker.sock")
    if not any(r.get("target_label") == "service" for r in job.get("relabel_configs", [])):
        problem("Promtail does not set the `service` label")

    def stages(stage_list):
        for stage in stage_list:
            yield stage
            for inner in stage.get("match", {}).get("stages", []):
                yield inner

    found = list(stages(job.get("pipeline_stages", [])))
    json_stages = [s["json"] for s in found if "json" in s]
    expressions = {k: v for s in json_stages for k, v in s.get("expressions", {}).items()}
    for field, expr in (("level", "level"), ("message", "message"), ("timestamp", "timestamp"),
                        ("request_id", "span.request_id")):
        if expressions.get(field) != expr:
            problem(f"Promtail's json stage does not extract {field} from `{expr}`")
    labels = {k for s in found if "labels" in s for k in s["labels"]}
    if "level" not in labels:
        problem("Promtail does not make `level` a label")
    if "request_id" in labels:
        problem("request_id must not be a label (one stream per request); use structured_metadata")
    if not any(s.get("timestamp", {}).get("source") == "timestamp" for s in found):
        problem("Promtail does not take the entry's time from Lawha's `timestamp` field")


# --- Dockerfile ----------------------------------------------------------------------------------------------------

def dockerfile_instructions(text):
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    lines, current = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        lines.append(current)
        current = ""
    result = []
    for line in lines:
        instruction, _, args = line.partition(" ")
        result.append((instruction.upper(), " ".join(args.split())))
    return result


def check_dockerfile(root):
    root = pathlib.Path(root)
    instructions = dockerfile_instructions((root / "Dockerfile").read_text())
    stages = [i for i, (ins, _) in enumerate(instructions) if ins == "FROM"]
    if len(stages) < 3:
        problem("the Dockerfile should have planner, builder and runtime stages")
        return
    runtime = instructions[stages[-1]:]
    build = " ".join(a for ins, a in instructions[:stages[-1]] if ins == "RUN")
    text = " ".join(f"{i} {a}" for i, a in instructions)

    rust_version = re.search(r'^rust-version\s*=\s*"([^"]+)"', (root / "Cargo.toml").read_text(), re.M)
    arg = re.search(r"ARG RUST_VERSION=(\S+)", text)
    if not rust_version or not arg or arg.group(1) != rust_version.group(1):
        problem(f"ARG RUST_VERSION ({arg and arg.group(1)}) differs from Cargo.toml's rust-version "
                f"({rust_version and rust_version.group(1)})")
    if "lukemathwalker/cargo-chef" not in text:
        problem("the build does not use the cargo-chef image")
    for needle in ("cargo chef prepare", "cargo chef cook --release --locked", "cargo build --release --locked"):
        if needle not in build:
            problem(f"the build stages do not run `{needle}`")

    if instructions[stages[-1]][1].split()[0] != "debian:bookworm-slim":
        problem("the runtime stage is not debian:bookworm-slim")
    runtime_text = " ".join(f"{i} {a}" for i, a in runtime)
    for package in ("postgresql-client", "mariadb-client", "sqlite3", "zstd", "ca-certificates", "tzdata", "curl"):
        if not re.search(rf"apt-get install[^&]*\b{re.escape(package)}\b", runtime_text):
            problem(f"the runtime image does not install {package}")
    users = [a for i, a in runtime if i == "USER"]
    if not users or users[-1].split(":")[0] in ("root", "0"):
        problem("the runtime image does not end as a non-root USER")
    elif users[-1].split(":")[0] not in ("10001", "lawha"):
        problem(f"the runtime user is {users[-1]}, expected uid 10001")
    if "--uid 10001" not in runtime_text:
        problem("the runtime image does not create the lawha user with uid 10001")
    health = [a for i, a in runtime if i == "HEALTHCHECK"]
    if not health or "/health/live" not in health[-1]:
        problem("the runtime image has no HEALTHCHECK on /health/live")
    for env in ("LAWHA_ENV=production", "LAWHA_LISTEN=0.0.0.0:8080", "LAWHA_DATA_DIR=/var/lib/lawha"):
        if not any(i == "ENV" and env in a for i, a in runtime):
            problem(f"the runtime image does not set ENV {env}")
    expected = {"VOLUME": "/var/lib/lawha", "EXPOSE": "8080", "STOPSIGNAL": "SIGTERM",
                "ENTRYPOINT": '["lawha"]', "CMD": '["serve"]'}
    for ins, value in expected.items():
        if [a for i, a in runtime if i == ins][-1:] != [value]:
            problem(f"the runtime image should have {ins} {value}")

    ignored = {line.strip() for line in (root / ".dockerignore").read_text().splitlines()}
    for pattern in ("target/", "data/", ".git/", "*.pem", "*.key", ".env", ".env.*"):
        if pattern not in ignored:
            problem(f".dockerignore does not exclude {pattern}")


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    what, args = argv[1], argv[2:]
    if what == "compose":
        check_compose(args[0], args[1])
    elif what == "compose-pair":
        check_compose_pair(*args)
    elif what == "rules":
        check_rules(*args)
    elif what == "alertmanager":
        check_alertmanager(*args)
    elif what == "grafana":
        check_grafana(*args)
    elif what == "loki":
        check_loki(*args)
    elif what == "promtail":
        check_promtail(*args)
    elif what == "dockerfile":
        check_dockerfile(*args)
    else:
        print(f"unknown check {what}", file=sys.stderr)
        return 2
    for message in problems:
        print(message)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
