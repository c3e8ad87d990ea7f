"""What `docker compose config` would refuse beyond the Compose Specification's schema (which
`make compose-check` validates first with check-jsonschema), checked offline: references between
services, volumes and files, and the promises docs/deployment.md makes about this file."""
import os
import sys

import yaml

ROLES = {"data": "8001", "train": "8002", "predict": "8003", "auth": "8004"}


# Which service may see which secret: each only its own.
SECRETS = {
    "JWT_SECRET_KEY": set(ROLES),
    "ADMIN_PASSWORD": {"auth"},
    "MLFLOW_TRACKING_PASSWORD": {"train"},
    "MLFLOW_TRACKING_TOKEN": {"train"},
}


def hardening_problems(services):
    problems = []
    for name in list(ROLES) + ["nginx"]:
        service = services.get(name, {})
        if service.get("read_only") is not True:
            problems.append(f"{name}: the root file system should be read_only")
        if service.get("cap_drop") != ["ALL"]:
            problems.append(f"{name}: cap_drop should be [ALL]")
        if "no-new-privileges:true" not in (service.get("security_opt") or []):
            problems.append(f"{name}: security_opt should include no-new-privileges:true")
        if "mem_limit" not in service or "cpus" not in service:
            problems.append(f"{name}: memory and CPU limits (mem_limit, cpus) are missing")
        if "pids_limit" not in service:
            problems.append(f"{name}: pids_limit is missing")
    if services.get("nginx", {}).get("user") in (None, "0", "root"):
        problems.append("nginx: should run as an unprivileged user")
    for port in services.get("nginx", {}).get("ports", []):
        if not str(port).startswith("${MLOPSD_BIND:-127.0.0.1}:"):
            problems.append(f"nginx: port '{port}' should bind ${{MLOPSD_BIND:-127.0.0.1}} (loopback unless widened)")
    train_data = [m for m in services.get("train", {}).get("volumes", []) if m.split(":")[1] == "/var/lib/mlopsd/data"]
    if not train_data or not all(m.endswith(":ro") for m in train_data):
        problems.append("train: the data volume should be mounted read-only")
    auth_state = {m.split(":")[0] for m in services.get("auth", {}).get("volumes", [])}
    for name, service in services.items():
        if name != "auth" and auth_state & {m.split(":")[0] for m in service.get("volumes", [])}:
            problems.append(f"{name}: mounts the auth role's state volume")
    return problems


def secret_problems(services):
    problems = []
    for name, service in services.items():
        if "env_file" in service:
            problems.append(f"{name}: env_file hands every setting to the service; list what it uses under environment")
        for variable in service.get("environment") or {}:
            allowed = SECRETS.get(variable)
            if allowed is not None and name not in allowed:
                problems.append(f"{name}: gets {variable}, which only {', '.join(sorted(allowed))} may see")
    for variable, allowed in SECRETS.items():
        for name in allowed:
            if variable not in (services.get(name, {}).get("environment") or {}):
                problems.append(f"{name}: does not get {variable}")
    return problems


def main(path):
    with open(path) as handle:
        compose = yaml.safe_load(handle)  # also expands the x-mlopsd anchor into each role
    base = os.path.dirname(os.path.abspath(path))
    services = compose.get("services", {})
    volumes = set((compose.get("volumes") or {}).keys())
    problems = []

    for name, service in services.items():
        for dependency in (service.get("depends_on") or {}):
            if dependency not in services:
                problems.append(f"{name}: depends_on names unknown service '{dependency}'")
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith((".", "/")):
                if not os.path.exists(os.path.join(base, source)):
                    problems.append(f"{name}: bind mount source '{source}' does not exist")
            elif source not in volumes:
                problems.append(f"{name}: volume '{source}' is not declared under volumes")
        build = service.get("build")
        if build is not None:
            context = build if isinstance(build, str) else build.get("context", ".")
            if not os.path.exists(os.path.join(base, context, "Dockerfile")):
                problems.append(f"{name}: build context '{context}' has no Dockerfile")

    images = {services[role].get("image") for role in ROLES if role in services}
    if len(images) != 1:
        problems.append(f"the four roles must run one image, found {sorted(map(str, images))}")
    if sum(1 for role in ROLES if "build" in services.get(role, {})) != 1:
        problems.append("exactly one role should build the image (it is built once)")
    for role, port in ROLES.items():
        service = services.get(role)
        if service is None:
            problems.append(f"missing service '{role}'")
            continue
        environment = service.get("environment") or {}
        if environment.get("MLOPSD_ROLE") != role or environment.get("MLOPSD_PORT") != port:
            problems.append(f"{role}: expected MLOPSD_ROLE={role} and MLOPSD_PORT={port}")
        # .env is written for the host (127.0.0.1, var/...): the containers must override it.
        if environment.get("MLOPSD_HOST") != "0.0.0.0":
            problems.append(f"{role}: MLOPSD_HOST must be 0.0.0.0 inside the container")
        mounted = {mount.split(":")[1] for mount in service.get("volumes", [])}
        for variable in ("MLOPSD_DATA_DIR", "MLOPSD_MODELS_DIR", "MLOPSD_STATE_DIR"):
            if not environment.get(variable, "").startswith("/var/lib/mlopsd/"):
                problems.append(f"{role}: {variable} must point into /var/lib/mlopsd")
        for target in mounted:
            if target not in {environment.get(v) for v in ("MLOPSD_DATA_DIR", "MLOPSD_MODELS_DIR", "MLOPSD_STATE_DIR")}:
                problems.append(f"{role}: volume mounted at {target}, which no MLOPSD_*_DIR names")
        if "healthcheck" not in service:
            problems.append(f"{role}: no healthcheck")
        if "ports" in service:
            problems.append(f"{role}: roles are reached through nginx only; no host ports")
    problems += hardening_problems(services)
    problems += secret_problems(services)
    if "container_name" in services.get("predict", {}):
        problems.append("predict: a container_name prevents --scale predict=N")
    nginx = services.get("nginx", {})
    for role in ROLES:
        if (nginx.get("depends_on") or {}).get(role, {}).get("condition") != "service_healthy":
            problems.append(f"nginx: should wait for {role} to be healthy")
    if "mlflow" in services and services["mlflow"].get("profiles") != ["mlflow"]:
        problems.append("mlflow: should only start with --profile mlflow")

    for problem in problems:
        print(f"compose-check: {problem}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"compose-check: {path}: {len(services)} services, {len(volumes)} volumes, references consistent")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "compose.yaml")
